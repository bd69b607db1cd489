"""A logical source made of files: finished segments read in order, the active file last."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from kaudit_tui.core.segments import FileReader

from .items import CaughtUp, LineBatch, SegmentEnd, SourceStatus
from .spool import SpoolReader
from .static import read_gzip, read_plain

Item = LineBatch | SegmentEnd | SourceStatus | CaughtUp


@dataclass(slots=True)
class OpenedFile:
    """A path opened (and checked) when the source set was opened."""

    path: str
    fd: int
    gzip: bool


class FileSetSource:
    """Reads each opened file once, in the given order, as one logical source."""

    def __init__(self, label: str, files: list[OpenedFile]) -> None:
        self.label = label
        self._files = files
        self._readers: list[FileReader | SpoolReader] = []

    async def items(self) -> AsyncIterator[Item]:
        for opened in self._files:
            yield SourceStatus(self.label, "reading", f"reading {opened.path}")
            if opened.gzip:
                spool = SpoolReader(self.label)
                self._readers.append(spool)
                fd, opened.fd = opened.fd, -1  # read_gzip closes it when done
                async for item in read_gzip(fd, opened.path, spool):
                    yield item
            else:
                reader = FileReader(opened.path, self.label, fd=opened.fd)
                opened.fd = -1
                self._readers.append(reader)
                async for item in read_plain(reader):
                    yield item
        yield SourceStatus(self.label, "ended", f"{self.label}: read to the end")

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        for opened in self._files:
            if opened.fd >= 0:
                os.close(opened.fd)
                opened.fd = -1
