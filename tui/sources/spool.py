"""Private spool files: where piped and decompressed bytes are kept so they can be re-read.

The event index stores only locators, so bytes that do not live in a seekable file (a pipe,
the decompressed text of a ``.gz`` backup) are appended to an anonymous temporary file first.
The file is created with mode 0600 and has no name in any directory (``O_TMPFILE``, or unlinked
at once where that is unavailable): nothing is left behind, even if the process is killed.
"""

from __future__ import annotations

import os
import tempfile

from kaudit_tui.core.segments import pread_fully

_ENV_DIR = "KAUDIT_TUI_SPOOL_DIR"


def spool_dir() -> str | None:
    """Directory for spool files: ``$KAUDIT_TUI_SPOOL_DIR``, ``$TMPDIR``, else ``/var/tmp``.

    ``/var/tmp`` is preferred over ``/tmp`` because ``/tmp`` is often a RAM-backed tmpfs, and a
    spool of a long pipe must not grow memory.
    """
    for candidate in (os.environ.get(_ENV_DIR), os.environ.get("TMPDIR"), "/var/tmp"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return None


class SpoolReader:
    """An append-only anonymous temporary file that is also a ``RawReader``.

    Appends happen on the event loop thread while reads may run in worker threads; that is
    safe because bytes, once written, never change.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._file = tempfile.TemporaryFile(dir=spool_dir(), prefix="kaudit-tui-", buffering=0)
        self._fd = self._file.fileno()
        self.size = 0
        """Number of bytes appended so far."""

    @property
    def fd(self) -> int:
        return self._fd

    def append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, self.size)
            self.size += written
            view = view[written:]

    def read_at(self, offset: int, length: int) -> bytes:
        return pread_fully(self._fd, offset, max(0, min(length, self.size - offset)))

    def close(self) -> None:
        self._file.close()
        self._fd = -1

    def __repr__(self) -> str:
        return f"SpoolReader(label={self.label!r}, size={self.size})"
