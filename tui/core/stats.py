"""Counting events by field value over a set of rows: one answer for ``--stats`` and the facets.

Both count the same fields under the same labels, so the UI and the command line give the
same numbers for one question. ``resource`` is counted per ``resource/subresource`` (what the
``resource:`` query field matches: ``pods`` and ``pods/exec`` apart), not per resource.
"""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.store import EventStore

SUMMARY_FIELDS = ("user", "verb", "resource", "ns", "stage", "code")
"""The fields ``--stats`` and the facets panel always count, in the order they are shown."""
IMPERSONATED = "as"
"""Counted too, right after ``user``, when some of the rows are impersonated requests: the
users they acted as (rows without impersonation are not counted there). ``user`` alone would
answer "who was denied?" with the admin who impersonated, never with the user denied."""
CLUSTER = "cluster"
"""Counted too, right after ``ns``, when some of the rows name the cluster they came from
(rows that name none are not counted there)."""


def summary_counts(
    store: EventStore, rows: np.ndarray, top: int = 10
) -> dict[str, list[tuple[object, int]]]:
    """The ``top`` values of every summary field among ``rows``, most frequent first.

    The keys are :data:`SUMMARY_FIELDS` in order, with :data:`IMPERSONATED` after ``user``
    when any row has an impersonated user, and :data:`CLUSTER` after ``ns`` when any row
    names its cluster.
    """
    counts: dict[str, list[tuple[object, int]]] = {}
    for field in SUMMARY_FIELDS:
        counts[field] = field_counts(store, rows, field, top)
        extra = {"user": IMPERSONATED, "ns": CLUSTER}.get(field)
        if extra is not None:
            present = field_counts(store, rows, extra, top, present_only=True)
            if present:
                counts[extra] = present
    return counts


def field_counts(
    store: EventStore, rows: np.ndarray, field: str, top: int = 10, *, present_only: bool = False
) -> list[tuple[object, int]]:
    """The ``top`` most frequent values of ``field`` among ``rows``, with their counts.

    Shape fields are counted per shape code with one bincount, then folded per value; ``code``
    and ``name`` are counted directly. Values are text (``code`` is an int, 0 = none; ``""``
    means the event has no such field; ``present_only`` leaves those out). Ties are ordered
    by value.
    """
    index = _index(store, rows)
    if field == "code":
        per_code = _bincount(store.column("code")[index], 0)  # 0..999: kept so at ingest
        pairs = [(int(v), int(per_code[v])) for v in np.flatnonzero(per_code)]
    elif field == "name":
        per_code = _bincount(store.column("name")[index], len(store.names))
        pairs = [(store.names.values[i], int(per_code[i])) for i in np.flatnonzero(per_code)]
    elif field == "resource":
        pairs = _resource_pairs(store, index)
    else:
        column, table = store.shape_table(field)
        per_shape = _bincount(store.column(column)[index], len(table))
        codes = table.field_codes(field)
        per_value = np.bincount(codes, weights=per_shape, minlength=0).astype(np.int64)
        values = table.tables[field].values
        pairs = [(values[i], int(per_value[i])) for i in np.flatnonzero(per_value)]
    if present_only:
        pairs = [pair for pair in pairs if pair[0] not in ("", 0)]
    pairs.sort(key=lambda pair: (-pair[1], str(pair[0])))
    return pairs[:top]


_CHUNK = 1 << 18
"""Rows counted at a time: numpy counts from a copy of its input as 64-bit integers, which
for a whole column of a large log would be a large transient allocation."""


def _bincount(codes: np.ndarray, length: int) -> np.ndarray:
    """How many times each code occurs (at least ``length`` counts), a chunk at a time."""
    total = np.zeros(length, dtype=np.int64)
    for start in range(0, len(codes), _CHUNK):
        counts = np.bincount(codes[start : start + _CHUNK])
        if len(counts) > len(total):
            counts[: len(total)] += total
            total = counts
        else:
            total[: len(counts)] += counts
    return total


def _index(store: EventStore, rows: np.ndarray) -> np.ndarray | slice:
    """Where ``rows`` are in the store's columns: all of them (the usual question, and on a
    large log a copy of every column asked about saved), or their positions."""
    count = len(rows)
    if count == len(store) and count and (rows[0], rows[-1]) == (store.first_id, store.next_id - 1):
        return slice(None)  # ascending ids (a view's), as many as there are rows: every row
    return np.asarray(rows, dtype=np.int64) - store.first_id


def _resource_pairs(store: EventStore, index: np.ndarray | slice) -> list[tuple[object, int]]:
    """Counts per ``resource/subresource`` (``pods``, ``pods/exec``; ``""`` = no resource)."""
    column, table = store.shape_table("resource")
    per_shape = _bincount(store.column(column)[index], len(table))
    resources = table.tables["resource"].values
    subs = table.tables["sub"].values
    resource_codes = table.field_codes("resource")
    sub_codes = table.field_codes("sub")
    totals: dict[str, int] = {}
    for shape in np.flatnonzero(per_shape).tolist():
        resource = resources[resource_codes[shape]]
        sub = subs[sub_codes[shape]]
        key = resource_label(resource, sub)
        totals[key] = totals.get(key, 0) + int(per_shape[shape])
    return list(totals.items())


def resource_label(resource: str, sub: str) -> str:
    """How ``resource`` and ``sub`` are counted and shown: ``pods``, ``pods/exec``."""
    return f"{resource}/{sub}" if sub else resource
