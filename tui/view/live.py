"""The live index: events streaming into the store, and the view of those matching the query.

This is the one-way data flow of the UI without the UI: sources -> decode (worker thread) ->
store -> filter (worker thread) -> rows of the view. The store has a single writer (the ingest
loop, one batch at a time in a thread); the view is only ever changed on the event loop, between
awaits, so readers on the loop always see a consistent pair (query, rows). Filtering work runs
in threads and a newer query makes an older one's result be thrown away.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from kaudit_tui.core.parallel import ParallelIngestor
from kaudit_tui.core.query import QueryCancelled
from kaudit_tui.core.rowbuffer import RowBuffer
from kaudit_tui.core.segments import FileReader, RawReader
from kaudit_tui.core.store import EventStore
from kaudit_tui.sources import LineBatch, SegmentEnd, SourceStatus


class RowFilter(Protocol):
    """What the view needs of a parsed query."""

    def filter(
        self,
        store: EventStore,
        rows: np.ndarray | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> np.ndarray: ...


@dataclass
class Progress:
    """How far the first read of the inputs has come."""

    bytes_read: int = 0
    bytes_total: int = 0
    readers: dict[int, tuple[RawReader, int]] = field(default_factory=dict)

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


class LiveView:
    """Store, ingestor, the current query and the ascending row ids that match it."""

    def __init__(self, store: EventStore, query: RowFilter, *, max_events: int | None = None):
        self.store = store
        self.ingestor = ParallelIngestor(store)
        self.query = query
        self.max_events = max_events
        self._buffer = RowBuffer()
        self.upto = store.first_id
        """Rows below this id have been tested against ``query``."""
        self.generation = 0
        """Bumped when the query (and so the whole view) is replaced."""
        self.version = 0
        """Bumped on every change of the view, so the UI knows when to redraw."""
        self.states: dict[str, SourceStatus] = {}
        self.progress = Progress()
        self.on_status: Callable[[SourceStatus], Any] | None = None
        self.on_extend: Callable[[], Any] | None = None
        """Called on the event loop after new rows joined the view."""
        self._applying = 0

    @property
    def rows(self) -> np.ndarray:
        """The current view (a snapshot: later changes do not alter it)."""
        return self._buffer.rows

    # -- ingest ------------------------------------------------------------------------------
    async def ingest(self, sources: AsyncIterable[object]) -> None:
        """Read ``sources`` to their end, indexing and filtering as batches arrive.

        A source set that offers ``bursts()`` is read burst by burst: everything that became
        ready together is indexed and filtered in one trip to a worker thread.
        """
        bursts = getattr(sources, "bursts", None)
        stream = bursts() if bursts is not None else _one_by_one(sources)
        async for burst in stream:
            work = [item for item in burst if isinstance(item, LineBatch | SegmentEnd)]
            if work:
                for item in work:
                    if isinstance(item, LineBatch):
                        self.progress.advance(item.reader, item.offset + len(item.data))
                start, generation, query = self.upto, self.generation, self.query
                end, matched = await asyncio.to_thread(self._feed, work, start, query)
                if generation == self.generation and self.upto == start:
                    self._extend(matched, end)
            for item in burst:
                if isinstance(item, SourceStatus):
                    self._status(item)
            await self.catch_up()

    def _status(self, status: SourceStatus) -> None:
        self.states[status.label] = status
        self.version += 1
        if self.on_status is not None:
            self.on_status(status)

    def _feed(
        self, work: list[LineBatch | SegmentEnd], start: int, query: RowFilter
    ) -> tuple[int, np.ndarray]:
        """Index a burst and filter its new rows (runs in a worker thread)."""
        for item in work:
            if isinstance(item, LineBatch):
                self.ingestor.feed(item.reader, item.offset, item.data)
            else:
                self.ingestor.finish(item.reader)
        if self.max_events is not None:
            self.store.evict_to(self.max_events)
        end = self.store.next_id
        return end, _matching(query, self.store, max(start, self.store.first_id), end)

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
        """Stop the indexing helper process (the UI is going away)."""
        self.ingestor.close()

    # -- state -------------------------------------------------------------------------------
    def progress_text(self) -> str:
        """``indexing 312 MB 41%`` while an input is still being read for the first time."""
        if self.source_state() != "reading" or not self.progress.bytes_total:
            return ""  # nothing to measure against for pipes and decompressed backups
        fraction = self.progress.fraction
        percent = f" {fraction:.0%}" if fraction is not None else ""
        return f"indexing {self.progress.bytes_read / 1e6:,.0f} MB{percent}"

    def source_state(self) -> str:
        """One word for the sources: the single state, or the most important of several."""
        states = [status.state for status in self.states.values()]
        if not states:
            return "starting"
        for state in ("error", "reading", "rotated", "truncated", "waiting", "following"):
            if state in states:
                return state
        return states[0]


def _matching(
    query: RowFilter,
    store: EventStore,
    start: int,
    end: int,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Ids in ``[start, end)`` that match ``query`` (all of them for the empty query)."""
    candidates = np.arange(start, end, dtype=np.int64)
    if not len(candidates) or getattr(query, "terms", None) == ():
        return candidates
    return np.asarray(query.filter(store, candidates, cancelled=cancelled), dtype=np.int64)


async def _one_by_one(items: AsyncIterable[object]) -> AsyncIterator[list[object]]:
    """Bursts of one item, for sources that only iterate item by item."""
    async for item in items:
        yield [item]
