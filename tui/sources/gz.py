"""Streaming decompression of ``.gz`` backups into a private spool, or against a file.

Random access into gzip means decompressing from the start, which would make every open of
the detail view as slow as reading the whole backup; decompressing once into a spool makes
re-reading an event one ``pread``. The disk cost is the backup's plain size, the same as if
lumberjack had not compressed it. Decompressing against a file tells whether a backup is a
file already read (see ``missed``).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from typing import Protocol

from kaudit_tui.core.segments import pread_fully

IN_CHUNK = 1 << 18
OUT_CHUNK = 1 << 22
"""Bound on decompressed bytes per step, so a highly compressible backup cannot balloon memory."""


MAGIC = b"\x1f\x8b"


def is_gzip(fd: int) -> bool:
    """Does the regular file open as ``fd`` hold gzip data? Told from its first bytes, not its
    name: a Firehose object or a saved CloudWatch Logs payload has no suffix."""
    try:
        return os.pread(fd, len(MAGIC), 0) == MAGIC
    except OSError:
        return False


class GzipError(Exception):
    """The ``.gz`` is incomplete or corrupt; the message says which."""


class Sink(Protocol):
    """Where decompressed bytes go: a ``SpoolReader``, or a comparison with a file."""

    def append(self, data: bytes) -> None: ...


class GzipInflater:
    """Decompresses one gzip file into a spool, one bounded step at a time.

    ``gzip.GzipFile`` does the work: concatenated members read as one stream (as ``zcat``
    reads them), zero padding after the last member is ignored, the CRC and length of every
    member are checked. It reads ``fd`` from its current position, which is the start: the
    descriptor is opened for this reading alone.
    """

    def __init__(self, fd: int, spool: Sink) -> None:
        self.spool = spool
        self._file = open(fd, "rb", buffering=IN_CHUNK, closefd=False)  # noqa: SIM115
        self._gzip = gzip.GzipFile(fileobj=self._file, mode="rb")
        self.done = False

    def step(self) -> None:
        """Decompress up to ``OUT_CHUNK`` more bytes into the spool; sets ``done`` at the end.

        Each piece goes to the spool as soon as it is decompressed, so when the stream turns
        out to be damaged the lines before the damage are there.

        Raises:
            GzipError: the stream is truncated (the backup is still being written) or corrupt.
        """
        produced = 0
        while produced < OUT_CHUNK:
            try:
                out = self._gzip.read1(OUT_CHUNK - produced)
            except EOFError:
                self._close()
                raise GzipError("the compressed stream ends early (still being written?)") from None
            except (gzip.BadGzipFile, zlib.error) as exc:
                self._close()
                raise GzipError(f"corrupt gzip data ({exc})") from None
            if not out:
                self._close()
                self.done = True
                return
            self.spool.append(out)
            produced += len(out)

    def _close(self) -> None:
        self._gzip.close()
        self._file.close()  # the descriptor stays open: its owner closes it


class StreamInflater:
    """Decompresses gzip data as it arrives (a pipe), member after member, in pieces of at most
    ``OUT_CHUNK`` bytes, as :class:`GzipInflater` reads a file."""

    def __init__(self) -> None:
        self._member = zlib.decompressobj(wbits=31)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decompressed bytes ``data`` completes, piece by piece.

        Raises:
            GzipError: the data is corrupt.
        """
        member = self._member
        while data:
            if not self._started:
                data = data.lstrip(b"\0")  # zero padding after a member, as gzip allows
                if not data:
                    return
                self._started = True
            try:
                out = member.decompress(data, OUT_CHUNK)
            except zlib.error as exc:
                raise GzipError(f"corrupt gzip data ({exc})") from None
            if out:
                yield out
            if member.eof:  # the next member, if any, starts here
                data = member.unused_data
                self._member = member = zlib.decompressobj(wbits=31)
                self._started = False
            else:
                data = member.unconsumed_tail

    def finish(self) -> None:
        """The data has ended.

        Raises:
            GzipError: it ended inside a member.
        """
        if self._started:
            raise GzipError("the compressed stream ends early")


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
