"""Reading complete lines from a growing byte stream, in large chunks, off the event loop."""

from __future__ import annotations

import asyncio

from kaudit_tui.core.segments import RawReader

from .items import LineBatch

CHUNK = 1 << 21
"""Bytes per read: large, so the hop to a worker thread and each step of indexing a batch
are cheap next to the work they do."""
PROBE = 64 * 1024
"""Bytes read ahead of a chunk's end to find its last newline (see ``_whole_lines``)."""


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
        whole = self._whole_lines(size)
        if whole is not None:
            batch = LineBatch(self.reader, self.pos, whole)
            self.pos += len(whole)
            return batch
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

    def _whole_lines(self, size: int) -> bytes | None:
        """The complete lines within the next ``size`` bytes, read at their exact length: the
        chunk's last :data:`PROBE` bytes are read first to find where its last line ends, so
        that the batch is not a copy cut out of a larger read (a second buffer of the chunk's
        size on every batch). None when that does not work out: the end of the data is near,
        the probe holds no newline, or the data changed between the two reads."""
        if size <= PROBE:
            return None
        tail = self.reader.read_at(self.pos + size - PROBE, PROBE)
        newline = tail.rfind(b"\n")
        if len(tail) < PROBE or newline < 0:
            return None
        length = size - PROBE + newline + 1
        data = self.reader.read_at(self.pos, length)
        return data if len(data) == length and data.endswith(b"\n") else None
