"""Make text from events safe to put on a terminal.

Audit events carry strings chosen by whoever sent the request: user agents, names, URIs,
annotations. A terminal interprets escape sequences, and bidi overrides or zero-width characters
can make one value look like another; policy files, node manifests and other processes' command
lines are no more trustworthy. Every such string passes through :func:`sanitize` before it is
shown or printed as text -- the UI, the headless text outputs, policy messages, ``--where`` and
error messages all use this one rule: anything that is not a printable character is replaced by a
visible escape (``\\t``, ``\\x1b``, ``\\xa0``, ``\\u202e``, ``\\U000f0000``), so the operator sees
that it is there. The query language reads these forms back, so a value is typed as it is shown.
"""

from __future__ import annotations

from functools import lru_cache

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str, json: bool) -> str:
    code = ord(char)
    if not json:
        short = _SHORT.get(char)
        if short is not None:
            return short
        if code < 0x100:
            return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    if json:
        # JSON has no escape above the BMP: a surrogate pair keeps the text valid JSON.
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\U{code:08x}"


def _is_safe(char: str) -> bool:
    return char.isprintable() or char == " "


@lru_cache(maxsize=65536)
def sanitize(text: str) -> str:
    """``text`` with every non-printable character shown as a visible escape.

    Escaped: C0 and C1 controls, DEL, bidi controls, zero-width and other format characters,
    line and paragraph separators, unusual spaces, surrogates, private-use and unassigned code
    points (everything ``str.isprintable`` rejects except the plain space). Cached, because the
    same interned values are drawn over and over.
    """
    if text.isprintable():
        return text
    return "".join(char if _is_safe(char) else _escape(char, False) for char in text)


def sanitize_json(text: str) -> str:
    """Like :func:`sanitize` for JSON text: escapes use ``\\uXXXX`` so the result stays valid
    JSON with the same meaning (every unsafe character can only sit inside a string literal).

    Line breaks are kept: they are the layout of pretty-printed JSON, never inside a string.
    """
    if text.isprintable():
        return text
    return "".join(char if char == "\n" or _is_safe(char) else _escape(char, True) for char in text)


def sanitize_bytes(data: bytes) -> str:
    """Raw bytes (for example a skipped line) as safe text; invalid UTF-8 shown as ``\\xNN``."""
    text = data.decode("utf-8", "backslashreplace")
    return sanitize(text) if len(text) < 4096 else sanitize.__wrapped__(text)
