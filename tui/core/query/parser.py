"""Parser: raw terms -> typed terms, every mistake reported at its column with what was expected."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kaudit_tui.core.query.errors import QueryError
from kaudit_tui.core.query.fields import (
    ALIASES,
    FIELDS,
    FieldDef,
    FieldSpec,
    canonical,
    suggestion,
)
from kaudit_tui.core.query.nodes import FieldTerm, RegexTerm, Term, TextTerm
from kaudit_tui.core.query.syntax import RawTerm, RawValue, TermKind, scan


def parse_terms(text: str, extra: Mapping[str, FieldSpec]) -> list[Term]:
    """The typed terms of ``text``; raises :class:`QueryError` for the first mistake."""
    terms: list[Term] = []
    for raw in scan(text):
        if raw.kind is TermKind.REGEX:
            terms.append(_regex_term(raw))
        elif raw.kind is TermKind.TEXT:
            terms.append(_text_term(raw))
        else:
            terms.append(_field_term(raw, extra))
    return terms


def _text_term(raw: RawTerm) -> TextTerm:
    (value,) = raw.values
    if not "".join(value.parts):
        raise QueryError(
            "empty text: expected something to search for", value.column, _width(value)
        )
    return TextTerm(value.parts, raw.negated, raw.column, raw.end)


def _regex_term(raw: RawTerm) -> RegexTerm:
    start = raw.column + int(raw.negated)
    flags = re.IGNORECASE | re.MULTILINE
    try:
        re.compile(raw.pattern, flags)  # text first: its error positions are columns
        pattern = re.compile(raw.pattern.encode(), flags)
    except re.error as error:
        # The source maps 1:1 to columns after the opening '/' unless "\/" was unescaped.
        offset = error.pos if error.pos is not None else 0
        raise QueryError(f"bad regex: {error.msg}", start + 1 + offset) from None
    return RegexTerm(pattern, raw.negated, raw.column, raw.end)


def _field_term(raw: RawTerm, extra: Mapping[str, FieldSpec]) -> FieldTerm:
    name_column = raw.column + int(raw.negated)
    name = canonical(raw.field, extra)
    if name is None:
        raise QueryError(_unknown_field(raw.field, extra), name_column, len(raw.field))
    if name in FIELDS:
        values = _builtin_values(FIELDS[name], raw.values)
    else:
        values = tuple(_extra_value(name, extra[name], value) for value in raw.values)
    return FieldTerm(name, values, raw.negated, raw.column, raw.end)


def _unknown_field(typed: str, extra: Mapping[str, FieldSpec]) -> str:
    names = [*FIELDS, *extra]
    close = suggestion(typed, [*names, *ALIASES])  # an alias is a valid name too
    if close is not None:
        return f"unknown field '{typed}' (did you mean '{close}'?)"
    return (
        f"unknown field '{typed}': expected one of {', '.join(names)}"
        " (to search for text with ':', put it in quotes)"
    )


def _builtin_values(field: FieldDef, raw_values: tuple[RawValue, ...]) -> tuple[object, ...]:
    if field.single and len(raw_values) > 1:
        second = raw_values[1]
        raise QueryError(
            f"'{field.name}' takes one value", second.column, second.end - second.column
        )
    values = []
    for value in raw_values:
        try:
            values.append(field.parse(value))
        except ValueError as error:
            raise _value_error(field.name, value, str(error)) from None
        _check_choice(field, value)
    return tuple(values)


def _check_choice(field: FieldDef, value: RawValue) -> None:
    if not field.choices or value.has_wildcard:
        return
    typed = value.text.lower()
    if typed in field.choices or typed == "":  # "" selects events without the field
        return
    close = suggestion(typed, list(field.choices))
    hint = (
        f" (did you mean '{close}'?)" if close else f": expected one of {', '.join(field.choices)}"
    )
    raise QueryError(f"unknown {field.name} '{value.text}'{hint}", value.column, _width(value))


def _extra_value(name: str, spec: FieldSpec, value: RawValue) -> object:
    try:
        return spec.parse(value.text.lower())
    except (ValueError, TypeError, LookupError):
        raise _value_error(name, value, f"expected {spec.expected}") from None


def _value_error(name: str, value: RawValue, expected: str) -> QueryError:
    return QueryError(f"bad {name} '{value.text}': {expected}", value.column, _width(value))


def _width(value: RawValue) -> int:
    return value.end - value.column
