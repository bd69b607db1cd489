"""Opening the command line's inputs as one stream of items: ``open_sources`` and ``SourceSet``.

Every spec is offered to the registered kinds of input (:mod:`.registry`); the rest are file
paths, grouped into rotated sets and opened here as file sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import stat
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from .batching import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_INTERVAL, Batcher
from .files import FileSetSource, FollowPlan, OpenedFile
from .gz import is_gzip
from .items import SourceError, SourceItem
from .merge import Lane, merged
from .pipe import PipeSource
from .protocol import Source
from .registry import OpenOptions, opener_for
from .rotated import Backup, FileGroup, group_paths, list_backups
from .stdin import STDIN


class SourceSet:
    """The inputs of one run, iterated as a single stream of items.

    Iterate it once with ``async for``. Lines of different logical sources are merged by
    event time. Without following, iteration ends when every input is read; when following
    it goes on until ``aclose``, which also releases descriptors and removes spool files.
    """

    def __init__(
        self,
        sources: list[Source],
        *,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        batch_interval: float = DEFAULT_BATCH_INTERVAL,
    ) -> None:
        self._sources = sources
        self._batcher = Batcher(batch_bytes, batch_interval)
        self._lanes: list[Lane] = []
        self._stop = asyncio.Event()
        self._bursts: AsyncGenerator[list[SourceItem]] | None = None
        self._items: AsyncGenerator[SourceItem] | None = None
        self.sources: list[Source] = list(sources)
        """The logical sources, in command-line order."""
        self.labels: list[str] = [source.label for source in sources]
        """Logical source names, as events' ``source`` field shows them."""

    def __aiter__(self) -> AsyncIterator[SourceItem]:
        self._items = _flatten(self.bursts())
        return self._items

    def bursts(self) -> AsyncIterator[list[SourceItem]]:
        """Iterate in bursts: the items that became ready together, in order.

        Lines merged from several sources come as many short batches (one per run of a
        source); a consumer that indexes a whole burst at once pays its per-call costs once.
        Use either this or ``async for``, once.
        """
        if self._bursts is not None:
            raise RuntimeError("a SourceSet can be iterated only once")
        self._lanes = [Lane(source, order) for order, source in enumerate(self._sources)]
        self._bursts = merged(self._lanes, self._batcher, self._stop)
        return self._bursts

    def finish(self) -> bool:
        """End the run gracefully: sources that can (a receiver: ``finish()``) end once they
        delivered what they accepted; the others stop where they are. Iteration then ends
        by itself. Without such a source nothing is done and False returned: stop by
        cancelling the iteration, or ``aclose``."""
        finishers = [getattr(lane.source, "finish", None) for lane in self._lanes]
        if not any(callable(finish) for finish in finishers):
            return False
        for lane, finish in zip(self._lanes, finishers, strict=True):
            if callable(finish):
                finish()
            elif not lane.ended:
                lane.end_now()
        return True

    async def aclose(self) -> None:
        """Stop reading, close every descriptor, remove spools. Safe to call twice.

        An iteration running in another task ends (without an exception) at its next step.
        """
        self._stop.set()
        for lane in self._lanes:
            lane.cancel()
        if self._lanes:
            await asyncio.gather(*(lane.task for lane in self._lanes), return_exceptions=True)
        for iterator in (self._items, self._bursts):
            if iterator is not None:
                with contextlib.suppress(RuntimeError):  # running in another task: stop ends it
                    await iterator.aclose()
        for source in self._sources:
            source.close()


async def _flatten(bursts: AsyncIterator[list[SourceItem]]) -> AsyncGenerator[SourceItem]:
    async for burst in bursts:
        for item in burst:
            yield item


def open_sources(
    paths: Sequence[str],
    *,
    follow: bool,
    stdin_fd: int | None = None,
    poll_interval: float = 0.1,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    batch_interval: float = DEFAULT_BATCH_INTERVAL,
) -> SourceSet:
    """Open every input named on the command line as one ``SourceSet``.

    Paths that are lumberjack backups of the same active file (``audit-<time>.log[.gz]``)
    form one logical source with it: backups oldest first, the plain one when both forms
    exist, the active file last. Separate logical sources are merged by event time.

    Args:
        paths: file paths, ``"-"`` for standard input, and specs of registered kinds.
        follow: keep reading active files as they grow, across rotation and truncation;
            an active file that does not exist yet is waited for.
        stdin_fd: descriptor piped events are read from (see ``detach_stdin``); the source
            set takes ownership of it. Defaults to a duplicate of fd 0.
        poll_interval: seconds between checks of a followed file that has no new data.
        batch_bytes: deliver held lines once they reach this size.
        batch_interval: otherwise deliver them at most this often (seconds).

    Raises:
        SourceError: an input cannot be read at all: missing (when not following), a
            directory, permission denied, or ``-`` given twice.
    """
    options = OpenOptions(follow=follow, poll_interval=poll_interval, stdin_fd=stdin_fd)
    sources = open_inputs(paths, options)
    return SourceSet(sources, batch_bytes=batch_bytes, batch_interval=batch_interval)


