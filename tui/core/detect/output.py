"""Falco's output strings: ``%field`` (and ``%field[arg]``) replaced by the event's value.

A field name is the longest known field at the ``%`` (``%ka.target.name/%ka.target.resource``
is two fields and a slash); a missing value prints as ``<NA>``, a list field as
``(a,b)``. The values also go to the JSON alert's ``output_fields``: a string, a list of
strings for a list field, a number for ``evt.time``/``evt.rawtime``, or null when missing;
``evt.time`` (epoch nanoseconds) is always among them, as Falco adds its prefix's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .condition import Context, Getter, field_getter
from .fields import FIELDS, FieldError, event_time_ns, format_clock, lookup_field

__all__ = ["NA", "OutputError", "OutputFormat", "parse_output"]

NA = "<NA>"
_NAMES = sorted(FIELDS, key=len, reverse=True)


class OutputError(ValueError):
    """An output string naming a field that does not exist."""


@dataclass
class OutputFormat:
    parts: list[str | tuple[str, Getter]]
    """Literal text, and (field as written, getter) pairs, in order."""

    def render(self, ctx: Context) -> tuple[str, dict[str, Any]]:
        """The output text and ``output_fields`` for the event of ``ctx``."""
        text: list[str] = []
        fields: dict[str, Any] = {}
        for part in self.parts:
            if isinstance(part, str):
                text.append(part)
                continue
            name, get = part
            if name in ("evt.time", "evt.rawtime"):
                ns = event_time_ns(ctx.event)
                fields[name] = ns
                text.append(
                    NA if ns is None else format_clock(ns) if name == "evt.time" else str(ns)
                )
                continue
            value = get(ctx)
            fields[name] = value
            if value is None:
                text.append(NA)
            elif isinstance(value, list):
                text.append("(" + ",".join(value) + ")")
            else:
                text.append(str(value))
        if "evt.time" not in fields:
            # Falco's JSON alerts carry the time of the output's prefix among the fields.
            fields["evt.time"] = event_time_ns(ctx.event)
        return "".join(text), fields


def parse_output(text: str) -> OutputFormat:
    """The output string compiled; ``OutputError`` for an unknown field or bad argument."""
    text = text.strip()
    parts: list[str | tuple[str, Getter]] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "%":
            literal.append(char)
            index += 1
            continue
        rest = text[index + 1 :]
        name = next((n for n in _NAMES if rest.startswith(n)), None)
        if name is None:
            if rest[:1].isalpha():
                word = rest.split(" ", 1)[0]
                raise OutputError(f"unknown field %{word}")
            literal.append(char)
            index += 1
            continue
        index += 1 + len(name)
        arg = None
        if text.startswith("[", index):
            end = text.find("]", index)
            if end < 0:
                raise OutputError(f"%{name}: '[' without ']'")
            arg = text[index + 1 : end]
            index = end + 1
        try:
            ref = lookup_field(name, arg)
        except FieldError as error:
            raise OutputError(str(error)) from None
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append((ref.text, field_getter(ref)))
    if literal:
        parts.append("".join(literal))
    return OutputFormat(parts)
