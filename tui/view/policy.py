"""What the policy panel and the rules screen show, computed without Textual.

For one event: the rule that decides its request (as written in the policy file, comments
included), the level, the omitted stages, whether kube-apiserver would have logged this event,
and why each earlier rule did not match. For the view: hits and logged bytes per rule.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np

from kaudit_tui.core.decisions import NO_RULE, RowDecisions
from kaudit_tui.core.decisions import policy_fields as decision_fields
from kaudit_tui.core.policy import (
    LoadedPolicy,
    PolicyReport,
    PolicyWatcher,
    RuleExplanation,
    attributes_from_fields,
)
from kaudit_tui.core.query import FieldSpec
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore


@dataclass(frozen=True, slots=True)
class RowVerdict:
    """The policy's answer for one event."""

    rule: int | None
    level: str
    omit_stages: tuple[str, ...]
    stage: str
    logged: bool
    logged_level: str
    """The level the event itself carries (differs when the log came from another policy)."""
    rule_text: str
    earlier: list[RuleExplanation]
    undecided: tuple[int, ...] = ()
    """Rules whose ``userGroups`` the event cannot decide: it logs no groups (GKE)."""


def rule_texts(policy: LoadedPolicy) -> list[str]:
    """Each rule's text as written in its file, kept by the loader from the rule's YAML node
    (a summary for a rule built without a file)."""
    return [rule.source or f"- level: {rule.level}" for rule in policy.rules]


def verdict(
    policy: LoadedPolicy, decisions: RowDecisions, texts: list[str], store: EventStore, row: int
) -> RowVerdict:
    decision = decisions.decision(store, row)
    fields = decisions.request_fields(store, row)
    attrs = attributes_from_fields(fields)
    explanations = policy.explain(attrs)
    values = store.row(row)
    stage = str(values["stage"])
    rule = decision.rule
    return RowVerdict(
        rule=rule,
        level=decision.level,
        omit_stages=tuple(sorted(decision.omit_stages)),
        stage=stage,
        logged=decision.logged(stage),
        logged_level=str(values["level"]),
        rule_text=texts[rule - 1] if rule else "",
        earlier=[e for e in explanations if not e.matched],
        undecided=tuple(policy.undecided_user_groups(attrs)),
    )


@dataclass(frozen=True, slots=True)
class RuleHits:
    """One row of the rules screen."""

    rule: int | None
    level: str
    line: int
    events: int
    bytes: int


def rule_hits(
    policy: LoadedPolicy, decisions: RowDecisions, store: EventStore, rows: np.ndarray
) -> list[RuleHits]:
    """Events and logged bytes per rule over ``rows`` (every rule listed, hit or not)."""
    count = len(policy.rules)
    rules, _ = decisions.columns(store, rows)
    sizes = store.column("len")[np.asarray(rows, dtype=np.int64) - store.first_id].astype(np.int64)
    events = np.bincount(rules, minlength=count + 1)
    volume = np.bincount(rules, weights=sizes, minlength=count + 1)
    table = []
    for number in [*range(1, count + 1), NO_RULE]:
        rule = policy.rules[number - 1] if number else None
        table.append(
            RuleHits(
                rule=number or None,
                level=rule.level if rule else "None (no rule matched)",
                line=rule.line if rule else 0,
                events=int(events[number]),
                bytes=int(volume[number]),
            )
        )
    return table


class PolicyState:
    """The loaded policy, its per-row decisions and its file watcher, for the App.

    Decisions over many rows (the rules screen, ``rule:`` filters) run in worker threads and
    share one :class:`RowDecisions`, so they are serialised by a lock. The table's rule column
    asks per visible row through the evaluator's cache instead, which never blocks a frame.
    """

    def __init__(self, policy: LoadedPolicy) -> None:
        self.lock = threading.Lock()
        self.error: str | None = None
        self._set(policy)
        self.watcher = PolicyWatcher(policy.path, policy)

    def _set(self, policy: LoadedPolicy) -> None:
        self.policy = policy
        self.decisions = RowDecisions(policy)
        self.texts = rule_texts(policy)

    def rule_of(self, store: EventStore, row: int) -> int | None:
        return self.decisions.decision(store, row).rule

    def verdict(self, store: EventStore, row: int) -> RowVerdict:
        return verdict(self.policy, self.decisions, self.texts, store, row)

    def summary(self, store: EventStore, row: int) -> str:
        """One line for the detail view: the deciding rule, its level, logged or not."""
        decision = self.decisions.decision(store, row)
        stage = str(store.field_value(row, "stage"))
        rule = f"rule {decision.rule}" if decision.rule else "no rule matched"
        logged = "would be logged" if decision.logged(stage) else "would not be logged"
        shown = sanitize(stage) or "event"
        name = Path(self.policy.path).name
        return f"policy {name}: {rule}, level {decision.level}; {shown} {logged}"

    def hits(self, store: EventStore, rows: np.ndarray) -> list[RuleHits]:
        with self.lock:
            return rule_hits(self.policy, self.decisions, store, rows)

    def report(
        self, store: EventStore, rows: np.ndarray, cancelled: Callable[[], bool] = lambda: False
    ) -> PolicyReport | None:
        """What ``--policy-report`` prints for ``rows``, "would write" included: that needs
        every event's raw text, so it is read back from disk (None when cancelled)."""
        with self.lock:
            policy, decisions = self.policy, self.decisions
        report = PolicyReport(policy)
        for start in range(0, len(rows), 4096):
            if cancelled():
                return None
            for row in rows[start : start + 4096].tolist():
                with self.lock:
                    decision = decisions.decision(store, row)
                try:
                    line = store.event_json(row)
                except LookupError:  # dropped to stay within --max-events
                    continue
                report.add_event(decision, str(store.field_value(row, "stage")), line)
        return report

    def poll(self) -> bool:
        """Reload the file if it changed; True when a new policy is in force."""
        with self.lock:
            changed, self.error = self.watcher.poll()
            if changed and self.watcher.policy is not None:
                self._set(self.watcher.policy)
            return changed


def policy_fields(state: PolicyState) -> dict[str, FieldSpec]:
    """Query fields ``rule:`` and ``logged:`` (see :func:`decisions.policy_fields`), reading
    the decisions of whichever policy is in force (it can reload) under the state's lock."""

    def column(index: int) -> Callable[[EventStore, np.ndarray], np.ndarray]:
        def values(store: EventStore, rows: np.ndarray) -> np.ndarray:
            with state.lock:
                return state.decisions.columns(store, rows)[index]

        return values

    fields = decision_fields(state.decisions)
    return {
        "rule": msgspec.structs.replace(fields["rule"], values=column(0)),
        "logged": msgspec.structs.replace(fields["logged"], values=column(1)),
    }