def open_inputs(paths: Sequence[str], options: OpenOptions) -> list[Source]:
    """One ``Source`` per logical input, in the order each first appears in ``paths``.

    A spec a registered kind claims is opened by it; the others are file paths. Nothing is
    left open when one input fails (``SourceError``).
    """
    if not paths:
        raise SourceError("no input: give a file path, or - for standard input")
    if list(paths).count(STDIN) > 1:
        raise SourceError("-: standard input can be read only once")
    _allow_descriptors(len(paths))
    kinds = {spec: opener_for(spec) for spec in paths}
    files = _FileOpener(options.follow, options.poll_interval)
    sources: list[Source] = []
    try:
        groups = group_paths([spec for spec in paths if kinds[spec] is None])
        owner = {path: group for group in groups for path in group.members}
        opened: list[FileGroup] = []
        for spec in paths:
            kind = kinds[spec]
            if kind is not None:
                sources.append(kind.open(spec, options))
                continue
            group = owner[spec]
            if not any(group is seen for seen in opened):
                opened.append(group)
                sources.append(files.open_group(group))
    except BaseException:
        for source in sources:
            source.close()
        raise
    return sources


def _allow_descriptors(count: int) -> None:
    """Every file stays open for re-reading; a rotated set kept for months can hold thousands
    of backups, more than the usual soft limit of 1024 descriptors. Raise it towards the hard
    limit when needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count * 2 + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class _FileOpener:
    """Opens the files of each group now, so unreadable inputs fail before anything starts."""

    def __init__(self, follow: bool, poll_interval: float) -> None:
        self.follow = follow
        self.poll_interval = poll_interval

    def open_group(self, group: FileGroup) -> Source:
        files: list[OpenedFile] = []
        try:
            files.extend(self._open_backup(backup) for backup in group.backups)
            active = group.active
            if active is None:
                return FileSetSource(group.label, files, None)
            gzip = active.endswith(".gz")
            fd = _open_path(active, missing_ok=self.follow and not gzip)
            if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode) and not files:
                return PipeSource(fd, group.label)  # a FIFO, e.g. <(kubectl logs -f ...)
            gzip = gzip or (fd is not None and is_gzip(fd))  # by content: names may lack .gz
            if self.follow and not gzip:
                return FileSetSource(group.label, files, self._follow_plan(active, fd))
            assert fd is not None
            files.append(OpenedFile(active, fd, gzip=gzip))
            return FileSetSource(group.label, files, None)
        except BaseException:
            for opened in files:
                os.close(opened.fd)
            raise

    def _open_backup(self, backup: Backup) -> OpenedFile:
        """The plain backup, or its ``.gz`` when lumberjack compressed it since the glob."""
        if backup.plain is not None:
            fd = _open_path(backup.plain, missing_ok=backup.gzip is not None)
            if fd is not None:
                return OpenedFile(backup.plain, fd, gzip=False)
        assert backup.gzip is not None
        fd = _open_path(backup.gzip, missing_ok=False)
        assert fd is not None
        return OpenedFile(backup.gzip, fd, gzip=True)

    def _follow_plan(self, active: str, fd: int | None) -> FollowPlan:
        if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SourceError(f"{active}: not a regular file, cannot be followed")
        existing = list_backups(active)
        known_until = existing[-1].time if existing else None
        return FollowPlan(active, fd, known_until, self.poll_interval)


def _open_path(path: str, *, missing_ok: bool) -> int | None:
    """Open for reading, or raise SourceError naming the path and the reason."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise SourceError(f"{path}: no such file") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise SourceError(f"{path}: is a directory")
    if stat.S_ISREG(mode):
        os.set_blocking(fd, True)  # O_NONBLOCK only kept a FIFO without writer from hanging
    return fd
