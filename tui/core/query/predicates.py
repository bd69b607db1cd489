"""Compiled field terms: code masks over interned values, and per-row tests.

A predicate on an interned field (user, verb, name, uri, source, code, …) is evaluated once per
distinct value and returned as a boolean mask indexed by the codes of one store column, so the
engine can AND all terms on that column and gather once per row. Fields that vary per row
(latency, times, audit ID, fields added from outside) are vectorised tests on row blocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

import numpy as np

from kaudit_tui.core.decode import TUPLE_FIELDS, WHAT_FIELDS, WHO_FIELDS
from kaudit_tui.core.query.fields import FieldSpec
from kaudit_tui.core.query.ids import IdMatcher
from kaudit_tui.core.query.masks import CACHE
from kaudit_tui.core.query.values import AnyOf, Glob, Range, ResourceValue, TimeValue
from kaudit_tui.core.timestamps import NO_TIME

if TYPE_CHECKING:
    from kaudit_tui.core.store import EventStore

Index = slice | np.ndarray
"""A block of rows: a slice of the live columns, or positions into them."""
RowTest = Callable[[Index], np.ndarray]

STORE_FIELD = {"group": "groups"}
"""Query field names that differ from the store's shape field names."""
_QUERY_FIELD = {store: query for query, store in STORE_FIELD.items()}
_NOT_SHAPE_TERMS = frozenset({"resource", "objref"})
"""Shape fields without a term of their own: ``resource:`` tests the resource and subresource
together (:class:`ResourceField`); objref is no query field."""
WHO_FIELDS_QUERY = frozenset(_QUERY_FIELD.get(f, f) for f in WHO_FIELDS)
WHAT_FIELDS_QUERY = frozenset(
    _QUERY_FIELD.get(f, f) for f in WHAT_FIELDS if f not in _NOT_SHAPE_TERMS
)


def _matcher(values: tuple[object, ...]) -> Callable[[str], bool]:
    if all(isinstance(v, Glob) for v in values):
        return AnyOf(values)  # type: ignore[arg-type]
    tests: tuple[Callable[[str], bool], ...] = values  # type: ignore[assignment]
    return lambda text: any(test(text) for test in tests)


def _any_item(match: Callable[[str], bool]) -> Callable[[tuple[str, ...]], bool]:
    """For fields holding several values (groups, source IPs): does any of them match?"""
    return lambda items: any(match(item) for item in items)


class ShapeField:
    """A field of the request shapes (``who`` or ``what``): user, verb, ns, group, ip, …"""

    def __init__(self, field: str, values: tuple[object, ...]) -> None:
        self.field = field
        self.column = "who" if field in WHO_FIELDS else "what"
        self.key: Hashable = (field, values)
        match = _matcher(values)
        self.test = _any_item(match) if field in TUPLE_FIELDS else match

    def code_mask(self, store: EventStore) -> np.ndarray:
        _, table = store.shape_table(self.field)
        value_mask = CACHE.mask(store, table.tables[self.field], self.key, self.test)
        return value_mask[table.field_codes(self.field)]


class WhoField:
    """``who:``: the identity a request acted as, the impersonated user when there is one,
    else the user. Both are fields of the client shape, so it is one mask per shape code."""

    column = "who"

    def __init__(self, values: tuple[object, ...]) -> None:
        self.values = values
        self.test = _matcher(values)

    def code_mask(self, store: EventStore) -> np.ndarray:
        table = store.who
        # the same cache entries as ``user:`` and ``as:`` terms with these values
        users = CACHE.mask(store, table.tables["user"], ("user", self.values), self.test)
        impersonated = CACHE.mask(store, table.tables["as"], ("as", self.values), self.test)
        as_codes = table.field_codes("as")
        return np.where(as_codes != 0, impersonated[as_codes], users[table.field_codes("user")])


