"""Summaries of the current view for the side panels: facet counts and the time histogram.

Computed in worker threads from the view's row ids with numpy (one gather and a bincount per
field), at most a few times a second, never per event. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaudit_tui.core.stats import IMPERSONATED, SUMMARY_FIELDS, summary_counts
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import NO_TIME

FACET_FIELDS = SUMMARY_FIELDS
"""The facets always shown; ``as`` (impersonated users) joins them after ``user`` whenever the
view holds impersonated requests, ``cluster`` after ``ns`` whenever some of its events name
their cluster (see :func:`facet_counts`)."""
FACET_TITLES = {
    "user": "user",
    IMPERSONATED: "as (impersonated)",
    "verb": "verb",
    "resource": "resource",
    "ns": "namespace",
    "cluster": "cluster",
    "stage": "stage",
    "code": "code",
}


def facet_counts(
    store: EventStore, rows: np.ndarray, top: int = 8
) -> dict[str, list[tuple[object, int]]]:
    """The ``top`` values of each facet field among ``rows``, most frequent first, in the
    order they are shown: ``as`` after ``user`` when some rows are impersonated requests.

    The same counts under the same labels as ``--stats`` (``resource`` per
    ``resource/subresource``); see :mod:`kaudit_tui.core.stats`.
    """
    if not len(rows):
        return {field: [] for field in FACET_FIELDS}
    return summary_counts(store, rows, top)


@dataclass(frozen=True, slots=True)
class Histogram:
    """Events per time bucket over the view, and how many of them failed (code >= 400)."""

    start: int
    """Epoch microseconds at the start of the first bucket."""
    width: int
    """Microseconds per bucket."""
    counts: np.ndarray
    errors: np.ndarray

    def bucket_range(self, index: int) -> tuple[int, int]:
        """Start and end (exclusive) of bucket ``index``, epoch microseconds."""
        begin = self.start + index * self.width
        return begin, begin + self.width


_NICE_WIDTHS = [
    n * unit
    for unit in (1_000, 1_000_000, 60_000_000, 3_600_000_000)
    for n in (1, 2, 5, 10, 15, 30)
] + [86_400_000_000 * n for n in (1, 2, 7, 14, 30, 90, 365)]


def time_histogram(store: EventStore, rows: np.ndarray, buckets: int) -> Histogram | None:
    """``rows`` counted into at most ``buckets`` buckets of a round width (1s, 5m, 1h, ...)."""
    if not len(rows) or buckets <= 0:
        return None
    index = rows - store.first_id
    ts = store.column("ts")[index]
    timed = ts != NO_TIME
    if not timed.any():
        return None
    ts = ts[timed]
    low, high = int(ts.min()), int(ts.max())
    # the first bucket starts at a round time before the first event, so the last one must
    # be counted from there: a width that fits the span alone may need one bucket more
    width = next(
        (w for w in _NICE_WIDTHS if (high - (low - low % w)) // w + 1 <= buckets),
        _NICE_WIDTHS[-1],
    )
    start = low - low % width
    slots = (high - start) // width + 1
    slot = (ts - start) // width
    counts = np.bincount(slot, minlength=slots)[:slots]
    failed = store.column("code")[index][timed] >= 400
    errors = np.bincount(slot[failed], minlength=slots)[:slots]
    return Histogram(start, width, counts, errors)
