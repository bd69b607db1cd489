"""A loaded ruleset evaluating audit events: each event against every enabled rule, in the
rules' order; every rule that matches gives an :class:`Alert`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .condition import Context
from .fields import event_time_ns, format_clock
from .rules import SOURCE, CompiledRule, LoadedRules, load_rules, load_rules_text

__all__ = ["Alert", "Ruleset", "rfc3339_ns"]


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

    def evaluate(self, event: dict) -> list[Alert]:
        """One alert per enabled rule ``event`` fires, in the rules' order."""
        ctx = Context(event)
        alerts = []
        for rule in self.rules:
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
