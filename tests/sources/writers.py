"""Shared parts of the source tests: audit event lines, and collecting what sources deliver."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from kaudit_tui.sources import LineBatch, SegmentEnd, SourceSet, SourceStatus
from tests.events import event_line

BASE_TIME = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


def micro_time(seconds: float) -> str:
    """A kube-apiserver micro time ``seconds`` after BASE_TIME."""
    return (BASE_TIME + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timed_line(audit_id: str, seconds: float = 0.0, *, pad: int = 0) -> bytes:
    """One compact v1 audit event line, like kube-apiserver's log backend writes, logged
    ``seconds`` after BASE_TIME (``pad`` lengthens its user agent)."""
    return event_line(
        audit_id=audit_id,
        uri="/api/v1/namespaces/default/pods?limit=500",
        verb="list",
        agent="kubectl/v1.36.0" + "x" * pad,
        received=micro_time(seconds),
        stage_time=micro_time(seconds),
    )


def timed_lines(prefix: str, count: int, start: float = 0.0, step: float = 0.001) -> bytes:
    """``count`` lines with the audit IDs ``prefix-0``, ``prefix-1``, … ``step`` seconds apart."""
    return b"".join(timed_line(f"{prefix}-{i}", start + i * step) for i in range(count))


def ids(prefix: str, count: int) -> Counter[str]:
    return Counter(f"{prefix}-{i}" for i in range(count))


@dataclass
class Collected:
    """Everything a source set delivered, with the lines checked against their readers."""

    lines: list[bytes] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    batches: list[LineBatch] = field(default_factory=list)
    ends: list[SegmentEnd] = field(default_factory=list)
    statuses: list[SourceStatus] = field(default_factory=list)
    ordered_ids: list[str] = field(default_factory=list)

    def add(self, item: object) -> None:
        if isinstance(item, LineBatch):
            assert item.data, "empty batch"
            assert item.reader.read_at(item.offset, len(item.data)) == item.data
            self.batches.append(item)
            for line in item.data.splitlines():
                self.lines.append(line)
                self.labels.append(item.reader.label)
                if line.strip():
                    self.ordered_ids.append(orjson.loads(line)["auditID"])
        elif isinstance(item, SegmentEnd):
            self.ends.append(item)
        else:
            assert isinstance(item, SourceStatus), item
            self.statuses.append(item)

    @property
    def audit_ids(self) -> Counter[str]:
        return Counter(self.ordered_ids)

    def states(self, label: str | None = None) -> list[str]:
        return [s.state for s in self.statuses if label is None or s.label == label]


async def collect(sources: SourceSet, timeout: float = 20.0) -> Collected:
    """Iterate a source set to its end (it must end by itself)."""
    got = Collected()

    async def run() -> None:
        async for item in sources:
            got.add(item)

    try:
        await asyncio.wait_for(run(), timeout)
    finally:
        await sources.aclose()
    return got


class Live:
    """A source set iterated in the background while a test writes to its files.

    With ``hold``, iteration stops after the first item it matches until ``resume``: a source
    can read ahead only a few items (its queue is bounded), so a test can change files while
    the reader is known to be blocked at a given point.
    """

    def __init__(self, sources: SourceSet, hold: Callable[[object], bool] | None = None) -> None:
        self.sources = sources
        self.got = Collected()
        self.holding = asyncio.Event()
        self._hold = hold
        self._resume = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for item in self.sources:
            self.got.add(item)
            if self._hold is not None and self._hold(item):
                self._hold = None
                self.holding.set()
                await self._resume.wait()

    def resume(self) -> None:
        self._resume.set()

    async def wait_for(self, predicate: Callable[[Collected], bool], timeout: float = 15.0) -> None:
        """Wait until ``predicate(got)`` holds; fail with what was seen if it never does."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate(self.got):
            if self.task.done():
                self.task.result()  # raises what the iteration raised
                assert predicate(self.got), f"iteration ended early: {self.got.statuses}"
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"timed out; {len(self.got.ordered_ids)} events, {self.got.statuses}"
                )
            await asyncio.sleep(0.01)

    async def wait_ids(self, expected: Counter[str], timeout: float = 15.0) -> None:
        """Wait until at least ``expected`` has been read, then check nothing else was."""
        await self.wait_for(
            lambda got: sum(got.audit_ids.values()) >= sum(expected.values()), timeout
        )
        await asyncio.sleep(0.3)  # a few more polls: anything doubled would show up now
        assert self.got.audit_ids == expected

    async def close(self) -> None:
        await self.sources.aclose()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def __aenter__(self) -> Live:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def append(path: os.PathLike[str] | str, data: bytes) -> None:
    """Append like a log writer: one write call on an O_APPEND descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@contextlib.contextmanager
def unreadable(path: os.PathLike[str] | str) -> Iterator[None]:
    """Make ``path`` unreadable to this process, even when the tests run as root.

    Root ignores file modes, so as root the effective uid is switched to ``nobody`` for the
    duration (the real uid stays 0, so switching back is allowed).
    """
    os.chmod(path, 0o000)
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
