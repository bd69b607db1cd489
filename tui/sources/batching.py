"""Coalescing lines into batches by size and time, so a consumer updates at most ~10 times/s.

The first lines after a quiet spell go out at once (a tailing user sees them immediately);
while lines keep coming, adjacent ones are joined and delivered at most once per interval,
or as soon as they reach the size limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kaudit_tui.core.segments import RawReader

from .items import LineBatch, SourceItem

DEFAULT_BATCH_BYTES = 1 << 20
DEFAULT_BATCH_INTERVAL = 0.1


class _Run:
    """Adjacent lines of one reader waiting to be delivered as one LineBatch."""

    __slots__ = ("reader", "offset", "end", "parts")

    def __init__(self, batch: LineBatch) -> None:
        self.reader: RawReader = batch.reader
        self.offset = batch.offset
        self.end = batch.offset + len(batch.data)
        self.parts = [batch.data]

    def extends(self, batch: LineBatch) -> bool:
        return batch.reader is self.reader and batch.offset == self.end

    def add(self, batch: LineBatch) -> None:
        self.parts.append(batch.data)
        self.end += len(batch.data)

    def batch(self) -> LineBatch:
        data = self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)
        return LineBatch(self.reader, self.offset, data)


class Batcher:
    """Holds lines back briefly and releases them in batches; other items flush it first."""

    def __init__(
        self,
        max_bytes: int = DEFAULT_BATCH_BYTES,
        interval: float = DEFAULT_BATCH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_bytes = max_bytes
        self._interval = interval
        self._clock = clock
        self._runs: list[_Run] = []
        self._bytes = 0
        self._last_flush = -float("inf")

    def add(self, item: SourceItem) -> list[SourceItem]:
        """Take one item; return whatever is due for delivery now, in order."""
        if not isinstance(item, LineBatch):
            return [*self.flush(), item]
        if self._runs and self._runs[-1].extends(item):
            self._runs[-1].add(item)
        else:
            self._runs.append(_Run(item))
        self._bytes += len(item.data)
        if self._bytes >= self._max_bytes or self._clock() - self._last_flush >= self._interval:
            return self.flush()
        return []

    def flush(self) -> list[SourceItem]:
        """Everything held back, now."""
        if not self._runs:
            return []
        batches: list[SourceItem] = [run.batch() for run in self._runs]
        self._runs.clear()
        self._bytes = 0
        self._last_flush = self._clock()
        return batches

    def deadline(self) -> float | None:
        """Clock time by which held lines must be delivered, or None if nothing is held."""
        return self._last_flush + self._interval if self._runs else None
