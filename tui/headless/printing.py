"""``--print``: matching events as JSON lines, and JSON made safe to show on a terminal."""

from __future__ import annotations

import os
import sys

import numpy as np
import orjson

from kaudit_tui.core.sanitize import sanitize_json
from kaudit_tui.core.store import EventStore


def safe_json(data: bytes) -> bytes:
    """JSON text with every character a terminal could act on written as a ``\\u`` escape.

    orjson already escapes C0 controls; this also covers DEL, C1 controls, bidi overrides and
    zero-width characters, which JSON allows raw. The meaning of the JSON does not change.
    """
    if data.isascii() and b"\x7f" not in data:
        return data
    return sanitize_json(data.decode("utf-8", "replace")).encode()


def dumps(value: object, option: int = 0) -> bytes:
    """``value`` as JSON, safe for a terminal."""
    return safe_json(orjson.dumps(value, option=option))


class Printer:
    """Writes events to stdout as JSON lines.

    Lines go out exactly as read, except to a terminal: there, characters a terminal could
    act on are written as JSON escapes (same JSON, nothing raw reaches the screen). A closed
    pipe raises ``BrokenPipeError``; the session ends quietly on it.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.out = sys.stdout.buffer
        self.to_terminal = os.isatty(self.out.fileno())

    def write(self, rows: np.ndarray) -> None:
        """The events of ``rows`` (ids still in the store), in order."""
        write = self.out.write
        for row in rows.tolist():
            line = self.store.event_json(row)
            write((safe_json(line) if self.to_terminal else line) + b"\n")
        self.out.flush()
