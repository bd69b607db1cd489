"""A growable, sorted array of row ids: the rows the current view shows.

Appends extend it many times a second while events stream in; copying a million ids per
batch would be quadratic, so it grows by doubling like a list. Readers get a NumPy view of the
filled part; later appends never change what an earlier view shows, so a frame being drawn
while ingest continues stays consistent.
"""

from __future__ import annotations

import numpy as np

_EMPTY = np.zeros(0, dtype=np.int64)


class RowBuffer:
    """Ascending row ids with amortised O(1) append and O(1) trimming of the front."""

    def __init__(self, rows: np.ndarray | None = None) -> None:
        rows = _EMPTY if rows is None else np.asarray(rows, dtype=np.int64)
        self._data = np.empty(max(1024, len(rows) * 2), dtype=np.int64)
        self._data[: len(rows)] = rows
        self._start = 0
        self._end = len(rows)

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def rows(self) -> np.ndarray:
        """The ids, as a read-only view (valid even after further appends)."""
        view = self._data[self._start : self._end]
        view.flags.writeable = False
        return view

    def extend(self, rows: np.ndarray) -> None:
        """Append ids greater than every id already held."""
        count = len(rows)
        if not count:
            return
        if self._end + count > len(self._data):
            size = len(self)
            grown = np.empty(max(1024, (size + count) * 2), dtype=np.int64)
            grown[:size] = self._data[self._start : self._end]
            self._data, self._start, self._end = grown, 0, size
        self._data[self._end : self._end + count] = rows
        self._end += count

    def trim_before(self, first_id: int) -> int:
        """Drop ids below ``first_id`` (rows evicted from the store); returns how many."""
        cut = int(np.searchsorted(self.rows, first_id))
        self._start += cut
        return cut
