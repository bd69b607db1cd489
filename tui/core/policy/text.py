"""Safe rendering of strings that come from events or policy files.

User names, paths and field names are attacker-controlled (anyone can send a request with
an odd URL or user agent). Everything this package puts into a message goes through here,
so control characters, bidi overrides and the like are shown escaped, never emitted raw.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["printable", "quote", "show", "show_list"]


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """Return ``text`` with every non-printable character escaped (``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape_char(c) for c in text)


def quote(text: str) -> str:
    """Double-quote ``text`` with backslash escapes, like a Go ``%q``."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{printable(body)}"'


def show(text: str) -> str:
    """A value for prose: bare when it is a plain token, quoted when empty or odd."""
    if text and text.isprintable() and not any(c in text for c in ' ",[]{}\\'):
        return text
    return quote(text)


def show_list(values: Iterable[str], limit: int = 6) -> str:
    """Comma-separated values for prose, shortened after ``limit`` items."""
    items = [show(v) for v in values]
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", … (+{len(items) - limit} more)"
    return ", ".join(items)
