"""The :class:`Query` object: parsed text plus the plan that filters an :class:`EventStore`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from kaudit_tui.core.query.errors import QueryCancelled
from kaudit_tui.core.query.fields import FIELDS, FieldSpec
from kaudit_tui.core.query.nodes import FieldTerm, Node, Term
from kaudit_tui.core.query.parser import parse_tree
from kaudit_tui.core.query.plan import compile_node
from kaudit_tui.core.store import EventStore

BLOCK = 100_000
"""Rows evaluated between two checks of the ``cancelled`` callback."""


class Query:
    """A parsed query; :meth:`filter` returns the ids of the rows it matches.

    ``node`` is the query tree (None for the empty query, which matches everything) and
    ``terms`` every term in text order: for a query without OR or a negated group, all of
    them must hold.
    """

    def __init__(
        self, text: str, node: Node | None, terms: list[Term], extra: Mapping[str, FieldSpec]
    ) -> None:
        self.text = text
        self.node = node
        self.terms: tuple[Term, ...] = tuple(terms)
        self._plan = compile_node(node, extra)

    def __repr__(self) -> str:
        return f"Query({self.text!r})"

    @property
    def fields(self) -> set[str]:
        """Canonical names of the fields the query uses (free text and regex are not fields)."""
        return {t.field for t in self.terms if isinstance(t, FieldTerm)}

    @property
    def has_text(self) -> bool:
        """Whether the query searches raw event text (and so reads from disk)."""
        return any(not isinstance(t, FieldTerm) for t in self.terms)

    def filter(
        self,
        store: EventStore,
        rows: np.ndarray | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        """Ascending int64 ids of the matching rows.

        Args:
            store: the events; rows appended while the filter runs are not considered.
            rows: ascending candidate row ids (e.g. only the rows just appended); ids that are
                no longer live are ignored. None means every live row.
            cancelled: polled between blocks of ~100k rows and between disk reads.

        Raises:
            QueryCancelled: ``cancelled`` returned true.
        """
        count = len(store)
        first = store.first_id
        if rows is None:
            positions = None
            total = count
        else:
            positions = np.asarray(rows, dtype=np.int64) - first
            positions = positions[(positions >= 0) & (positions < count)]
            total = len(positions)
        bound = self._plan.bind(store, count)
        if total == 0 or bound.matches_nothing:
            return np.empty(0, np.int64)
        found = []
        for start in range(0, total, BLOCK):
            if cancelled is not None and cancelled():
                raise QueryCancelled
            stop = min(start + BLOCK, total)
            index = slice(start, stop) if positions is None else positions[start:stop]
            found.append(bound.block(index, cancelled))
        return np.concatenate(found) + first


def parse_query(text: str, *, extra_fields: Mapping[str, FieldSpec] | None = None) -> Query:
    """Parse query text; raises :class:`QueryError` (with a column) when it is not valid.

    ``extra_fields`` adds fields computed outside the store (see :class:`FieldSpec`); they may
    not reuse a built-in field name.
    """
    extra = MappingProxyType(dict(extra_fields or {}))
    clash = sorted(name for name in extra if name in FIELDS)
    if clash:
        raise ValueError(f"extra fields shadow built-in fields: {', '.join(clash)}")
    node, terms = parse_tree(text, extra)
    return Query(text, node, terms, extra)
