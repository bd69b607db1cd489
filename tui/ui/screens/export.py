"""Exporting the view: ask for a path, then write every shown event as one JSON line.

Events are written as logged (JSON lines exactly as read; documents and legacy lines as compact
JSON): the file is as sensitive as the log it comes from, so it is always mode 0600. It is
written under a temporary name in the same folder and renamed over the target at the end, so a
replaced file never keeps its old mode and a failed export leaves the old file as it was. A path
that exists is replaced only after the user says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import aiofiles
import numpy as np
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.ui.widgets.ordered_input import OrderedInput

CHUNK = 4096


class ExportError(Exception):
    """An export that could not be written; ``str()`` is a sentence naming the path."""


def _reason(error: OSError, path: Path) -> str:
    """What went wrong, in words (the error's own text is ``[Errno 2] ...``)."""
    if error.errno == errno.ENOENT:
        return f"cannot export to {path}: the folder {path.parent} does not exist"
    if error.errno == errno.ENOTDIR:
        return f"cannot export to {path}: {path.parent} is not a folder"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot export to {path}: no permission to write in {path.parent}"
    if error.errno == errno.ENOSPC:
        return f"cannot export to {path}: the disk is full (the file was not changed)"
    reason = (error.strerror or str(error)).lower()
    return f"cannot export to {path}: {reason}"


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
    """Write ``rows`` to ``path`` as JSON lines, mode 0600; returns how many were written
    (rows dropped meanwhile to stay within ``--max-events`` are left out).

    An export can be millions of events: events are read back from disk in a worker thread
    and written through aiofiles, a chunk at a time, so the screen keeps answering keys.

    Raises:
        ExportError: the file cannot be created or written (a sentence naming the path).
    """
    written = 0
    with _replacing(path) as fd:
        async with aiofiles.open(fd, "wb") as out:
            for start in range(0, len(rows), CHUNK):
                if cancelled():
                    break
                lines = await asyncio.to_thread(_render, store, rows[start : start + CHUNK])
                await out.write(b"".join(lines))
                written += len(lines)
    return written


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, mode 0600, replacing it only once all is written.

    Raises:
        ExportError: the file cannot be created or written (a sentence naming the path).
    """
    with _replacing(path) as fd, os.fdopen(fd, "wb") as out:
        out.write(data)


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[int]:
    """A new file (its descriptor, mode 0600) beside ``path``, renamed over it when the block
    ends; removed instead if the block fails, so ``path`` is either whole and new or as it was.

    Raises:
        ExportError: the file cannot be created, written or renamed (a sentence naming it).
    """
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    except OSError as error:
        raise ExportError(_reason(error, path)) from None
    try:
        yield fd
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise ExportError(_reason(error, path)) from None
        raise


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write the view (or ``what`` is named); dismisses with the path, or None
    on Esc."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, count: int, default: str, what: str | None = None) -> None:
        super().__init__()
        self.count = count
        self.default = default
        self.what = what if what is not None else f"{count:,} events as JSON lines"

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label(sanitize(f"Export {self.what} to:"))
            yield OrderedInput(self.default, id="export-path")
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
        if not path.parent.is_dir():
            message = f"the folder {path.parent} does not exist"
            self.notify(sanitize(message), severity="error", markup=False)
            return
        if path.exists() or path.is_symlink():
            self.app.push_screen(ReplaceScreen(path), self._replace_answered)
            return
        self.dismiss(path)

    def _replace_answered(self, replace: bool | None) -> None:
        if replace:
            self.dismiss(self._path())
        else:
            self.query_one("#export-path", Input).focus()

    def _path(self) -> Path:
        return Path(os.path.expanduser(self.query_one("#export-path", Input).value.strip()))


class ReplaceScreen(ModalScreen[bool]):
    """``replace PATH? (y/n)``: ``y`` answers yes; any other key keeps the file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label(sanitize(f"replace {self.path}? (y/n)"), id="replace-question")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(event.key == "y")
