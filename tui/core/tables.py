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

    __slots__ = ("values", "_index", "get", "add")

    def __init__(self, empty: T) -> None:
        self.values: list[T] = [empty]
        self._index: dict[T, int] = {empty: 0}
        self.get = self._index.get
        """The code of a value already seen, else None (the bound dict method: hot path)."""
        self.add = self._index.setdefault
        """``add(value, len(values))`` is the code of ``value``, taking that next code if it is
        new, in one dict operation; the caller must then append ``value`` to ``values`` (hot
        path for tables of mostly new values, such as URIs)."""

    def __len__(self) -> int:
        return len(self.values)

    def code(self, value: T) -> int:
        """The code of ``value``, assigning the next one on first sight."""
        code = self._index.setdefault(value, len(self.values))
        if code == len(self.values):
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


class ShapeTable:
    """Interns tuples of several fields at once, keeping one code column per field.

    Looking up one tuple per event is much cheaper than one lookup per field, and filters test a
    predicate once per distinct shape. Raw tuples straight from the decoder are mapped through
    ``normalize`` the first time they are seen, so values of the wrong type cost nothing later.
    """

    def __init__(
        self,
        fields: tuple[str, ...],
        normalize: Callable[[tuple], tuple],
        empties: tuple,
    ) -> None:
        self.fields = fields
        self._normalize = normalize
        self.tables: dict[str, InternTable] = {
            f: InternTable(e) for f, e in zip(fields, empties, strict=True) if f != "objref"
        }
        self.shapes: InternTable[tuple] = InternTable(empties)
        self._raw: dict[tuple, int] = {empties: 0}
        self.get = self._raw.get
        """The code of a raw tuple already seen, else None (hot path; see :meth:`code`)."""
        self._columns: dict[str, list[int]] = {f: [0] for f in fields}
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.shapes)

    def code(self, raw: tuple) -> int:
        try:
            code = self._raw.get(raw)
        except TypeError:  # unhashable values of the wrong type: normalize first
            return self._intern(self._normalize(raw))
        if code is None:
            code = self._intern(self._normalize(raw))
            self._raw[raw] = code
        return code

    def _intern(self, shape: tuple) -> int:
        before = len(self.shapes)
        code = self.shapes.code(shape)
        if code == before:
            for name, value in zip(self.fields, shape, strict=True):
                table = self.tables.get(name)
                self._columns[name].append(table.code(value) if table else int(value))
            self._arrays.clear()
        return code

    def field_codes(self, name: str) -> np.ndarray:
        """Per shape code, the code of field ``name`` in ``self.tables[name]``."""
        array = self._arrays.get(name)
        if array is None:
            array = np.asarray(self._columns[name], dtype=np.uint32)
            self._arrays[name] = array
        return array
