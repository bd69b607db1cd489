"""A logical source made of files: backups read once in order, then the active file.

The active file is either read to its end too, or followed (``Follower``) when the source set
follows. Every reader created is kept here so ``close`` can release its descriptor.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime

import msgspec

from kaudit_tui.core.segments import FileReader

from .follow import Follower
from .items import SourceStatus
from .protocol import SourceYield as Item
from .spool import SpoolReader
from .static import read_gzip, read_plain


class OpenedFile(msgspec.Struct):
    """A path opened (and so checked) when the source set was opened."""

    path: str
    fd: int
    gzip: bool


class FollowPlan(msgspec.Struct):
    """The active file to follow once the finished files are read."""

    path: str
    fd: int | None
    """None while the file does not exist yet."""
    known_until: datetime | None
    """Time of the newest backup that existed at start: later ones appear during the run."""
    poll_interval: float


class FileSetSource:
    """Reads finished files in order, then follows the active file if asked to."""

    def __init__(self, label: str, files: list[OpenedFile], follow: FollowPlan | None) -> None:
        self.label = label
        self._files = files
        self._follow = follow
        self._readers: list[FileReader | SpoolReader] = []

    async def items(self) -> AsyncIterator[Item]:
        for opened in self._files:
            yield SourceStatus(self.label, "reading", f"reading {opened.path}")
            fd, opened.fd = opened.fd, -1  # the reader (or read_gzip) owns it from here
            if opened.gzip:
                spool = SpoolReader(self.label)
                self._readers.append(spool)
                async for item in read_gzip(fd, opened.path, spool):
                    yield item
            else:
                reader = FileReader(opened.path, self.label, fd=fd)
                self._readers.append(reader)
                async for item in read_plain(reader):
                    yield item
        if self._follow is None:
            yield SourceStatus(self.label, "ended", f"{self.label}: read to the end")
            return
        plan, self._follow = self._follow, None
        follower = Follower(
            plan.path,
            self.label,
            plan.fd,
            poll_interval=plan.poll_interval,
            known_until=plan.known_until,
            readers=self._readers,
        )
        async for live in follower.items():
            yield live

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        for opened in self._files:
            if opened.fd >= 0:
                os.close(opened.fd)
                opened.fd = -1
        if self._follow is not None and self._follow.fd is not None:
            os.close(self._follow.fd)
            self._follow.fd = None
