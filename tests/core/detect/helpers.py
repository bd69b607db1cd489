"""Evaluate one condition over one event, with lists and macros given inline."""

from __future__ import annotations

from typing import Any

from kaudit_tui.core.detect import Context, Ruleset, load_rules_text


def rules_text(condition: str, *, lists: dict[str, list[str]] | None = None, macros=None) -> str:
    """A rules file holding ``lists``, ``macros`` and one k8s_audit rule ``R`` on ``condition``."""
    parts = []
    for name, items in (lists or {}).items():
        parts.append(f"- list: {name}\n  items: {_flow(items)}\n")
    for name, text in (macros or {}).items():
        parts.append(f"- macro: {name}\n  condition: {_quote(text)}\n")
    parts.append(
        f"- rule: R\n  desc: d\n  condition: {_quote(condition)}\n  output: o\n"
        "  priority: WARNING\n  source: k8s_audit\n"
    )
    return "".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(_quote(item) for item in items) + "]"


def holds(condition: str, event: dict[str, Any], **definitions: Any) -> bool:
    """Whether rule ``R`` with ``condition`` fires on ``event``."""
    ruleset = Ruleset(load_rules_text(rules_text(condition, **definitions)))
    (rule,) = ruleset.rules
    return rule.predicate(Context(event))
