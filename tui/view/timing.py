"""Small parts of the App that need no Textual: the event rate, when to show dates."""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import NO_TIME

_DAY = 86_400_000_000


class Rate:
    """Events per second over the last few seconds."""

    def __init__(self, window: float = 3.0) -> None:
        self.window = window
        self._samples: list[tuple[float, int]] = []

    def update(self, now: float, count: int) -> float:
        self._samples.append((now, count))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window:
            self._samples.pop(0)
        then, before = self._samples[0]
        return (count - before) / (now - then) if now > then else 0.0


def shows_date(store: EventStore, rows: np.ndarray, now: float) -> bool:
    """Should the time column show dates? When the view covers more than one UTC day, or its
    day is not today's (``now``, epoch seconds): a time of day alone would mislead."""
    if not len(rows):
        return False
    ts = store.column("ts")
    first, last = int(ts[rows[0] - store.first_id]), int(ts[rows[-1] - store.first_id])
    days = {moment // _DAY for moment in (first, last) if moment != NO_TIME}
    return bool(days) and days != {int(now * 1_000_000) // _DAY}
