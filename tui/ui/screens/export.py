"""Exporting the view: ask for a path, then write every shown event as one JSON line.

Events are written as logged (JSON lines exactly as read; documents and legacy lines as compact
JSON): the file is as sensitive as the log it comes from, so it is created with mode 0600.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import aiofiles
import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore

CHUNK = 4096


def _create_private(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_CLOEXEC, 0o600)


def _render(store: EventStore, rows: np.ndarray) -> list[bytes]:
    """The JSON lines of ``rows``, leaving out rows dropped since the view was taken."""
    lines = []
    for row in rows.tolist():
        try:
            lines.append(store.event_json(row) + b"\n")
        except LookupError:  # dropped to stay within --max-events
            continue
    return lines


async def export_rows(
    store: EventStore,
    rows: np.ndarray,
    path: Path,
    cancelled: Callable[[], bool] = lambda: False,
) -> int:
    """Write ``rows`` to ``path`` as JSON lines; returns how many were written (rows dropped
    meanwhile to stay within ``--max-events`` are left out).

    An export can be millions of events: events are read back from disk in a worker thread
    and written through aiofiles, a chunk at a time, so the screen keeps answering keys.

    Raises:
        OSError: the file cannot be created or written (the message names the path).
    """
    written = 0
    async with aiofiles.open(path, "wb", opener=_create_private) as out:
        for start in range(0, len(rows), CHUNK):
            if cancelled():
                break
            lines = await asyncio.to_thread(_render, store, rows[start : start + CHUNK])
            await out.write(b"".join(lines))
            written += len(lines)
    return written


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write the view; dismisses with the path, or None on Esc."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, count: int, default: str) -> None:
        super().__init__()
        self.count = count
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label(f"Export {self.count:,} events as JSON lines to:")
            yield Input(self.default, id="export-path")
            yield Label("Enter writes the file, Esc cancels.", classes="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify("give a file path", severity="warning", markup=False)
            return
        path = Path(os.path.expanduser(text))
        if path.is_dir():
            self.notify(sanitize(f"{path} is a directory"), severity="error", markup=False)
            return
        self.dismiss(path)
