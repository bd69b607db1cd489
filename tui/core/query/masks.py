"""A small LRU of per-value boolean masks, shared by all queries.

The query bar re-parses the text on every keystroke, so caching masks on a Query object would
be useless: they are cached per (interning table, matcher) here instead. Tables only grow, so a
cached mask is extended with the values added since, never recomputed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from kaudit_tui.core.tables import InternTable

MAX_BYTES = 64 << 20
"""Upper bound on the memory held by cached masks (a mask costs one byte per distinct value)."""


class MaskCache:
    """Boolean masks over the values of interning tables, keyed by table and matcher key."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, Hashable], tuple[InternTable, np.ndarray]] = (
            OrderedDict()
        )
        self._bytes = 0
        self._lock = threading.Lock()

    def mask(
        self, table: InternTable, key: Hashable, predicate: Callable[[object], bool]
    ) -> np.ndarray:
        """Which values of ``table`` satisfy ``predicate`` (identified by ``key``)."""
        slot = (id(table), key)
        with self._lock:
            entry = self._entries.pop(slot, None)
            if entry is not None:
                self._bytes -= entry[1].nbytes
        if entry is not None and entry[0] is table:
            mask = table.extend_mask(entry[1], predicate)
        else:
            mask = table.mask(predicate)
        with self._lock:
            replaced = self._entries.pop(slot, None)
            if replaced is not None:
                self._bytes -= replaced[1].nbytes
            self._entries[slot] = (table, mask)
            self._bytes += mask.nbytes
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, (_, old) = self._entries.popitem(last=False)
                self._bytes -= old.nbytes
        return mask

    def clear(self) -> None:
        """Forget every mask (benchmarks measure cold runs with this)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


CACHE = MaskCache()
