"""Make strings from manifests, config files and other processes safe to print.

Any local user can start a process whose command line carries escape sequences, and a
copied node filesystem may hold anything, so every such string is escaped before it
reaches a terminal.
"""

from __future__ import annotations

import unicodedata


def shown(text: str) -> str:
    """Return ``text`` with control and format characters escaped (``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if ch.isprintable() or (ch == " "):
        return ch
    if unicodedata.category(ch) == "Zs":
        return " "
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
