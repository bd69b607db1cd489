"""Policy decisions for the rows of the event index, computed per distinct request.

A policy is a pure function of a request's attributes, and the index already interns those
attributes as shape codes. So rows are grouped by (client shape, request shape, name, URI) —
with the name and URI zeroed where the policy cannot see them — each group is evaluated once,
and the answer is spread back over the rows with one numpy index operation.
"""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.policy import Decision, LoadedPolicy, RequestFields
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

    def request_fields(self, store: EventStore, row: int) -> RequestFields:
        """What the policy's view of the request of one row is built from."""
        values = store.row(row)
        return RequestFields(
            user=values["user"],
            groups=values["groups"],
            verb=values["verb"],
            is_resource=values["objref"],
            request_uri=values["uri"],
            namespace=values["ns"],
            api_group=values["apigroup"],
            resource=values["resource"],
            subresource=values["sub"],
            name=values["name"],
        )

    def decision(self, store: EventStore, row: int) -> Decision:
        """The policy's decision for the request of one row."""
        return self.policy.evaluator.evaluate_fields(self.request_fields(store, row))

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
        evaluator = self.policy.evaluator
        who = store.column("who")[start:stop].astype(np.uint64)
        what = store.column("what")[start:stop].copy()
        keys = (who << np.uint64(32)) | what.astype(np.uint64)
        # The name and URL path matter only to policies that look at them: leave them out of
        # the grouping otherwise, so a million rows fall into a few thousand groups.
        extra = self._extra_keys(store, start, stop, what)
        if extra is not None:
            pairs = np.stack([keys, extra], axis=1)
            _, first_rows, inverse = np.unique(
                pairs.view(np.dtype((np.void, 16))).ravel(), return_index=True, return_inverse=True
            )
        else:
            _, first_rows, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rules = np.empty(len(first_rows), dtype=np.int32)
        logged = np.empty(len(first_rows), dtype=np.bool_)
        first = store.first_id
        for group, row in enumerate(first_rows.tolist()):
            try:
                fields = self.request_fields(store, first + start + row)
            except LookupError:  # evicted by the ingest thread meanwhile: no longer shown
                rules[group], logged[group] = NO_RULE, False
                continue
            decision = evaluator.evaluate_fields(fields)
            rules[group] = decision.rule or NO_RULE
            logged[group] = decision.logged(store.what.shapes.values[int(what[row])].stage)
        inverse = inverse.reshape(-1)
        return rules[inverse], logged[inverse]

    def _extra_keys(
        self, store: EventStore, start: int, stop: int, what: np.ndarray
    ) -> np.ndarray | None:
        """Name and URI codes for the rows whose decision can depend on them, or None."""
        evaluator = self.policy.evaluator
        if not (evaluator.uses_names or evaluator.uses_paths):
            return None
        is_resource = store.what.field_codes("objref")[what].astype(bool)
        create = store.what.tables["verb"].find("create")
        is_create = (
            store.what.field_codes("verb")[what] == create
            if create is not None
            else np.zeros(len(what), dtype=bool)
        )
        name = store.column("name")[start:stop].astype(np.uint64)
        uri = store.column("uri")[start:stop].astype(np.uint64)
        # The policy sees the URL path of non-resource requests and the URL name of creates.
        uri_needed = (~is_resource & evaluator.uses_paths) | (is_create & evaluator.uses_names)
        name_needed = is_resource & ~is_create & evaluator.uses_names
        return (np.where(name_needed, name, 0) << np.uint64(32)) | np.where(uri_needed, uri, 0)


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
