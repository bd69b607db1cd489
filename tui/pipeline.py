"""The ingest pipeline: sources -> indexing -> store -> the rows that match a query.

One implementation for the terminal UI (``view.live.LiveView`` adds the UI's wording) and
every headless mode. The source set delivers bursts (everything that became ready together);
each burst is indexed by a ``ParallelIngestor`` and its new rows are tested against the query
in **one** trip to a worker thread, then join the view on the event loop. ``--max-events``
evicts the oldest rows after each burst. Status changes of the sources are kept per label and
passed to ``on_status``; ``progress`` counts the bytes read of plain files.

The store has a single writer (the ingest loop, one burst at a time in a thread); the view is
only ever changed on the event loop, between awaits, so readers on the loop always see a
consistent pair (query, rows). ``apply`` filters in a thread too, and a newer query makes an
older one's result be thrown away (its thread notices and stops early).

Without a query (``query=None``) the pipeline only indexes; a later ``apply`` builds the view
over everything kept. One-shot headless runs use that: relative times (``since:15m``) then
count back from the newest event of the whole input, and no row list is kept while reading.

Imports: sources and core only (no view, UI or entry point).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, Protocol, TypeVar

import msgspec
import numpy as np

from kaudit_tui.core.parallel import ParallelIngestor
from kaudit_tui.core.query import QueryCancelled
from kaudit_tui.core.rowbuffer import RowBuffer
from kaudit_tui.core.segments import FileReader, RawReader
from kaudit_tui.core.store import EventStore
from kaudit_tui.sources import LineBatch, SegmentEnd, SourceStatus

_T = TypeVar("_T")
_NO_ROWS = np.zeros(0, dtype=np.int64)

STATE_ORDER = ("error", "reading", "rotated", "truncated", "waiting", "following")
"""Source states from the most to the least important, for a one-word summary."""


class RowFilter(Protocol):
    """What the pipeline needs of a parsed query."""

    def filter(
        self,
        store: EventStore,
        rows: np.ndarray | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> np.ndarray: ...


RESERVE_AFTER = 4 << 20
"""Bytes of files indexed before the store reserves room for all of them."""


class Progress(msgspec.Struct):
    """How far the first read of the inputs has come (plain files only: pipes and
    decompressed backups have no size to measure against)."""

    bytes_read: int = 0
    bytes_total: int = 0
    readers: dict[int, tuple[RawReader, int]] = msgspec.field(default_factory=dict)

    def advance(self, reader: RawReader, end: int) -> None:
        key = id(reader)
        known = self.readers.get(key)
        if known is None and isinstance(reader, FileReader):
            try:
                self.bytes_total += os.fstat(reader.fd).st_size
            except OSError:
                pass
        if known is None or end > known[1]:
            if isinstance(reader, FileReader):
                self.bytes_read += end - (known[1] if known else 0)
            self.readers[key] = (reader, end)

    @property
    def fraction(self) -> float | None:
        if not self.bytes_total:
            return None
        return min(1.0, self.bytes_read / self.bytes_total)


class Pipeline:
    """Store, ingestor, the current query and the ascending row ids that match it.

    Args:
        store: the store to fill (the pipeline is its only writer).
        query: the view's filter; None indexes only, until ``apply`` gives one.
        max_events: keep at most this many events, dropping the oldest after each burst.
        deliver: called in the worker thread with each burst's matching rows, before older
            rows are evicted (so even a burst larger than ``max_events`` can be read back:
            ``--print --follow`` writes them from here).
    """

    def __init__(
        self,
        store: EventStore,
        query: RowFilter | None,
        *,
        max_events: int | None = None,
        deliver: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        self.store = store
        self.ingestor = ParallelIngestor(store)
        self.query = query
        self.max_events = max_events
        self.deliver = deliver
        self._buffer = RowBuffer()
        self.upto = store.first_id
        """Rows below this id have been tested against ``query``."""
        self.generation = 0
        """Bumped when the query (and so the whole view) is replaced."""
        self.version = 0
        """Bumped on every change of the view, so a UI knows when to redraw."""
        self.states: dict[str, SourceStatus] = {}
        """The latest status of each source, by label."""
        self.progress = Progress()
        self.on_status: Callable[[SourceStatus], Any] | None = None
        """Called on the event loop with every status change, in order."""
        self.on_extend: Callable[[], Any] | None = None
        """Called on the event loop after new rows joined the view."""
        self._applying = 0

    @property
    def rows(self) -> np.ndarray:
        """The current view (a snapshot: later changes do not alter it)."""
        return self._buffer.rows

    # -- ingest ------------------------------------------------------------------------------
    async def ingest(self, sources: AsyncIterable[object]) -> None:
        """Read ``sources`` to their end, indexing and filtering as bursts arrive.

        A source set that offers ``bursts()`` is read burst by burst; any other async
        iterable of source items item by item. Cancelling waits for the burst being indexed
        (the store is never left half-written), then stops.
        """
        bursts = getattr(sources, "bursts", None)
        stream = bursts() if bursts is not None else _one_by_one(sources)
        async for burst in _read_ahead(stream, self._prepare):
            work = [item for item in burst if isinstance(item, LineBatch | SegmentEnd)]
            if work:
                for item in work:
                    if isinstance(item, LineBatch):
                        self.progress.advance(item.reader, item.offset + len(item.data))
                start, generation, query = self.upto, self.generation, self.query
                end, matched = await _finish_in_thread(self._feed, work, start, query)
                if generation == self.generation and self.upto == start:
                    self._extend(matched, end)
            for item in burst:
                if isinstance(item, SourceStatus):
                    self._status(item)
            await self.catch_up()

    def _prepare(self, burst: list[object]) -> None:
        """A burst has arrived while the one before is indexed: its batches can be parsed
        meanwhile."""
        for item in burst:
            if isinstance(item, LineBatch):
                self.ingestor.prepare(item.data)

    def _status(self, status: SourceStatus) -> None:
        self.states[status.label] = status
        self.version += 1
        if self.on_status is not None:
            self.on_status(status)

    def _feed(
        self, work: list[LineBatch | SegmentEnd], start: int, query: RowFilter | None
    ) -> tuple[int, np.ndarray]:
        """Index a burst and filter its new rows (runs in a worker thread)."""
        for item in work:
            if isinstance(item, LineBatch):
                self.ingestor.feed(item.reader, item.offset, item.data)
            else:
                self.ingestor.finish(item.reader)
        self._reserve_ahead()
        if self.deliver is None:
            self._evict()  # first, so rows about to go are not filtered
        end = self.store.next_id
        matched = _matching(query, self.store, max(start, self.store.first_id), end)
        if self.deliver is not None:
            if len(matched):
                self.deliver(matched)
            if self._evict():
                matched = matched[matched >= self.store.first_id]
        return end, matched

    def _reserve_ahead(self) -> None:
        """Once part of the files is indexed, give the store room for the rows the whole of
        them will hold (as many per byte as so far): its arrays are then not copied as they
        fill, each copy briefly holding the index twice."""
        read, total = self.progress.bytes_read, self.progress.bytes_total
        if RESERVE_AFTER <= read < total:
            expected = len(self.store) * total // read
            expected += expected // 16
            if self.max_events is not None:
                expected = min(expected, self.max_events + self.max_events // 2)
            self.store.reserve(expected)

    def _evict(self) -> int:
        if self.max_events is None:
            return 0
        return self.store.evict_to(self.max_events)

    def _extend(self, matched: np.ndarray, end: int) -> None:
        self._buffer.trim_before(self.store.first_id)
        self._buffer.extend(matched)
        self.upto = end
        self.version += 1
        if self.on_extend is not None and len(matched):
            self.on_extend()

    async def catch_up(self) -> None:
        """Test rows appended since the last call against the query and extend the view."""
        while True:
            start, end = max(self.upto, self.store.first_id), self.store.next_id
            if start >= end:
                return
            if self.query is None:  # indexing only: nothing to test yet
                self.upto = end
                return
            generation, query = self.generation, self.query
            matched = await asyncio.to_thread(_matching, query, self.store, start, end)
            if generation != self.generation or self.upto > start:
                return  # the view was replaced (or extended) meanwhile; its owner catches up
            self._extend(matched, end)

    # -- queries -----------------------------------------------------------------------------
    async def apply(self, query: RowFilter) -> None:
        """Replace the view by the rows matching ``query``.

        Cancelling this coroutine, or a newer call, leaves the current view untouched (the
        filter thread of a superseded call notices and stops early).
        """
        self._applying += 1
        mine = self._applying
        end = self.store.next_id
        try:
            matched = await asyncio.to_thread(
                _matching,
                query,
                self.store,
                self.store.first_id,
                end,
                lambda: self._applying != mine,
            )
        except QueryCancelled:
            return
        if self._applying != mine:
            return  # a newer query started meanwhile: its result, not this one, is the view
        self.generation += 1
        self.query = query
        self._buffer = RowBuffer(matched)
        self._buffer.trim_before(self.store.first_id)
        self.upto = end
        self.version += 1
        await self.catch_up()

    def close(self) -> None:
        """Stop the indexing helper process; the store and view stay readable."""
        self.ingestor.close()

    # -- state -------------------------------------------------------------------------------
    def source_state(self) -> str:
        """One word for the sources: the single state, or the most important of several."""
        states = [status.state for status in self.states.values()]
        if not states:
            return "starting"
        for state in STATE_ORDER:
            if state in states:
                return state
        return states[0]


def _matching(
    query: RowFilter | None,
    store: EventStore,
    start: int,
    end: int,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Ids in ``[start, end)`` that match ``query`` (all for the empty query, none for None)."""
    if query is None:
        return _NO_ROWS
    candidates = np.arange(start, end, dtype=np.int64)
    if not len(candidates) or getattr(query, "terms", None) == ():
        return candidates
    return np.asarray(query.filter(store, candidates, cancelled=cancelled), dtype=np.int64)


async def _finish_in_thread(function: Callable[..., _T], *args: object) -> _T:
    """``asyncio.to_thread`` that, when cancelled, first lets the thread finish."""
    work: asyncio.Future[_T] = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])
        if not work.cancelled():
            work.exception()  # retrieved: the cancellation is what the caller hears of
        raise


async def _read_ahead(
    bursts: AsyncIterator[list[object]], prepare: Callable[[list[object]], None]
) -> AsyncIterator[list[object]]:
    """The bursts of ``bursts``, the next one taken (and handed to ``prepare``) while the
    consumer still works on the current one."""

    async def take() -> list[object]:
        burst = await anext(bursts)
        prepare(burst)
        return burst

    pending = asyncio.ensure_future(take())
    try:
        while True:
            try:
                burst = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(take())
            yield burst
    finally:
        if not pending.done():
            pending.cancel()
            await asyncio.wait([pending])
        elif not pending.cancelled():
            pending.exception()  # retrieved: the consumer stopped, its end or error unneeded


async def _one_by_one(items: AsyncIterable[object]) -> AsyncIterator[list[object]]:
    """Bursts of one item, for sources that only iterate item by item."""
    async for item in items:
        yield [item]
