"""Interning tables: each distinct value gets a small integer code.

Audit logs repeat the same users, verbs, resources and namespaces millions of times; storing a
code per event instead of a string is what keeps the index at tens of bytes per event and lets
filters run as array operations (a predicate is tested once per distinct value, not per event).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import compress, repeat
from operator import is_
from typing import Generic, TypeVar, get_type_hints

import numpy as np

T = TypeVar("T", bound=Hashable)
_WHOLE_LIST = 64
"""Values from which a predicate's whole-list test (``mask_of``) is worth its set-up."""


class InternTable(Generic[T]):
    """Mapping between values and dense integer codes (code 0 is ``empty``).

    A code keeps its value for as long as any row uses it. Codes no row uses any more can be
    released and then given to new values; every such reuse is logged, so a mask computed
    over the values can be brought up to date by re-testing only the codes reused since
    (see :meth:`reused_since`).
    """

    __slots__ = ("values", "_index", "_next", "_free", "_reused", "get", "add")

    def __init__(self, empty: T) -> None:
        self.values: list[T] = [empty]
        self._index: dict[T, int] = {empty: 0}
        self._next = 1
        self._free: list[int] = []
        self._reused: tuple[int, array[int]] = (0, array("I"))
        """(codes dropped from the front of the log, the log): replaced as one, so a reader
        in another thread always sees a consistent pair."""
        self.get = self._index.get
        """The code of a value already seen, else None (the bound dict method: hot path)."""
        self.add = self._index.setdefault
        """``add(value, table.next_code)`` is the code of ``value``, reserving the next code for
        it if it is new, in one dict operation; when it returns that code the caller must then
        :meth:`claim` it (hot path for tables of mostly new values, such as URIs)."""

    def __len__(self) -> int:
        return len(self.values)

    @property
    def epoch(self) -> int:
        """How many times a code has been given a new value: a mask computed at one epoch
        needs the codes :meth:`reused_since` that epoch re-tested."""
        base, log = self._reused
        return base + len(log)

    def code(self, value: T) -> int:
        """The code of ``value``, assigning one on first sight (a released one if any)."""
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = self.next_code
            self.claim(value)
        return code

    @property
    def next_code(self) -> int:
        """The code the next new value gets: the last one released if any, else a new one."""
        return self._free[-1] if self._free else self._next

    def codes(self, values: Sequence[T]) -> list[int]:
        """The codes of ``values``, assigning codes to new ones in order of first sight: as
        :meth:`code` one value after the other gives them, with a few calls for a whole batch
        (no Python code runs per value)."""
        index = self._index
        found = list(map(index.get, values))
        if None not in found:
            return found  # type: ignore[return-value]
        if self._free:  # released codes to give out first: one by one
            return [self.code(value) for value in values]
        new = dict.fromkeys(compress(values, map(is_, found, repeat(None))))
        start = self._next
        self.values.extend(new)  # values first: a reader never finds a code without its value
        self._next += len(new)
        index.update(zip(new, range(start, self._next), strict=True))
        return list(map(index.get, values))  # type: ignore[arg-type]

    def distinct_codes(self, values: Sequence[T]) -> np.ndarray:
        """The codes of ``values``, none of which appears twice, as :meth:`codes` gives them
        (new ones in order), with one lookup of each value instead of two."""
        index = self._index
        found = np.fromiter(map(index.get, values, repeat(-1)), dtype=np.int64, count=len(values))
        new = found < 0
        if not new.any():
            return found
        if self._free:  # released codes to give out first: one by one
            return np.array([self.code(value) for value in values], dtype=np.int64)
        fresh = list(compress(values, new.tolist()))
        start = self._next
        self.values.extend(fresh)  # values first: a reader never finds a code without its value
        self._next += len(fresh)
        index.update(zip(fresh, range(start, self._next), strict=True))
        found[new] = np.arange(start, self._next)
        return found

    def claim(self, value: T) -> int:
        """Store ``value`` under :attr:`next_code`, which the index already maps it to.

        Returns the next code after it (see :attr:`add`).
        """
        free = self._free
        if free:
            code = free.pop()
            self.values[code] = value
            self._reused[1].append(code)
        else:
            self._next += 1
            self.values.append(value)
        return free[-1] if free else self._next

    def release(self, codes: Iterable[int]) -> None:
        """Forget the values of ``codes`` (which no row uses any more) so the codes can be
        reused."""
        empty = self.values[0]
        for code in codes:
            code = int(code)
            value = self.values[code]
            if code == 0 or self._index.get(value) != code:
                continue  # code 0, or already released
            del self._index[value]
            self.values[code] = empty
            self._free.append(code)
        base, log = self._reused
        if len(log) > 2 * len(self.values):  # keep the log about as long as the table
            drop = len(log) // 2
            self._reused = (base + drop, log[drop:])

    def reused_since(self, epoch: int) -> list[int] | None:
        """Codes given new values since ``epoch``; None if the log no longer goes back so far."""
        base, log = self._reused
        if epoch < base:
            return None
        return log[epoch - base :].tolist()

    def find(self, value: T) -> int | None:
        """The code of ``value`` if it has been seen, else None."""
        return self._index.get(value)

    def mask(self, predicate: Callable[[T], bool], start: int = 0) -> np.ndarray:
        """Boolean array over codes ``start..len``: which values satisfy ``predicate``.

        A predicate with a ``mask_of`` method tests a whole list of values in one call.
        """
        values = self.values[start:]  # one snapshot: the ingest thread may be appending
        mask_of = getattr(predicate, "mask_of", None)
        if mask_of is not None and len(values) >= _WHOLE_LIST:
            return mask_of(values)
        return np.fromiter((bool(predicate(v)) for v in values), dtype=np.bool_, count=len(values))

    def extend_mask(self, mask: np.ndarray, predicate: Callable[[T], bool]) -> np.ndarray:
        """``mask`` grown to cover values added since it was computed."""
        if len(mask) == len(self.values):
            return mask
        return np.concatenate([mask, self.mask(predicate, len(mask))])

    def codes_of(self, values: Iterable[T]) -> list[int]:
        """Codes of the given values that have been seen."""
        return [c for c in (self._index.get(v) for v in values) if c is not None]


