"""Event text reaches the terminal only with control and invisible characters made visible."""

from __future__ import annotations

import json

import pytest

from kaudit_tui.core.sanitize import sanitize, sanitize_bytes, sanitize_json


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("kubectl/v1.36.0", "kubectl/v1.36.0"),
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
        ("admin\u202egnp.exe", "admin\\u202egnp.exe"),
        ("ad\u200bmin", "ad\\u200bmin"),
        ("zero\ufeffwidth", "zero\\ufeffwidth"),
        ("tab\there", "tab\\there"),
        ("line\nbreak\r", "line\\nbreak\\r"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),
        ("sep\u2028x", "sep\\u2028x"),
        ("nb\u00a0sp", "nb\\xa0sp"),
        ("système:ünïcode 名前 🚀", "système:ünïcode 名前 🚀"),
        ("private\U000f0000", "private\\U000f0000"),
    ],
)
def test_sanitize_makes_unsafe_characters_visible(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown


def test_sanitized_text_has_no_escape_or_bidi_characters() -> None:
    hostile = "".join(chr(c) for c in range(0, 0x250)) + "\u202a\u202b\u202c\u202d\u2066\u2069"
    shown = sanitize(hostile)
    assert shown.isprintable()
    assert "\x1b" not in shown and "\u202e" not in shown


def test_sanitize_json_stays_equivalent_json() -> None:
    value = {"userAgent": "evil\x7f\u202e\u200b\U000f0001", "n": 1}
    text = json.dumps(value, ensure_ascii=False, indent=2)
    shown = sanitize_json(text)
    assert "\u202e" not in shown and "\x7f" not in shown
    assert shown.count("\n") == text.count("\n")
    assert json.loads(shown) == value


def test_sanitize_bytes_shows_invalid_utf8_and_controls() -> None:
    assert sanitize_bytes(b"ok\xff\x1b[31m") == "ok\\xff\\x1b[31m"
