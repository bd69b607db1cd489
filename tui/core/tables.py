"""Interning tables: each distinct value gets a small integer code.

Audit logs repeat the same users, verbs, resources and namespaces millions of times; storing a
code per event instead of a string is what keeps the index at tens of bytes per event and lets
filters run as array operations (a predicate is tested once per distinct value, not per event).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T", bound=Hashable)


class InternTable(Generic[T]):
    """Append-only mapping between values and dense integer codes (code 0 is ``empty``)."""

    __slots__ = ("values", "_index")

    def __init__(self, empty: T) -> None:
        self.values: list[T] = [empty]
        self._index: dict[T, int] = {empty: 0}

    def __len__(self) -> int:
        return len(self.values)

    def code(self, value: T) -> int:
        """The code of ``value``, assigning the next one on first sight."""
        code = self._index.get(value)
        if code is None:
            code = len(self.values)
            self._index[value] = code
            self.values.append(value)
        return code

    def find(self, value: T) -> int | None:
        """The code of ``value`` if it has been seen, else None."""
        return self._index.get(value)

    def mask(self, predicate: Callable[[T], bool], start: int = 0) -> np.ndarray:
        """Boolean array over codes ``start..len``: which values satisfy ``predicate``."""
        return np.fromiter(
            (bool(predicate(v)) for v in self.values[start:]),
            dtype=np.bool_,
            count=len(self.values) - start,
        )

    def extend_mask(self, mask: np.ndarray, predicate: Callable[[T], bool]) -> np.ndarray:
        """``mask`` grown to cover values added since it was computed."""
        if len(mask) == len(self.values):
            return mask
        return np.concatenate([mask, self.mask(predicate, len(mask))])

    def codes_of(self, values: Iterable[T]) -> list[int]:
        """Codes of the given values that have been seen."""
        return [c for c in (self._index.get(v) for v in values) if c is not None]
