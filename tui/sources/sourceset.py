"""Opening the command line's inputs as one stream of items: ``open_sources`` and ``SourceSet``."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from .files import FileSetSource, OpenedFile
from .items import CaughtUp, LineBatch, SegmentEnd, SourceError, SourceItem, SourceStatus
from .pipe import PipeSource

STDIN = "-"
STDIN_LABEL = "stdin"


class LogicalSource(Protocol):
    """One named stream of events: a file with its rotated backups, or a pipe."""

    label: str

    def items(self) -> AsyncIterator[LineBatch | SegmentEnd | SourceStatus | CaughtUp]: ...

    def close(self) -> None: ...


class SourceSet:
    """The inputs of one run, iterated as a single stream of items.

    Iterate it once with ``async for``; call ``aclose`` when done (it also ends an iteration
    that is still running, and removes spool files).
    """

    def __init__(self, sources: list[LogicalSource]) -> None:
        self._sources = sources
        self.labels: list[str] = [source.label for source in sources]
        """Logical source names, as events' ``source`` field shows them."""

    def __aiter__(self) -> AsyncIterator[SourceItem]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[SourceItem]:
        for source in self._sources:
            async for item in source.items():
                if not isinstance(item, CaughtUp):
                    yield item

    async def aclose(self) -> None:
        for source in self._sources:
            source.close()


def open_sources(
    paths: Sequence[str],
    *,
    follow: bool,
    stdin_fd: int | None = None,
    poll_interval: float = 0.1,
) -> SourceSet:
    """Open every input named on the command line.

    Args:
        paths: file paths, and ``"-"`` for standard input.
        follow: keep reading files as they grow, across rotation and truncation.
        stdin_fd: descriptor piped events are read from (see ``detach_stdin``); the source
            set takes ownership of it. Defaults to a duplicate of fd 0.
        poll_interval: seconds between checks of a followed file that has no new data.

    Raises:
        SourceError: an input cannot be read at all (missing while not following, a
            directory, permission denied).
    """
    if not paths:
        raise SourceError("no input: give a file path, or - for standard input")
    sources: list[LogicalSource] = []
    try:
        for path in paths:
            sources.append(_open_one(path, stdin_fd))
    except BaseException:
        for source in sources:
            source.close()
        raise
    return SourceSet(sources)


def _open_one(path: str, stdin_fd: int | None) -> LogicalSource:
    if path == STDIN:
        fd = stdin_fd if stdin_fd is not None else os.dup(0)
        return _source_for_fd(fd, STDIN_LABEL, STDIN_LABEL)
    return _source_for_fd(_open_path(path), path, path)


def _open_path(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from None


def _source_for_fd(fd: int, path: str, label: str) -> LogicalSource:
    """A regular file is read in place; a pipe, FIFO or terminal is spooled."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise SourceError(f"{path}: is a directory")
    if stat.S_ISREG(mode):
        _set_blocking(fd)
        return FileSetSource(label, [OpenedFile(path, fd, gzip=path.endswith(".gz"))])
    return PipeSource(fd, label)


def _set_blocking(fd: int) -> None:
    """Opening with O_NONBLOCK keeps a FIFO with no writer from hanging ``open``."""
    os.set_blocking(fd, True)
