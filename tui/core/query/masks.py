"""A small LRU of per-value boolean masks, shared by all queries.

The query bar re-parses the text on every keystroke, so caching masks on a Query object would
be useless: they are cached per (interning table, matcher) here instead. A cached mask is
extended with the values added since, and the codes given new values since (after eviction, see
``InternTable.release``) are tested again: it is not recomputed whole. Entries hold their store
weakly: a closed store's masks are dropped, and its tables are never kept alive by the cache.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

import numpy as np

from kaudit_tui.core.tables import InternTable

if TYPE_CHECKING:
    from kaudit_tui.core.store import EventStore

MAX_BYTES = 64 << 20
"""Upper bound on the memory held by cached masks (a mask costs one byte per distinct value)."""

_Entry = tuple["weakref.ref[EventStore]", np.ndarray, int]


class MaskCache:
    """Boolean masks over the values of interning tables, keyed by table and matcher key."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, Hashable], _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def mask(
        self,
        store: EventStore,
        table: InternTable,
        key: Hashable,
        predicate: Callable[[object], bool],
    ) -> np.ndarray:
        """Which values of ``table`` (one of ``store``'s) satisfy ``predicate``, named ``key``."""
        # A live store keeps its tables alive, so id(table) cannot be reused while it is valid.
        slot = (id(table), key)
        epoch = table.epoch  # read first: codes reused meanwhile are re-tested next time
        with self._lock:
            entry = self._take(slot)
        reused = table.reused_since(entry[2]) if entry is not None else None
        if entry is not None and entry[0]() is store and reused is not None:
            mask = _refresh(table, entry[1], reused, predicate)
        else:
            mask = table.mask(predicate)
        with self._lock:
            self._take(slot)
            self._entries[slot] = (weakref.ref(store), mask, epoch)
            self._bytes += mask.nbytes
            self._shrink()
        return mask

    def clear(self) -> None:
        """Forget every mask (benchmarks measure cold runs with this)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _take(self, slot: tuple[int, Hashable]) -> _Entry | None:
        entry = self._entries.pop(slot, None)
        if entry is not None:
            self._bytes -= entry[1].nbytes
        return entry

    def _shrink(self) -> None:
        for slot in [s for s, (ref, _, _) in self._entries.items() if ref() is None]:
            self._take(slot)
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            self._take(next(iter(self._entries)))


def _refresh(
    table: InternTable, mask: np.ndarray, reused: list[int], predicate: Callable[[object], bool]
) -> np.ndarray:
    """``mask`` extended to new codes, with the codes given new values re-tested."""
    mask = table.extend_mask(mask, predicate)
    stale = [code for code in set(reused) if code < len(mask)]
    if stale:
        mask = mask.copy()  # the old array may still be in use by a running filter
        values = table.values
        for code in stale:
            mask[code] = bool(predicate(values[code]))
    return mask


CACHE = MaskCache()
