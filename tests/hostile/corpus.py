"""The hostile corpus and the test of what may reach a terminal."""

from __future__ import annotations

import re
from pathlib import Path

CORPUS = Path(__file__).parents[1] / "data" / "hostile"

RAW_SEQUENCE = re.compile(r"[\x1b\x9b\x9d\x90\x9f\x9e]")
"""Bytes that start a terminal control sequence: ESC, and the 8-bit CSI, OSC, DCS, APC, PM."""


def unsafe_characters(text: str) -> list[str]:
    """Characters a terminal could act on or that hide text: controls (but newline), DEL, C1,
    bidi controls, zero-width and other format characters, separators, unassigned."""
    return [c for c in text if not (c.isprintable() or c in " \n")]


def is_terminal_safe(text: str) -> bool:
    return not unsafe_characters(text)


def corpus_events() -> list[bytes]:
    """The corpus event lines, as stored."""
    return (CORPUS / "events.jsonl").read_bytes().splitlines()
