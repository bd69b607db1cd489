"""Several logical sources merged into one stream ordered by event time.

Each source runs in its own task and hands its items over through a small queue (so memory
stays bounded). The merger repeatedly takes lines from the source whose next line is oldest,
which keeps each file's own order. A line can be released only when every other source
either has a later line waiting or has nothing to read right now (a live source reports that
with ``CaughtUp``); finished inputs are therefore merged exactly, and live ones as their
lines arrive. Line times come from ``line_time`` (stageTimestamp, then older fallbacks); a line
without one keeps the time of the line before it, so a multi-line document stays together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

from kaudit_tui.core.timestamps import line_time

from .batching import Batcher
from .items import CaughtUp, LineBatch, SourceError, SourceItem, SourceStatus
from .protocol import Source

QUEUE_ITEMS = 2
"""Items (batches of up to a few MiB) a source may read ahead of the merge."""

_NO_TIME = -(2**63)
_END = object()


class _Head:
    """The batch a lane offers next, and how far into it the merge has taken."""

    __slots__ = ("batch", "start", "ends", "times", "index")

    def __init__(self, batch: LineBatch) -> None:
        self.batch = batch
        self.start = 0
        self.ends: list[int] = []
        self.times: list[int] = []
        self.index = 0

    @property
    def indexed(self) -> bool:
        return bool(self.ends)

    def index_lines(self, carry: int) -> None:
        """Find line ends and times (CPU work: called in a worker thread)."""
        data, pos, size = self.batch.data, self.start, len(self.batch.data)
        while pos < size:
            newline = data.find(b"\n", pos)
            end = size if newline < 0 else newline + 1
            found = line_time(data[pos:end])
            carry = carry if found is None else found
            self.ends.append(end)
            self.times.append(carry)
            pos = end

    @property
    def time(self) -> int:
        return self.times[self.index]

    def take(self, until: int | None) -> LineBatch:
        """Lines from the current one while their time is <= ``until`` (all if None)."""
        if until is None or not self.ends:
            end = len(self.batch.data)
            self.index = len(self.ends)
        else:
            index = self.index + 1
            while index < len(self.ends) and self.times[index] <= until:
                index += 1
            end = self.ends[index - 1]
            self.index = index
        batch = self.batch
        part = LineBatch(batch.reader, batch.offset + self.start, batch.data[self.start : end])
        self.start = end
        return part

    @property
    def done(self) -> bool:
        return self.start >= len(self.batch.data)


class Lane:
    """One logical source inside the merge: its task, queue and current head."""

    def __init__(self, source: Source, order: int) -> None:
        self.source = source
        self.order = order
        self.queue: asyncio.Queue[object] = asyncio.Queue(QUEUE_ITEMS)
        self.head: _Head | None = None
        self.idle = False
        self.ended = False
        self.carry = _NO_TIME
        self.getter: asyncio.Task[object] | None = None
        self.task = asyncio.create_task(self._produce(), name=f"source {source.label}")

    async def _produce(self) -> None:
        try:
            async for item in self.source.items():
                await self.queue.put(item)
        except OSError as exc:
            message = f"{self.source.label}: read failed ({exc.strerror or exc})"
            await self.queue.put(SourceStatus(self.source.label, "error", message))
        except SourceError as exc:  # e.g. no directory takes a spool file for a .gz backup
            await self.queue.put(SourceStatus(self.source.label, "error", str(exc)))
        except Exception as exc:  # surfaced in the consumer, not lost in a task
            await self.queue.put(exc)
        await self.queue.put(_END)

    def getter_task(self) -> asyncio.Task[object]:
        if self.getter is None:
            self.getter = asyncio.create_task(self.queue.get())
        return self.getter

    def receive(self, item: object) -> SourceItem | None:
        """Take one item off the queue; control items are returned to pass straight on."""
        self.getter = None
        if isinstance(item, LineBatch):
            self.head = _Head(item)
            self.idle = False
        elif isinstance(item, CaughtUp):
            self.idle = True
        elif item is _END:
            self.ended = True
        elif isinstance(item, BaseException):
            raise item
        else:
            return item  # type: ignore[return-value]
        return None

    async def index_head(self) -> None:
        head = self.head
        if head is not None and not head.indexed:
            await asyncio.to_thread(head.index_lines, self.carry)

    def take(self, until: int | None) -> LineBatch:
        head = self.head
        assert head is not None
        batch = head.take(until)
        if head.indexed:
            self.carry = head.times[head.index - 1]
        if head.done:
            self.head = None
        return batch

    def end_now(self) -> None:
        """Stop this source where it is: the merge treats it as ended (what it holds is
        dropped, as when the run is closed) and goes on with the others."""
        self.ended = True
        self.head = None
        self.cancel()

    def cancel(self) -> None:
        self.task.cancel()
        if self.getter is not None:
            self.getter.cancel()


async def merged(
    lanes: list[Lane], batcher: Batcher, stop: asyncio.Event
) -> AsyncGenerator[list[SourceItem]]:
    """The items of all lanes, lines in time order, in bursts released by ``batcher``.

    A burst is everything that became deliverable at one moment; a consumer can index it in
    one go. Ends when every lane has ended, or as soon as ``stop`` is set.
    """
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            burst = [ready for item in await _release(lanes) for ready in batcher.add(item)]
            open_lanes = [lane for lane in lanes if not lane.ended]
            if not open_lanes:
                burst.extend(batcher.flush())
                if burst:
                    yield burst
                return
            if burst:
                yield burst
            getters = [lane.getter_task() for lane in open_lanes if lane.head is None]
            deadline = batcher.deadline()
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = await asyncio.wait(
                [*getters, stopping], timeout=timeout, return_when="FIRST_COMPLETED"
            )
            if stop.is_set():
                return
            burst = [] if done else batcher.flush()
            for lane in open_lanes:
                if lane.ended:  # ended by ``end_now`` while waiting
                    lane.getter = None
                    continue
                if lane.getter is not None and lane.getter.done():
                    passed = lane.receive(lane.getter.result())
                    if passed is not None:
                        burst.extend(batcher.add(passed))
            if burst:
                yield burst
    finally:
        stopping.cancel()


async def _release(lanes: list[Lane]) -> list[SourceItem]:
    """Every line that can be placed in time order with what the lanes offer now."""
    out: list[SourceItem] = []
    while True:
        heads: list[Lane] = []
        for lane in lanes:
            if lane.ended:
                continue
            if lane.head is not None:
                heads.append(lane)
            elif not lane.idle:
                return out  # a busy source has not offered its next line yet
        if not heads:
            return out
        if len(heads) == 1:
            out.append(heads[0].take(None))
            continue
        for lane in heads:
            if not lane.head.indexed:  # type: ignore[union-attr]
                await lane.index_head()
        first = min(heads, key=_head_key)
        until = min(lane.head.time for lane in heads if lane is not first)  # type: ignore[union-attr]
        out.append(first.take(until))


def _head_key(lane: Lane) -> tuple[int, int]:
    return lane.head.time, lane.order  # type: ignore[union-attr]