class ResourceField:
    """``resource:``: the resource and subresource fields of the request shapes together."""

    column = "what"

    def __init__(self, values: tuple[ResourceValue, ...]) -> None:
        self.values = values

    def code_mask(self, store: EventStore) -> np.ndarray:
        table = store.what
        resources = table.field_codes("resource")
        subs = table.field_codes("sub")
        result = np.zeros(len(resources), np.bool_)
        for value in self.values:
            resource = table.tables["resource"]
            mask = CACHE.mask(store, resource, ("resource", value.resource), value.resource)
            shape_mask = mask[resources]
            if value.sub is not None:
                sub = table.tables["sub"]
                sub_mask = CACHE.mask(store, sub, ("resource/sub", value), value.sub_matches)
                shape_mask &= sub_mask[subs]
            result |= shape_mask
        return result


class InternedField:
    """``name:`` and ``uri:``, whose codes index the store's own interning tables."""

    def __init__(self, field: str, values: tuple[object, ...]) -> None:
        self.column = field
        self.key: Hashable = (field, values)
        self.test = _matcher(values)

    def code_mask(self, store: EventStore) -> np.ndarray:
        table = store.names if self.column == "name" else store.uris
        return CACHE.mask(store, table, self.key, self.test)  # type: ignore[arg-type]


class SourceField:
    """``source:``: the label of the segment (source file) a row was read from."""

    column = "seg"

    def __init__(self, values: tuple[object, ...]) -> None:
        self.test = _matcher(values)

    def code_mask(self, store: EventStore) -> np.ndarray:
        labels = [reader.label for reader in store.segments]
        hits = [self.test(label) or self.test(os.path.basename(label)) for label in labels]
        return np.asarray(hits, np.bool_).reshape(len(labels))


class CodeField:
    """``code:``: ranges of status codes as a mask over every possible code value."""

    column = "code"

    def __init__(self, values: tuple[Range, ...]) -> None:
        self.values = values

    def code_mask(self, store: EventStore) -> np.ndarray:
        mask = np.zeros(1 << 16, np.bool_)  # indexed by the code column viewed as uint16
        for value in self.values:
            mask[value.low : value.high + 1] = True
        return mask


Coded = ShapeField | WhoField | ResourceField | InternedField | SourceField | CodeField


def bind_latency(values: tuple[Range, ...], cols: dict[str, np.ndarray]) -> RowTest:
    ts, rx = cols["ts"], cols["rx"]

    def test(index: Index) -> np.ndarray:
        stage, received = ts[index], rx[index]
        latency = stage - received
        result = np.zeros(len(latency), np.bool_)
        for value in values:
            result |= (latency >= value.low) & (latency <= value.high)
        return result & (stage != NO_TIME) & (received != NO_TIME)

    return test


def newest_time(cols: dict[str, np.ndarray]) -> int:
    """The latest stage time in the store (what ``since:15m`` counts back from)."""
    ts = cols["ts"]
    return int(ts.max()) if len(ts) else NO_TIME


def bind_time(field: str, value: TimeValue, cols: dict[str, np.ndarray]) -> RowTest:
    ts = cols["ts"]
    bound = value.micros
    if value.relative:
        newest = newest_time(cols)
        bound = newest - value.micros if newest != NO_TIME else NO_TIME
    at_or_after = field == "since"

    def test(index: Index) -> np.ndarray:
        stage = ts[index]
        if bound == NO_TIME:
            return np.zeros(len(stage), np.bool_)
        within = stage >= bound if at_or_after else stage <= bound
        return within & (stage != NO_TIME)

    return test


def bind_id(matcher: IdMatcher, store: EventStore, cols: dict[str, np.ndarray]) -> RowTest:
    hi, lo = cols["id_hi"], cols["id_lo"]
    return lambda index: matcher.evaluate(store, hi[index], lo[index])


def bind_extra(spec: FieldSpec, values: tuple[object, ...], store: EventStore) -> RowTest:
    wanted = np.asarray(values)
    first = store.first_id

    def test(index: Index) -> np.ndarray:
        if isinstance(index, slice):
            rows = np.arange(index.start + first, index.stop + first, dtype=np.int64)
        else:
            rows = index + first
        found = np.asarray(spec.values(store, rows))
        if spec.match is not None:
            return spec.match(found, values)
        return np.isin(found, wanted)

    return test
