"""Counting events by field value over a set of rows (``--stats``, facets)."""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.store import EventStore


def field_counts(
    store: EventStore, rows: np.ndarray, field: str, top: int = 10
) -> list[tuple[object, int]]:
    """The ``top`` most frequent values of ``field`` among ``rows``, with their counts.

    Shape fields are counted per shape code with one bincount, then folded per value; ``code``
    and ``name`` are counted directly. Values are text (``code`` is an int, 0 = none).
    """
    index = np.asarray(rows, dtype=np.int64) - store.first_id
    if field == "code":
        values, counts = np.unique(store.column("code")[index], return_counts=True)
        pairs = [(int(v), int(c)) for v, c in zip(values, counts, strict=True)]
    elif field == "name":
        per_code = np.bincount(store.column("name")[index], minlength=len(store.names))
        pairs = [(store.names.values[i], int(per_code[i])) for i in np.flatnonzero(per_code)]
    else:
        column, table = store.shape_table(field)
        per_shape = np.bincount(store.column(column)[index], minlength=len(table))
        codes = table.field_codes(field)
        per_value = np.bincount(codes, weights=per_shape, minlength=0).astype(np.int64)
        values = table.tables[field].values
        pairs = [(values[i], int(per_value[i])) for i in np.flatnonzero(per_value)]
    pairs.sort(key=lambda pair: (-pair[1], str(pair[0])))
    return pairs[:top]
