"""Policy decisions for the rows of the event index, computed per distinct request.

A policy is a pure function of a request's attributes, and the index already interns those
attributes as shape codes. So rows are grouped by (client shape, request shape, name, URI) —
with the name and URI zeroed where the policy cannot see them — each group is evaluated once,
and the answer is spread back over the rows with one numpy index operation.
"""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.policy import Decision, LoadedPolicy
from kaudit_tui.core.query import FieldSpec
from kaudit_tui.core.store import EventStore

NO_RULE = 0
"""Rule column value when no rule matched (rules are numbered from 1)."""


class RowDecisions:
    """Rule number and "would it be logged" for every row, kept up to date incrementally."""

    def __init__(self, policy: LoadedPolicy) -> None:
        self.policy = policy
        self._base = 0
        self._rule = np.zeros(0, dtype=np.int32)
        self._logged = np.zeros(0, dtype=np.bool_)

    def request_fields(self, store: EventStore, row: int) -> tuple:
        """The arguments of ``Evaluator.evaluate_fields`` for one row."""
        values = store.row(row)
        user = values["user"]
        groups = values["groups"]
        return (
            user if (user or groups) else None,
            groups,
            values["verb"],
            values["objref"],
            values["uri"],
            values["ns"],
            values["apigroup"],
            values["resource"],
            values["sub"],
            values["name"],
        )

    def decision(self, store: EventStore, row: int) -> Decision:
        """The policy's decision for the request of one row."""
        return self.policy.evaluator.evaluate_fields(*self.request_fields(store, row))

    def columns(self, store: EventStore, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rule numbers, logged flags) for ``rows`` (absolute row ids)."""
        self._catch_up(store)
        index = np.asarray(rows, dtype=np.int64) - self._base
        gone = index < 0  # evicted while a filter that asked for them was running
        if gone.any():
            index = np.where(gone, 0, index)
            return np.where(gone, NO_RULE, self._rule[index]), self._logged[index] & ~gone
        return self._rule[index], self._logged[index]

    def _catch_up(self, store: EventStore) -> None:
        if store.first_id > self._base:  # rows were evicted
            drop = min(store.first_id - self._base, len(self._rule))
            self._rule, self._logged = self._rule[drop:], self._logged[drop:]
            self._base = store.first_id
        done = self._base + len(self._rule)
        if done >= store.next_id:
            return
        rule, logged = self._evaluate(store, done - store.first_id, len(store))
        self._rule = np.concatenate([self._rule, rule])
        self._logged = np.concatenate([self._logged, logged])

    def _evaluate(self, store: EventStore, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        who = store.column("who")[start:stop].astype(np.uint64)
        what = store.column("what")[start:stop].astype(np.uint64)
        name = store.column("name")[start:stop].astype(np.uint64)
        uri = store.column("uri")[start:stop].astype(np.uint64)
        is_resource = store.what.field_codes("objref")[what.astype(np.int64)].astype(bool)
        verbs = store.what.tables["verb"]
        create = verbs.find("create")
        is_create = (
            store.what.field_codes("verb")[what.astype(np.int64)] == create
            if create is not None
            else np.zeros(len(what), dtype=bool)
        )
        # The policy sees the URL path of non-resource requests and the URL name of creates.
        uri = np.where(~is_resource | is_create, uri, 0)
        name = np.where(is_resource & ~is_create, name, 0)
        keys = np.stack([(who << 32) | what, (name << 32) | uri], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        rules = np.empty(len(unique), dtype=np.int32)
        logged = np.empty(len(unique), dtype=np.bool_)
        first_rows = np.zeros(len(unique), dtype=np.int64)
        first_rows[inverse[::-1]] = np.arange(len(keys) - 1, -1, -1)
        first = store.first_id
        for group, row in enumerate(first_rows.tolist()):
            try:
                decision = self.decision(store, first + start + row)
                stage = str(store.field_value(first + start + row, "stage"))
            except LookupError:  # evicted by the ingest thread meanwhile: no longer shown
                rules[group], logged[group] = NO_RULE, False
                continue
            rules[group] = decision.rule or NO_RULE
            logged[group] = decision.logged(stage)
        inverse = inverse.reshape(-1)
        return rules[inverse], logged[inverse]


def _parse_rule(text: str) -> int:
    if text in ("none", "no", "0"):
        return NO_RULE
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


def _parse_bool(text: str) -> bool:
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValueError(text)


def policy_fields(decisions: RowDecisions) -> dict[str, FieldSpec]:
    """The query fields a loaded policy adds: ``rule:N``/``rule:none`` and ``logged:true|false``."""
    return {
        "rule": FieldSpec(
            values=lambda store, rows: decisions.columns(store, rows)[0],
            parse=_parse_rule,
            expected="a rule number (from 1) or none",
            help="the policy rule the request hits (rule:none = no rule matched)",
        ),
        "logged": FieldSpec(
            values=lambda store, rows: decisions.columns(store, rows)[1],
            parse=_parse_bool,
            expected="true or false",
            help="whether the policy would have written this event",
        ),
    }
