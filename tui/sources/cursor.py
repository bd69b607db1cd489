"""Reading complete lines from a growing byte stream, in large chunks, off the event loop."""

from __future__ import annotations

import asyncio

from kaudit_tui.core.segments import RawReader

from .items import LineBatch

CHUNK = 1 << 20
"""Bytes per read: large, so the hop to a worker thread is cheap next to the work it does."""


class LineCursor:
    """The read position in one reader, and the step that turns new bytes into a LineBatch.

    Nothing past the last newline is consumed, so a line a writer has only half written is
    read again (whole) on a later call. That keeps the cursor stateless apart from ``pos``,
    and every batch it hands out is exactly re-readable at its offset.
    """

    def __init__(self, reader: RawReader, pos: int = 0, chunk: int = CHUNK) -> None:
        self.reader = reader
        self.pos = pos
        self._chunk = chunk

    async def next_batch(self, *, final: bool) -> LineBatch | None:
        """Return the next complete lines after ``pos``, or None if there are none yet.

        Args:
            final: the reader will not grow any more, so an unterminated last line is taken.
        """
        return await asyncio.to_thread(self.read_batch, final=final)

    def read_batch(self, *, final: bool) -> LineBatch | None:
        """Synchronous body of ``next_batch``, for callers already in a worker thread."""
        size = self._chunk
        while True:
            data = self.reader.read_at(self.pos, size)
            at_end = len(data) < size
            cut = len(data) if final and at_end else data.rfind(b"\n") + 1
            if cut:
                batch = LineBatch(self.reader, self.pos, data if cut == len(data) else data[:cut])
                self.pos += cut
                return batch
            if at_end:
                return None
            size *= 2  # one line longer than the chunk: read further until its newline
