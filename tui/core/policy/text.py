"""Prose formatting of strings that come from events or policy files.

User names, paths and field names are attacker-controlled (anyone can send a request with
an odd URL or user agent). These helpers only decide how a value sits in a sentence (bare,
quoted, listed); the escaping itself is :func:`kaudit_tui.core.sanitize.sanitize`, the one
rule for everything shown or printed as text.
"""

from __future__ import annotations

from collections.abc import Iterable

from kaudit_tui.core.sanitize import sanitize

__all__ = ["quote", "show", "show_list"]


def quote(text: str) -> str:
    """Double-quote ``text`` with backslash escapes, like a Go ``%q``."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{sanitize(body)}"'


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
