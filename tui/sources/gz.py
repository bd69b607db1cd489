"""Streaming decompression of ``.gz`` backups into a private spool.

Random access into gzip means decompressing from the start, which would make every open of
the detail view as slow as reading the whole backup; decompressing once into a spool makes
re-reading an event one ``pread``. The disk cost is the backup's plain size, the same as if
lumberjack had not compressed it.
"""

from __future__ import annotations

import os
import zlib

from .spool import SpoolReader

IN_CHUNK = 1 << 18
OUT_CHUNK = 1 << 22
"""Bound on decompressed bytes per step, so a highly compressible backup cannot balloon memory."""


class GzipError(Exception):
    """The ``.gz`` is incomplete or corrupt; the message says which."""


class GzipInflater:
    """Decompresses one gzip file (all its members) into a spool, one bounded step at a time."""

    def __init__(self, fd: int, spool: SpoolReader) -> None:
        self._fd = fd
        self.spool = spool
        self._in_pos = 0
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = b""
        self._member_started = False
        self.done = False

    def step(self) -> None:
        """Decompress up to ``OUT_CHUNK`` more bytes into the spool; sets ``done`` at the end.

        Raises:
            GzipError: the stream is truncated (the backup is still being written) or corrupt.
        """
        data = self._pending or self._read_input()
        if not data:
            self._finish()
            return
        if not self._member_started and not data.strip(b"\0"):
            self._pending = b""  # zero padding after the last member, as gzip tolerates
            return
        self._member_started = True
        try:
            out = self._inflate.decompress(data, OUT_CHUNK)
        except zlib.error as exc:
            raise GzipError(f"corrupt gzip data ({exc})") from None
        self._pending = self._inflate.unconsumed_tail
        self.spool.append(out)
        if self._inflate.eof:
            self._next_member(self._inflate.unused_data)

    def _finish(self) -> None:
        if self._member_started:
            self.spool.append(self._inflate.flush())  # output zlib may still hold back
            if not self._inflate.eof:
                raise GzipError("the compressed stream ends early (still being written?)")
        self.done = True

    def _read_input(self) -> bytes:
        data = os.pread(self._fd, IN_CHUNK, self._in_pos)
        self._in_pos += len(data)
        return data

    def _next_member(self, rest: bytes) -> None:
        """Concatenated gzip members form one stream, as ``zcat`` reads them."""
        self._member_started = False
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = rest
