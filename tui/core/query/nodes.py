"""The parsed query: terms, each knowing where it sits in the text, combined by AND, OR and NOT.

A query of terms only (the common case) is one :class:`And` of terms or a single term; negated
terms carry their own ``negated`` flag, so :class:`Not` only ever wraps a group.
"""

from __future__ import annotations

import re

import msgspec


class FieldTerm(msgspec.Struct, frozen=True):
    """``[-]field:v1,v2``: any of the typed ``values`` matches (all of them fail if negated)."""

    field: str
    values: tuple[object, ...]
    negated: bool
    column: int
    end: int


class TextTerm(msgspec.Struct, frozen=True):
    """A bare word or quoted phrase: a case-insensitive substring of the raw event text.

    ``parts`` are the literal pieces between ``*`` wildcards (one part: a plain substring).
    """

    parts: tuple[str, ...]
    negated: bool
    column: int
    end: int


class RegexTerm(msgspec.Struct, frozen=True):
    """``/regex/``: a case-insensitive regex search of the raw event text."""

    pattern: re.Pattern[bytes]
    negated: bool
    column: int
    end: int


Term = FieldTerm | TextTerm | RegexTerm


class And(msgspec.Struct, frozen=True):
    """All of ``children`` hold (two or more; none of them an :class:`And`)."""

    children: tuple[Node, ...]


class Or(msgspec.Struct, frozen=True):
    """Any of ``children`` holds (two or more; none of them an :class:`Or`)."""

    children: tuple[Node, ...]


class Not(msgspec.Struct, frozen=True):
    """``child`` (an :class:`And` or an :class:`Or`) does not hold."""

    child: Node


Node = Term | And | Or | Not
