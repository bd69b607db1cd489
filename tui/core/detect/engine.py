"""A loaded ruleset evaluating audit events: each event against every enabled rule, in the
rules' order; every rule that matches gives an :class:`Alert`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from .condition import Context
from .fields import event_time_ns, format_clock
from .rules import SOURCE, CompiledRule, LoadedRules, load_rules, load_rules_text

if TYPE_CHECKING:
    import numpy as np

    from kaudit_tui.core.store import EventStore

__all__ = ["Alert", "Ruleset", "Scanner", "rfc3339_ns"]


def rfc3339_ns(ns: int | None) -> str | None:
    """``2018-10-25T13:58:49.730588000Z`` of epoch nanoseconds (Falco's alert ``time``)."""
    if ns is None:
        return None
    from datetime import UTC, datetime

    seconds, fraction = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


@dataclass
class Alert:
    rule: str
    priority: str
    output: str
    output_fields: dict[str, Any]
    tags: tuple[str, ...]
    time_ns: int | None
    audit_id: str | None
    source: str = SOURCE

    def to_json(self) -> dict[str, Any]:
        """Falco's JSON alert (``time``, ``rule``, ``priority``, ``output``, ``output_fields``,
        ``source``, ``tags``) with the event's ``auditID``."""
        return {
            "time": rfc3339_ns(self.time_ns),
            "rule": self.rule,
            "priority": self.priority,
            "output": self.output,
            "output_fields": self.output_fields,
            "source": self.source,
            "tags": list(self.tags),
            "auditID": self.audit_id,
        }


class Ruleset:
    """Compiled rules, ready to evaluate events (dicts, as parsed from the log)."""

    def __init__(self, loaded: LoadedRules) -> None:
        self.loaded = loaded
        self.rules: list[CompiledRule] = [rule for rule in loaded.rules if rule.enabled]

    @classmethod
    def from_files(cls, paths: list[str]) -> Ruleset:
        return cls(load_rules(paths))

    @classmethod
    def from_text(cls, *texts: str) -> Ruleset:
        return cls(load_rules_text(*texts))

    def matching(self, event: dict) -> list[CompiledRule]:
        """The enabled rules ``event`` fires, in the rules' order."""
        ctx = Context(event)
        return [rule for rule in self.rules if rule.predicate(ctx)]

    def scanner(self, store: EventStore) -> Scanner:
        """A scanner of ``store``'s rows (in log order) against these rules."""
        return Scanner(self, store)

    def evaluate(self, event: dict) -> list[Alert]:
        """One alert per enabled rule ``event`` fires, in the rules' order."""
        return self.alerts_of(event, self.rules)

    def alerts_of(self, event: dict, fired: list[CompiledRule]) -> list[Alert]:
        """The alerts of ``event`` for the rules of ``fired`` that it fires, in their order."""
        ctx = Context(event)
        alerts = []
        for rule in fired:
            if not rule.predicate(ctx):
                continue
            text, fields = rule.output.render(ctx)
            time_ns = event_time_ns(event)
            # Falco's JSON ``output`` starts with the event's time and the priority.
            clock = "<NA>" if time_ns is None else format_clock(time_ns)
            output = f"{clock}: {rule.priority} {text}"
            audit_id = event.get("auditID")
            alerts.append(
                Alert(
                    rule=rule.name,
                    priority=rule.priority,
                    output=output,
                    output_fields=fields,
                    tags=rule.tags,
                    time_ns=time_ns,
                    audit_id=audit_id if isinstance(audit_id, str) else None,
                )
            )
        return alerts


Fired = tuple[int, tuple[int, ...]]
"""A row of the store and the indexes (into ``Ruleset.rules``) of the rules it fires."""


class Scanner:
    """Evaluates a ruleset over the rows of a store, batch after batch, in log order.

    The one way the UI and ``--alerts`` run rules over indexed events: it reads each event back
    from the store, and it is the place that keeps whatever state evaluation carries from one
    batch to the next.
    """

    def __init__(self, ruleset: Ruleset, store: EventStore) -> None:
        self.ruleset = ruleset
        self.store = store

    def scan(self, rows: np.ndarray) -> list[Fired]:
        """``(row, rule indexes)`` for each row of ``rows`` that fires a rule, in order.

        ``rows`` are ids still in the store, in log order, each given once over the scanner's
        life."""
        fired: list[Fired] = []
        rules = self.ruleset.rules
        for row in rows.tolist():
            event = self.event(row)
            if event is None:
                continue
            ctx = Context(event)
            hits = tuple(i for i, rule in enumerate(rules) if rule.predicate(ctx))
            if hits:
                fired.append((row, hits))
        return fired

    def event(self, row: int) -> dict | None:
        """The event of ``row`` as a dict (None when it cannot be read back as one)."""
        try:
            event = orjson.loads(self.store.event_json(row))
        except orjson.JSONDecodeError:
            return None
        return event if type(event) is dict else None

    def alerts(self, row: int, hits: tuple[int, ...]) -> list[Alert]:
        """The alerts of ``row`` for the rules of ``hits``, formatted (output, fields)."""
        event = self.event(row)
        if event is None:
            return []
        rules = self.ruleset.rules
        return self.ruleset.alerts_of(event, [rules[i] for i in hits])
