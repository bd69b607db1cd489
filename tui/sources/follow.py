"""Following one active log file across appends, rotation, truncation and deletion.

The file is read through a descriptor that stays open, so a rename by the rotating writer
does not lose the end of the old file: when the path names a new file, the old descriptor is
read to its end first, then the new file from offset 0. Truncation in place (copytruncate)
is noticed either by the size shrinking or by the bytes just before the read position
changing, which also catches a file truncated and refilled between two polls.
"""

from __future__ import annotations

import asyncio
import enum
import os
import stat
from collections.abc import AsyncIterator
from datetime import datetime

from kaudit_tui.core.segments import FileReader

from .cursor import LineCursor
from .items import CaughtUp, LineBatch, SegmentEnd, SourceStatus
from .missed import missed_backups
from .protocol import SourceYield as Item
from .rotated import Backup, gzip_path
from .spool import SpoolReader
from .static import read_gzip, read_plain

_TAIL = 4096
"""Most bytes of the last line read that are compared to notice truncate-and-refill."""


class FollowedReader(FileReader):
    """A FileReader that can be retired when its file is truncated under it.

    After truncation the old offsets hold other bytes; a retired reader returns nothing
    rather than the wrong event's text.
    """

    retired = False

    def read_at(self, offset: int, length: int) -> bytes:
        if self.retired:
            return b""
        return super().read_at(offset, length)


class _Change(enum.Enum):
    IDLE = "idle"
    TRUNCATED = "truncated"
    MISSING = "missing"
    REPLACED = "replaced"
    DENIED = "denied"


