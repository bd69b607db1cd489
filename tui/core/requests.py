"""Grouping the stages of one request (same audit ID) into one row.

kube-apiserver writes up to three events per request (RequestReceived, ResponseStarted,
ResponseComplete or Panic), all with the same auditID. The request view shows one row per
request: its latest stage, which carries the response code and the full latency.
"""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.store import OTHER_ID, EventStore


def request_rows(store: EventStore, rows: np.ndarray) -> np.ndarray:
    """Of ``rows`` (ascending ids), the last row of each audit ID, ascending.

    Events without an audit ID cannot be grouped and each stays a request of its own.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return rows
    index = rows - store.first_id
    hi = store.column("id_hi")[index]
    lo = store.column("id_lo")[index]
    order = np.lexsort((rows, lo, hi))  # by audit ID, then by row id within each ID
    hi_s, lo_s = hi[order], lo[order]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (hi_s[1:] != hi_s[:-1]) | (lo_s[1:] != lo_s[:-1])
    no_id = (hi_s == np.uint64(OTHER_ID)) & (lo_s == 0)
    return np.sort(rows[order][last | no_id])


def stage_rows(store: EventStore, row: int) -> np.ndarray:
    """Every row (all stages) with the same audit ID as ``row``, ascending."""
    i = row - store.first_id
    hi = store.column("id_hi")
    lo = store.column("id_lo")
    if hi[i] == np.uint64(OTHER_ID) and lo[i] == 0:
        return np.array([row], dtype=np.int64)
    return np.flatnonzero((hi == hi[i]) & (lo == lo[i])).astype(np.int64) + store.first_id
