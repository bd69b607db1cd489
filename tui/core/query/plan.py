"""Compile typed terms into an evaluation plan, and bind the plan to one store snapshot.

Terms on interned columns are ANDed as code masks first (a handful of gathers for any number of
terms), then per-row tests run on each block, then text searches on the rows that survive:
cheapest first, so disk is only read for candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from kaudit_tui.core.query import predicates as p
from kaudit_tui.core.query.fields import FieldSpec
from kaudit_tui.core.query.ids import IdMatcher
from kaudit_tui.core.query.nodes import FieldTerm, RegexTerm, Term, TextTerm
from kaudit_tui.core.query.textscan import Needle, regex_needle, scan, text_needle
from kaudit_tui.core.store import EventStore

RowBinder = Callable[[EventStore, dict[str, np.ndarray]], p.RowTest]


@dataclass
class Plan:
    coded: list[tuple[p.Coded, bool]] = field(default_factory=list)
    rows: list[tuple[RowBinder, bool]] = field(default_factory=list)
    text: list[tuple[Needle, bool]] = field(default_factory=list)

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


@dataclass
class Bound:
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
    if name == "code":
        return p.CodeField(values)  # type: ignore[arg-type]
    if name in p.WHO_FIELDS_QUERY or name in p.WHAT_FIELDS_QUERY:
        return p.ShapeField(p.STORE_FIELD.get(name, name), values)
    return None


def _time_binder(name: str, value: object) -> RowBinder:
    return lambda store, cols: p.bind_time(name, value, cols)  # type: ignore[arg-type]