def field_names(shape: type[tuple]) -> tuple[str, ...]:
    """The field names of a shape record as the store and queries spell them.

    A trailing underscore (PEP 8's way around a keyword: ``as_``) is not part of the name.
    """
    return tuple(name.removesuffix("_") for name in shape._fields)  # type: ignore[attr-defined]


def field_types(shape: type[tuple]) -> dict[str, type]:
    """The type of each field of a shape record (``str``, ``tuple`` or ``bool``), by name."""
    hints = get_type_hints(shape)
    return {
        name: getattr(hints[attribute], "__origin__", hints[attribute])
        for name, attribute in zip(field_names(shape), shape._fields, strict=True)  # type: ignore[attr-defined]
    }


class ShapeTable:
    """Interns tuples of several fields at once, keeping one code column per field.

    Looking up one tuple per event is much cheaper than one lookup per field, and filters test a
    predicate once per distinct shape. Raw tuples straight from the decoder are mapped through
    ``normalize`` the first time they are seen, so values of the wrong type cost nothing later.
    """

    def __init__(self, shape: type[tuple], normalize: Callable[[tuple], tuple]) -> None:
        """``shape``: the NamedTuple of the fields (see ``decode.ClientShape``), whose defaults
        make the empty shape (code 0); a ``bool`` field is stored as its value, not interned."""
        self.shape = shape
        self.fields = field_names(shape)
        self._normalize = normalize
        empties = shape()
        kinds = field_types(shape)
        self.tables: dict[str, InternTable] = {
            f: InternTable(e)
            for f, e in zip(self.fields, empties, strict=True)
            if kinds[f] is not bool
        }
        self.shapes: InternTable[tuple] = InternTable(empties)
        self._raw: dict[tuple, int] = {empties: 0}
        self.get = self._raw.get
        """The code of a raw tuple already seen, else None (hot path; see :meth:`code`)."""
        self._columns: dict[str, list[int]] = {f: [0] for f in self.fields}
        self.coerced: set[int] = set()
        """Shape codes some event reached through coerced values (see :meth:`mark_coerced`)."""
        self.coerced_log: list[int] = []
        """The same codes in the order they were marked (what a helper process still has to
        tell the main one)."""
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.shapes)

    def code(self, raw: tuple) -> int:
        try:
            code = self._raw.get(raw)
        except TypeError:  # unhashable values of the wrong type: normalize first
            return self.mark_coerced(self._intern(self._normalize(raw)))
        if code is None:
            shape = self._normalize(raw)
            code = self._intern(shape)
            if shape != raw:
                self.mark_coerced(code)
            self._raw[raw] = code
        return code

    def mark_coerced(self, code: int) -> int:
        """Record that some event's raw fields had to be coerced to give shape ``code`` (a
        value of the wrong type became text or ""): its fields then do not tell exactly what
        the event holds, which rules read from the index must know."""
        if code not in self.coerced:
            self.coerced.add(code)
            self.coerced_log.append(code)
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
        """Per shape code, the code of field ``name`` in ``self.tables[name]``.

        Readers in other threads call this while indexing adds shapes: a reader may cache an
        array built just before a shape was added (after the writer cleared the cache). The
        column only grows, so an array as long as the column is current, and any other is
        built again."""
        column = self._columns[name]
        array = self._arrays.get(name)
        if array is None or len(array) != len(column):
            array = np.asarray(column, dtype=np.uint32)
            self._arrays[name] = array
        return array
