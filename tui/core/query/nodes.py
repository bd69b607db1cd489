"""The parsed query: a conjunction of terms, each knowing where it sits in the text."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldTerm:
    """``[-]field:v1,v2``: any of the typed ``values`` matches (all of them fail if negated)."""

    field: str
    values: tuple[object, ...]
    negated: bool
    column: int
    end: int


@dataclass(frozen=True, slots=True)
class TextTerm:
    """A bare word or quoted phrase: a case-insensitive substring of the raw event text.

    ``parts`` are the literal pieces between ``*`` wildcards (one part: a plain substring).
    """

    parts: tuple[str, ...]
    negated: bool
    column: int
    end: int


@dataclass(frozen=True, slots=True)
class RegexTerm:
    """``/regex/``: a case-insensitive regex search of the raw event text."""

    pattern: re.Pattern[bytes]
    negated: bool
    column: int
    end: int


Term = FieldTerm | TextTerm | RegexTerm
