"""Compile the query tree into an evaluation plan, and bind the plan to one store snapshot.

A conjunction of terms (any query without OR or a negated group) is one :class:`Plan`: terms
on interned columns are ANDed as code masks first (a handful of gathers for any number of
terms), then per-row tests run on each block, then text searches on the rows that survive:
cheapest first, so disk is only read for candidates. OR and a negated group combine the
ascending row positions of their parts with numpy set operations; each part only looks at the
rows still undecided, so text is read for as few rows as a conjunction would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import msgspec
import numpy as np

from kaudit_tui.core.query import predicates as p
from kaudit_tui.core.query.fields import FieldSpec
from kaudit_tui.core.query.ids import IdMatcher
from kaudit_tui.core.query.nodes import And, FieldTerm, Node, Not, Or, RegexTerm, Term, TextTerm
from kaudit_tui.core.query.textscan import Needle, regex_needle, scan, text_needle
from kaudit_tui.core.store import EventStore

RowBinder = Callable[[EventStore, dict[str, np.ndarray]], p.RowTest]


class Plan(msgspec.Struct):
    coded: list[tuple[p.Coded, bool]] = msgspec.field(default_factory=list)
    rows: list[tuple[RowBinder, bool]] = msgspec.field(default_factory=list)
    text: list[tuple[Needle, bool]] = msgspec.field(default_factory=list)

    def bind(self, store: EventStore, count: int) -> Bound:
        """The plan over the first ``count`` live rows of ``store`` (masks computed now)."""
        cols = {name: store.column(name)[:count] for name in _COLUMNS}
        cols["code"] = cols["code"].view(np.uint16)
        masks: dict[str, np.ndarray] = {}
        for predicate, negated in self.coded:
            mask = predicate.code_mask(store)
            mask = ~mask if negated else mask
            masks[predicate.column] = (
                masks[predicate.column] & mask if predicate.column in masks else mask
            )
        rows = [(binder(store, cols), negated) for binder, negated in self.rows]
        return Bound(store, cols, masks, rows, self.text)


_COLUMNS = ("who", "what", "name", "uri", "code", "ts", "rx", "id_hi", "id_lo", "seg", "off", "len",
            "item")  # fmt: skip


class Bound(msgspec.Struct):
    """A plan ready to run on blocks of rows of one store snapshot."""

    store: EventStore
    cols: dict[str, np.ndarray]
    masks: dict[str, np.ndarray]
    rows: list[tuple[p.RowTest, bool]]
    text: list[tuple[Needle, bool]]

    @property
    def matches_nothing(self) -> bool:
        return any(not mask.any() for mask in self.masks.values())

    def block(self, index: p.Index, cancelled: Callable[[], bool] | None) -> np.ndarray:
        """Positions (into the live columns) of the matching rows of one block."""
        keep: np.ndarray | None = None
        for column, mask in self.masks.items():
            hits = mask[self.cols[column][index]]
            keep = hits if keep is None else np.logical_and(keep, hits, out=keep)
        for test, negated in self.rows:
            if keep is not None and not keep.any():
                break
            hits = test(index)
            hits = ~hits if negated else hits
            keep = hits if keep is None else np.logical_and(keep, hits, out=keep)
        if isinstance(index, slice):
            positions = np.arange(index.start, index.stop, dtype=np.int64)
        else:
            positions = index
        if keep is not None:
            positions = positions[keep]
        for needle, negated in self.text:
            if not len(positions):
                break
            hits = scan(self.store, positions, needle, cancelled, self.cols)
            positions = positions[hits != negated]
        return positions


class BoundNode(Protocol):
    """A compiled query bound to one store snapshot: :class:`Bound` or a combination."""

    @property
    def matches_nothing(self) -> bool: ...

    def block(self, index: p.Index, cancelled: Callable[[], bool] | None) -> np.ndarray: ...


class Compiled(Protocol):
    def bind(self, store: EventStore, count: int) -> BoundNode: ...


def _positions(index: p.Index) -> np.ndarray:
    if isinstance(index, slice):
        return np.arange(index.start, index.stop, dtype=np.int64)
    return index


class AllOf(msgspec.Struct):
    """A conjunction with groups in it: the plain terms (one :class:`Plan`) narrow the rows
    first, then each group keeps the rows it matches."""

    terms: Plan | None
    groups: list[Compiled]

    def bind(self, store: EventStore, count: int) -> BoundAll:
        terms = self.terms.bind(store, count) if self.terms is not None else None
        return BoundAll(terms, [group.bind(store, count) for group in self.groups])


class BoundAll(msgspec.Struct):
    terms: Bound | None
    groups: list[BoundNode]

    @property
    def matches_nothing(self) -> bool:
        parts = [*self.groups, *([self.terms] if self.terms is not None else [])]
        return any(part.matches_nothing for part in parts)

    def block(self, index: p.Index, cancelled: Callable[[], bool] | None) -> np.ndarray:
        if self.terms is not None:
            positions = self.terms.block(index, cancelled)
        else:
            positions = _positions(index)
        for group in self.groups:
            if not len(positions):
                break
            positions = group.block(positions, cancelled)
        return positions


class AnyOf(msgspec.Struct):
    """A disjunction: the union of the rows each part matches."""

    parts: list[Compiled]

    def bind(self, store: EventStore, count: int) -> BoundAny:
        return BoundAny([part.bind(store, count) for part in self.parts])


class BoundAny(msgspec.Struct):
    parts: list[BoundNode]

    @property
    def matches_nothing(self) -> bool:
        return all(part.matches_nothing for part in self.parts)

    def block(self, index: p.Index, cancelled: Callable[[], bool] | None) -> np.ndarray:
        rest = _positions(index)
        found = np.empty(0, np.int64)
        for part in self.parts:
            if not len(rest):
                break
            if part.matches_nothing:
                continue
            hits = part.block(rest, cancelled)  # a later part only sees rows not yet matched
            found = np.union1d(found, hits)
            rest = np.setdiff1d(rest, hits, assume_unique=True)
        return found


class NoneOf(msgspec.Struct):
    """A negated group: the rows it does not match."""

    part: Compiled

    def bind(self, store: EventStore, count: int) -> BoundNone:
        return BoundNone(self.part.bind(store, count))


class BoundNone(msgspec.Struct):
    part: BoundNode
    matches_nothing = False

    def block(self, index: p.Index, cancelled: Callable[[], bool] | None) -> np.ndarray:
        positions = _positions(index)
        if not len(positions) or self.part.matches_nothing:
            return positions
        return np.setdiff1d(positions, self.part.block(positions, cancelled), assume_unique=True)


def compile_node(node: Node | None, extra: Mapping[str, FieldSpec]) -> Compiled:
    """The plan of a query tree; a conjunction of terms (or one term) is exactly one Plan."""
    if node is None:
        return Plan()
    if isinstance(node, Or):
        return AnyOf([compile_node(child, extra) for child in node.children])
    if isinstance(node, Not):
        return NoneOf(compile_node(node.child, extra))
    children = node.children if isinstance(node, And) else (node,)
    terms = [child for child in children if isinstance(child, FieldTerm | TextTerm | RegexTerm)]
    groups = [compile_node(child, extra) for child in children if isinstance(child, Or | Not)]
    plan = compile_terms(terms, extra)
    if not groups:
        return plan
    return AllOf(plan if terms else None, groups)


def compile_terms(terms: list[Term], extra: Mapping[str, FieldSpec]) -> Plan:
    plan = Plan()
    for term in terms:
        if isinstance(term, TextTerm):
            plan.text.append((text_needle(term.parts), term.negated))
        elif isinstance(term, RegexTerm):
            plan.text.append((regex_needle(term.pattern), term.negated))
        else:
            _add_field(plan, term, extra)
    return plan


def _add_field(plan: Plan, term: FieldTerm, extra: Mapping[str, FieldSpec]) -> None:
    name, values, negated = term.field, term.values, term.negated
    coded = _coded(name, values)
    if coded is not None:
        plan.coded.append((coded, negated))
    elif name in ("since", "until"):
        plan.rows.append((_time_binder(name, values[0]), negated))  # type: ignore[arg-type]
    elif name == "latency":
        plan.rows.append((lambda store, cols: p.bind_latency(values, cols), negated))  # type: ignore[arg-type]
    elif name == "id":
        matcher = IdMatcher(values)  # type: ignore[arg-type]
        plan.rows.append((lambda store, cols: p.bind_id(matcher, store, cols), negated))
    else:
        spec = extra[name]
        plan.rows.append((lambda store, cols: p.bind_extra(spec, values, store), negated))


def _coded(name: str, values: tuple[object, ...]) -> p.Coded | None:
    if name == "resource":
        return p.ResourceField(values)  # type: ignore[arg-type]
    if name in ("name", "uri"):
        return p.InternedField(name, values)
    if name == "source":
        return p.SourceField(values)
    if name == "who":
        return p.WhoField(values)
    if name == "code":
        return p.CodeField(values)  # type: ignore[arg-type]
    if name in p.WHO_FIELDS_QUERY or name in p.WHAT_FIELDS_QUERY:
        return p.ShapeField(p.STORE_FIELD.get(name, name), values)
    return None


def _time_binder(name: str, value: object) -> RowBinder:
    return lambda store, cols: p.bind_time(name, value, cols)  # type: ignore[arg-type]
