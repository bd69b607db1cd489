"""Private spool files: where piped and decompressed bytes are kept so they can be re-read.

The event index stores only locators, so bytes that do not live in a seekable file (a pipe,
the decompressed text of a ``.gz`` backup) are appended to an anonymous temporary file first.
The file is created with mode 0600 and has no name in any directory (``O_TMPFILE``, or unlinked
at once where that is unavailable): nothing is left behind, even if the process is killed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kaudit_tui.core.segments import pread_fully

from .items import SourceError

if TYPE_CHECKING:
    import tempfile

_ENV_DIR = "KAUDIT_TUI_SPOOL_DIR"


def spool_dirs() -> list[str]:
    """Where spool files may go, in order: ``$KAUDIT_TUI_SPOOL_DIR``, ``$TMPDIR``,
    ``/var/tmp``, then ``/tmp``.

    ``/var/tmp`` is preferred over ``/tmp`` because ``/tmp`` is often a RAM-backed tmpfs, and a
    spool of a long pipe must not grow memory.
    """
    candidates = (os.environ.get(_ENV_DIR), os.environ.get("TMPDIR"), "/var/tmp", "/tmp")
    return list(dict.fromkeys(c for c in candidates if c))


def _create(label: str) -> tuple[tempfile._TemporaryFileWrapper[bytes], str]:
    """A new anonymous spool file in the first directory that takes one."""
    import tempfile  # here: only a pipe or a .gz backup needs a spool

    problems = []
    for directory in spool_dirs():
        try:
            file = tempfile.TemporaryFile(dir=directory, prefix="kaudit-tui-", buffering=0)
        except OSError as exc:
            problems.append(f"{directory}: {exc.strerror or exc}")
        else:
            return file, directory  # type: ignore[return-value]
    raise SourceError(
        f"{label}: cannot create a spool file ({'; '.join(problems)}); "
        f"set {_ENV_DIR} to a writable directory"
    )


class SpoolReader:
    """An append-only anonymous temporary file that is also a ``RawReader``.

    Appends happen on the event loop thread while reads may run in worker threads; that is
    safe because bytes, once written, never change.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._file, self.directory = _create(label)
        self._fd = self._file.fileno()
        self.size = 0
        """Number of bytes appended so far."""

    @property
    def fd(self) -> int:
        return self._fd

    def append(self, data: bytes) -> None:
        """Append ``data``; on OSError (a full disk) what was written so far stays readable."""
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
