"""Streaming decompression of ``.gz`` backups into a private spool, or against a file.

Random access into gzip means decompressing from the start, which would make every open of
the detail view as slow as reading the whole backup; decompressing once into a spool makes
re-reading an event one ``pread``. The disk cost is the backup's plain size, the same as if
lumberjack had not compressed it. Decompressing against a file tells whether a backup is a
file already read (see ``missed``).
"""

from __future__ import annotations

import os
import zlib
from typing import Protocol

from kaudit_tui.core.segments import pread_fully

IN_CHUNK = 1 << 18
OUT_CHUNK = 1 << 22
"""Bound on decompressed bytes per step, so a highly compressible backup cannot balloon memory."""


class GzipError(Exception):
    """The ``.gz`` is incomplete or corrupt; the message says which."""


class Sink(Protocol):
    """Where decompressed bytes go: a ``SpoolReader``, or a comparison with a file."""

    def append(self, data: bytes) -> None: ...


class GzipInflater:
    """Decompresses one gzip file (all its members) into a spool, one bounded step at a time."""

    def __init__(self, fd: int, spool: Sink) -> None:
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


class _Comparison:
    """A sink that checks decompressed bytes against a file instead of keeping them."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.size = 0
        self.same = True

    def append(self, data: bytes) -> None:
        if self.same and pread_fully(self._fd, self.size, len(data)) != data:
            self.same = False
        self.size += len(data)


def same_content(gz_fd: int, fd: int) -> bool:
    """Whether the ``.gz`` open as ``gz_fd`` decompresses to exactly the bytes of ``fd``.

    Stops at the first step that differs. An incomplete or corrupt ``.gz``, or one that
    cannot be read, is not the same.
    """
    check = _Comparison(fd)
    inflater = GzipInflater(gz_fd, check)
    try:
        while check.same and not inflater.done:
            inflater.step()
    except (GzipError, OSError):
        return False
    return check.same and check.size == os.fstat(fd).st_size
