"""Falco's output strings: ``%field`` (and ``%field[arg]``) replaced by the event's value.

A field name is the longest known field at the ``%`` (``%ka.target.name/%ka.target.resource``
is two fields and a slash); a missing value prints as ``<NA>``, a list field as ``(a,b)``;
``%evt.time`` is the event's time as ``HH:MM:SS.nnnnnnnnn`` (UTC). The values also go to the
JSON alert's ``output_fields``: a string, a list of strings for a list field, a number for
``evt.time``/``evt.rawtime``, or null when missing; ``evt.time`` (epoch nanoseconds) is always
among them, as Falco adds its prefix's time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .condition import (
    TRANSFORMERS,
    ConditionError,
    Context,
    Getter,
    field_getter,
    parse_transformed_field,
    resolve_operand,
)
from .fields import FIELDS, FieldError, event_time_ns, lookup_field

__all__ = ["NA", "OutputError", "OutputFormat", "Token", "event_time", "parse_output"]

NA = "<NA>"
_NAMES = sorted(FIELDS, key=len, reverse=True)


class OutputError(ValueError):
    """An output string naming a field that does not exist."""


@dataclass
class Token:
    key: str
    """The field as written (``ka.uri.param[command]``, ``tolower(ka.verb)``)."""
    get: Getter
    width: int = 0
    """``%12field``: the value padded or cut to this many characters."""
    path: tuple[str, ...] | None = None
    """For a field that is the JSON text at keys of the event (``ka.verb``): those keys, so
    that code rendering many alerts can read it without the getter's calls."""


@dataclass
class OutputFormat:
    parts: list[str | Token]
    """Literal text and fields, in order."""

    def render(self, ctx: Context) -> tuple[str, dict[str, Any]]:
        """The output text and ``output_fields`` for the event of ``ctx``."""
        text: list[str] = []
        fields: dict[str, Any] = {}
        for part in self.parts:
            if isinstance(part, str):
                text.append(part)
                continue
            value = part.get(ctx)
            if part.key in ("evt.time", "evt.rawtime"):
                fields[part.key] = event_time(ctx)
            else:
                fields[part.key] = value
            shown = show_value(value)
            if part.width:
                shown = shown[: part.width].ljust(part.width)
            text.append(shown)
        if "evt.time" not in fields:
            # Falco's JSON alerts carry the time of the output's prefix among the fields.
            fields["evt.time"] = event_time(ctx)
        return "".join(text), fields


def show_value(value: Any) -> str:
    """A field's value as the output text shows it: ``<NA>`` when missing, a list as
    ``(a,b)``."""
    if value is None:
        return NA
    if isinstance(value, list):
        return "(" + ",".join(value) + ")"
    return str(value)


def event_time(ctx: Context) -> int | None:
    """The event's time (``evt.rawtime``), read once per event."""
    cache = ctx.cache
    if "evt.rawtime" not in cache:
        cache["evt.rawtime"] = event_time_ns(ctx.event)
    return cache["evt.rawtime"]


def parse_output(text: str) -> OutputFormat:
    """The output string compiled, as libsinsp's formatter reads it: every ``%`` starts a
    field (``%ka.verb``, ``%ka.uri.param[command]``, ``%tolower(ka.verb)``), maybe with a
    width (``%20ka.user.name``); the field is the longest known name there. ``OutputError``
    for an unknown field, a bad argument or a ``%`` with no field."""
    text = text.strip()
    parts: list[str | Token] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "%":
            literal.append(char)
            index += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        index += 1
        if index >= len(text):
            raise OutputError("an output cannot end with '%'")
        digits = re.match(r"\d*", text[index:]).group(0)  # type: ignore[union-attr]
        index += len(digits)
        token, length = _field_at(text[index:])
        token.width = int(digits) if digits else 0
        parts.append(token)
        index += length
    if literal:
        parts.append("".join(literal))
    return OutputFormat(parts)


def _field_at(rest: str) -> tuple[Token, int]:
    """The field (or transformed field) at the start of ``rest``, and its length."""
    if any(rest.startswith(name + "(") for name in TRANSFORMERS):
        try:
            operand, length = parse_transformed_field(rest)
            _ref, get = resolve_operand(operand)
        except ConditionError as error:
            raise OutputError(f"%{rest.split(')', 1)[0]}): {error.message}") from None
        return Token(rest[:length], get), length
    name = next((n for n in _NAMES if rest.startswith(n)), None)
    if name is None:
        word = re.match(r"[^\s()\[\]=,]*", rest).group(0)  # type: ignore[union-attr]
        raise OutputError(f"unknown field %{word}" if word else "a '%' must start a field")
    length = len(name)
    arg = None
    if rest.startswith("[", length):
        end = rest.find("]", length)
        if end < 0:
            raise OutputError(f"%{name}: '[' without ']'")
        arg = rest[length + 1 : end]
        length = end + 1
    try:
        ref = lookup_field(name, arg)
    except FieldError as error:
        raise OutputError(str(error)) from None
    return Token(ref.text, field_getter(ref), path=getattr(ref.spec.read, "path", None)), length
