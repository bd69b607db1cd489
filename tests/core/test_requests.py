"""Grouping stages by audit ID, on a real capture with RequestReceived/ResponseComplete pairs."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import orjson

from kaudit_tui.core.requests import request_rows, stage_rows
from tests.conftest import LOGS, index_files
from tests.events import event_line

LOG = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


def test_one_row_per_audit_id_the_last_stage() -> None:
    store = index_files(LOG)
    rows = np.arange(store.first_id, store.next_id)
    events = [orjson.loads(line) for line in LOG.read_bytes().splitlines()]
    last_line = {event["auditID"]: n for n, event in enumerate(events)}
    grouped = request_rows(store, rows)
    assert len(grouped) == len(last_line)
    assert sorted(grouped.tolist()) == grouped.tolist()
    assert {store.row(int(r))["id"] for r in grouped} == set(last_line)
    for row in grouped.tolist():
        assert row == last_line[store.row(row)["id"]]


def test_stage_rows_lists_every_stage_of_the_request() -> None:
    store = index_files(LOG)
    by_id = defaultdict(list)
    for row in range(store.first_id, store.next_id):
        by_id[store.row(row)["id"]].append(row)
    pair = next(rows for rows in by_id.values() if len(rows) == 2)
    assert stage_rows(store, pair[1]).tolist() == pair
    stages = {store.row(r)["stage"] for r in pair}
    assert stages == {"RequestReceived", "ResponseComplete"}


def test_events_without_an_audit_id_stay_separate(write_log) -> None:
    lines = b"".join(event_line(audit_id="", uri=f"/api/v1/x{i}") for i in range(3))
    store = index_files(write_log(lines))
    rows = np.arange(store.first_id, store.next_id)
    assert len(rows) == 3
    assert request_rows(store, rows).tolist() == rows.tolist()
