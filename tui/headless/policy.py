"""The policy in the headless modes: loading it (warnings on stderr), ``--explain`` (one JSON
object per matching event) and ``--policy-report`` (per-rule totals)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np
import orjson

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore

from .printing import dumps

if TYPE_CHECKING:
    from kaudit_tui.core.decisions import RowDecisions
    from kaudit_tui.core.policy import LoadedPolicy


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
    from kaudit_tui.core.policy import PolicyReport, explain_record

    out = sys.stdout.buffer
    totals = PolicyReport(decisions.policy.policy)
    for row in rows.tolist():
        decision = decisions.decision(store, row)
        stage = str(store.field_value(row, "stage")) or None
        if explain:
            record = explain_record(decision, store.row(row)["id"], stage)
            out.write(dumps(record) + b"\n")
        if report:
            totals.add_event(decision, stage or "", store.event_json(row))
    if report:
        if as_json:
            out.write(dumps(totals.to_json(), orjson.OPT_INDENT_2) + b"\n")
        else:
            out.write(totals.to_text().encode() + b"\n")
