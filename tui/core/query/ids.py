"""Matching audit IDs, stored as two 64-bit halves, without formatting a string per row.

An exact UUID is two integer comparisons and a UUID prefix (``id:1a2b3c4d*``, what a user
copies from a truncated column) is a 128-bit range test. Other patterns format the block's IDs
into fixed-width bytes with numpy first. IDs that are not canonical UUIDs live in the store's
``other_ids`` table and are matched once per distinct value.
"""

from __future__ import annotations

import re

import numpy as np

from kaudit_tui.core.query.masks import CACHE
from kaudit_tui.core.query.values import AnyOf, Glob
from kaudit_tui.core.store import OTHER_ID, EventStore

_DASHES = (8, 13, 18, 23)
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_LOW64 = (1 << 64) - 1


def _uuid_prefix(text: str) -> str | None:
    """The hex digits of ``text`` if it is the start of a canonical lower-case UUID."""
    if len(text) > 36:
        return None
    for i, char in enumerate(text):
        if (char == "-") != (i in _DASHES) or (char != "-" and char not in "0123456789abcdef"):
            return None
    return text.replace("-", "")


class IdMatcher:
    """Row test for a list of ``id:`` globs over the ``id_hi``/``id_lo`` columns."""

    def __init__(self, globs: tuple[Glob, ...]) -> None:
        self.globs = globs
        self.any_of = AnyOf(globs)
        self._ranges: list[tuple[int, int]] = []
        self._slow: list[re.Pattern[bytes]] = []
        for glob in globs:
            prefix = self._range_prefix(glob)
            if prefix is None:
                self._slow.append(
                    re.compile(".*".join(re.escape(p) for p in glob.parts).encode(), re.S)
                )
                continue
            width = 4 * (32 - len(prefix))
            low = int(prefix or "0", 16) << width
            self._ranges.append((low, low + (1 << width) - 1))

    @staticmethod
    def _range_prefix(glob: Glob) -> str | None:
        exact = glob.exact
        if exact is not None:
            return exact.replace("-", "") if len(exact) == 36 and _uuid_prefix(exact) else None
        if len(glob.parts) == 2 and glob.parts[1] == "":
            return _uuid_prefix(glob.parts[0])
        return None

    def evaluate(self, store: EventStore, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        other = hi == OTHER_ID
        result = np.zeros(len(hi), np.bool_)
        for low, high in self._ranges:
            result |= _in_range(hi, lo, low, high)
        if self._slow:
            uuid_rows = np.flatnonzero(~other)
            texts = _uuid_bytes(hi[uuid_rows], lo[uuid_rows])
            hits = [any(p.fullmatch(t) for p in self._slow) for t in texts]
            result[uuid_rows[np.asarray(hits, np.bool_)]] = True
        if other.any():  # code 0 of other_ids is "" (an event without an audit ID)
            mask = CACHE.mask(store, store.other_ids, ("id", self.any_of.key), self.any_of)
            result |= other & mask[np.where(other, lo, 0).astype(np.intp)]
        return result


def _in_range(hi: np.ndarray, lo: np.ndarray, low: int, high: int) -> np.ndarray:
    """Rows whose 128-bit ID (hi, lo) lies in [low, high]."""
    low_hi, low_lo = np.uint64(low >> 64), np.uint64(low & _LOW64)
    high_hi, high_lo = np.uint64(high >> 64), np.uint64(high & _LOW64)
    above = (hi > low_hi) | ((hi == low_hi) & (lo >= low_lo))
    below = (hi < high_hi) | ((hi == high_hi) & (lo <= high_lo))
    return above & below & (hi != np.uint64(OTHER_ID))


def _uuid_bytes(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Canonical UUID text of each (hi, lo) pair as an ``S36`` array."""
    n = len(hi)
    raw = np.empty((n, 16), np.uint8)
    raw[:, :8] = hi.astype(">u8").view(np.uint8).reshape(n, 8)
    raw[:, 8:] = lo.astype(">u8").view(np.uint8).reshape(n, 8)
    digits = np.empty((n, 32), np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 15]
    text = np.full((n, 36), ord("-"), np.uint8)
    for start, stop, source in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        text[:, start:stop] = digits[:, source : source + stop - start]
    return np.ascontiguousarray(text).view("S36").ravel()
