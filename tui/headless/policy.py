"""The policy in the headless modes: loading it (warnings on stderr), ``--explain`` (one JSON
object per matching event) and ``--policy-report`` (per-rule totals)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np
import orjson

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.stats import resource_label
from kaudit_tui.core.store import EventStore

from .printing import dumps

if TYPE_CHECKING:
    from kaudit_tui.core.decisions import RowDecisions
    from kaudit_tui.core.policy import Decision, LoadedPolicy


def load_policy(path: str) -> LoadedPolicy:
    """The policy, with its warnings on stderr; a broken one is a usage error (exit 2)."""
    from kaudit_tui.usage import load_policy_file

    loaded = load_policy_file(path)
    for warning in loaded.warnings:
        print(f"kaudit-tui: warning: {sanitize(str(warning))}", file=sys.stderr)
    return loaded


def print_policy(
    store: EventStore,
    rows: np.ndarray,
    decisions: RowDecisions,
    *,
    explain: bool,
    report: bool,
    as_json: bool,
) -> None:
    """``--explain`` records and/or the ``--policy-report`` over ``rows``."""
    from kaudit_tui.core.policy import PolicyReport

    out = sys.stdout.buffer
    totals = PolicyReport(decisions.policy.policy)
    for row in rows.tolist():
        decision = decisions.decision(store, row)
        stage = str(store.field_value(row, "stage")) or None
        if explain:
            record = _explain(store, row, decision, stage)
            undecided = _undecided(decisions, store, row)
            if undecided:
                record["userGroupsUndecided"] = undecided
            out.write(dumps(record) + b"\n")
        if report:
            totals.add_event(decision, stage or "", store.event_json(row))
    if report:
        if as_json:
            out.write(dumps(totals.to_json(), orjson.OPT_INDENT_2) + b"\n")
        else:
            out.write(totals.to_text().encode() + b"\n")


def _undecided(decisions: RowDecisions, store: EventStore, row: int) -> list[int]:
    """The rules whose ``userGroups`` the event cannot decide (it logs no groups)."""
    from kaudit_tui.core.policy import attributes_from_fields

    fields = decisions.request_fields(store, row)
    if fields.groups or not fields.user:
        return []
    return decisions.policy.undecided_user_groups(attributes_from_fields(fields))


def _explain(store: EventStore, row: int, decision: Decision, stage: str | None) -> dict:
    """The ``--explain`` record of ``row``: the decision and what the request was."""
    from kaudit_tui.core.policy import explain_record

    fields = store.row(row)
    return explain_record(
        decision,
        fields["id"],  # type: ignore[arg-type]
        stage,
        verb=str(fields["verb"]),
        user=str(fields["user"]),
        resource=resource_label(str(fields["resource"]), str(fields["sub"])),
        namespace=str(fields["ns"]),
        name=str(fields["name"]),
        code=int(fields["code"]),  # type: ignore[call-overload]
    )