class Follower:
    """Reads an active file as it grows, and the files that replace it, forever."""

    def __init__(
        self,
        path: str,
        label: str,
        fd: int | None,
        *,
        poll_interval: float,
        known_until: datetime | None,
        readers: list[FileReader | SpoolReader],
    ) -> None:
        self.path = path
        self.label = label
        self._poll = poll_interval
        self._known_until = known_until
        self._readers = readers
        self._state = ""
        self._message = ""
        self._reader: FollowedReader | None = None
        self._cursor: LineCursor | None = None
        self._identity = (0, 0)
        self._tail = b""
        if fd is not None:
            self._adopt(fd)

    async def items(self) -> AsyncIterator[Item]:
        if self._reader is None:
            async for item in self._wait_for_file():
                yield item
        elif status := self._set_state("reading", f"reading {self.path}"):
            yield status
        while True:
            step = await asyncio.to_thread(self._step)
            if isinstance(step, LineBatch):
                yield step
            elif step in (_Change.IDLE, _Change.MISSING, _Change.DENIED):
                if status := self._set_state(*self._quiet_state(step)):
                    yield status
                yield CaughtUp(self.label)
                await asyncio.sleep(self._poll)
            elif step is _Change.TRUNCATED:
                for item in self._restart_truncated():
                    yield item
            else:
                async for item in self._switch_to_new_file():
                    yield item

    # -- opening -------------------------------------------------------------------------
    def _adopt(self, fd: int) -> None:
        info = os.fstat(fd)
        self._identity = (info.st_dev, info.st_ino)
        self._reader = FollowedReader(self.path, self.label, fd=fd)
        self._readers.append(self._reader)
        self._cursor = LineCursor(self._reader)
        self._tail = b""

    async def _wait_for_file(self) -> AsyncIterator[Item]:
        """Open the path, waiting (and saying why) while it is missing or unreadable."""
        while True:
            problem = await asyncio.to_thread(self._try_open)
            if problem is None:
                if status := self._set_state("reading", f"reading {self.path}"):
                    yield status
                return
            state, message = problem
            if status := self._set_state(state, message):
                yield status
            yield CaughtUp(self.label)
            await asyncio.sleep(self._poll)

    def _try_open(self) -> tuple[str, str] | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return "waiting", f"{self.path}: no such file — waiting for it to appear"
        except PermissionError:
            return "error", f"{self.path}: permission denied (retrying)"
        except OSError as exc:
            return "error", f"{self.path}: {exc.strerror} (retrying)"
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return "error", f"{self.path}: not a regular file (retrying)"
        self._adopt(fd)
        return None

    # -- one poll, in a worker thread ----------------------------------------------------
    def _step(self) -> LineBatch | _Change:
        reader, cursor = self._reader, self._cursor
        assert reader is not None and cursor is not None
        if (
            self._tail
            and reader.read_at(cursor.pos - len(self._tail), len(self._tail)) != self._tail
        ):
            return _Change.TRUNCATED
        batch = cursor.read_batch(final=False)
        if batch is not None:
            last_line = batch.data.rfind(b"\n", 0, len(batch.data) - 1) + 1
            self._tail = batch.data[max(last_line, len(batch.data) - _TAIL) :]
            return batch
        if os.fstat(reader.fd).st_size < cursor.pos:
            return _Change.TRUNCATED
        try:
            info = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return _Change.MISSING
        except OSError:
            return _Change.DENIED
        if (info.st_dev, info.st_ino) != self._identity:
            return _Change.REPLACED
        return _Change.IDLE

    # -- changes -------------------------------------------------------------------------
    def _restart_truncated(self) -> list[Item]:
        """Same file, shorter: old offsets are void, so read it again from the start."""
        old = self._reader
        assert old is not None
        old.retired = True
        self._adopt(os.dup(old.fd))
        message = f"{self.path} was truncated; reading it again from the start"
        self._state, self._message = "truncated", message
        return [SegmentEnd(old), SourceStatus(self.label, "truncated", message)]

    async def _switch_to_new_file(self) -> AsyncIterator[Item]:
        """The path names another file: finish the old one, then any rotations missed."""
        old, cursor = self._reader, self._cursor
        assert old is not None and cursor is not None
        while batch := await cursor.next_batch(final=True):
            yield batch
        yield SegmentEnd(old)
        # Say "rotated" rather than "reading" once the new file opens.
        self._state, self._message = "reading", f"reading {self.path}"
        async for item in self._wait_for_file():
            yield item
        message = f"{self.path} was rotated; reading the new file"
        self._state, self._message = "rotated", message
        yield SourceStatus(self.label, "rotated", message)
        assert self._reader is not None
        missed, self._known_until = await asyncio.to_thread(
            missed_backups, self.path, self._known_until, old.fd, self._reader.fd
        )
        for backup in missed:
            async for item in self._read_backup(backup):
                yield item

    async def _read_backup(self, backup: Backup) -> AsyncIterator[Item]:
        """Read a backup never held open: plain if it still is, else its ``.gz``.

        It may have been listed as plain only, then compressed (the plain file removed) before
        it is opened here, so the ``.gz`` is tried by name even when the listing had none. A
        backup that cannot be read at all is reported: its events are missing.
        """
        problem = "removed before it could be read"
        for path, compressed in ((backup.plain, False), (gzip_path(backup), True)):
            if path is None:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # compressed meanwhile: try the .gz
            except OSError as exc:
                problem = exc.strerror or str(exc)
                continue
            yield SourceStatus(self.label, "reading", f"reading missed backup {path}")
            if compressed:
                spool = SpoolReader(self.label)
                self._readers.append(spool)
                async for item in read_gzip(fd, path, spool):
                    yield item
            else:
                reader = FileReader(path, self.label, fd=fd)
                self._readers.append(reader)
                async for item in read_plain(reader):
                    yield item
            return
        message = f"{backup.preferred}: {problem}; the events in it are missing"
        yield SourceStatus(self.label, "error", message)

    def _quiet_state(self, step: _Change) -> tuple[str, str]:
        """State and message while there is nothing new to read, by the reason why."""
        if step is _Change.MISSING:
            return "waiting", f"{self.path} was removed or renamed; waiting for it to come back"
        if step is _Change.DENIED:
            return "error", f"{self.path}: cannot check for rotation (permission denied; retrying)"
        return "following", f"following {self.path}"

    def _set_state(self, state: str, message: str) -> SourceStatus | None:
        """A status to report, unless it says what the last one said (polls repeat)."""
        if (state, message) == (self._state, self._message):
            return None
        self._state, self._message = state, message
        return SourceStatus(self.label, state, message)
