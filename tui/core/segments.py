"""Where raw event text lives: readers over the files the index points into.

The event index keeps only a locator (segment, offset, length) per event. A segment is one
readable byte stream: a log file (kept open so it stays readable after rotation or deletion),
a decompressed backup, or the private spool file of a stdin pipe. Sources create the readers;
the store assigns each reader a small segment number the first time it sees it.
"""

from __future__ import annotations

import os
from typing import Protocol


class RawReader(Protocol):
    """A byte stream that raw event text can be read back from."""

    label: str
    """Logical source name: shown in the UI and matched by the ``source:`` query field."""

    def read_at(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes starting at ``offset`` (fewer only at the end)."""
        ...


def pread_fully(fd: int, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` (fewer only at end of file), however reads split."""
    chunks: list[bytes] = []
    while length > 0:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(chunks)


class FileReader:
    """Reads from a file descriptor that is kept open for the life of the reader.

    Holding the descriptor (rather than the path) is what keeps events readable after
    kube-apiserver renames the file on rotation, or after the file is deleted.
    """

    def __init__(self, path: str, label: str | None = None, *, fd: int | None = None) -> None:
        self.path = path
        self.label = label if label is not None else path
        self._fd = fd if fd is not None else os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    @property
    def fd(self) -> int:
        return self._fd

    def read_at(self, offset: int, length: int) -> bytes:
        return pread_fully(self._fd, offset, length)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __repr__(self) -> str:
        return f"FileReader({self.path!r}, label={self.label!r})"
