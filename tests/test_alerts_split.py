"""``--alerts`` over many held rows shares them with forked children (``_write_split``): the
output must be byte for byte what one process writes, bursts whose window spans two parts
included, and a child that fails must cost nothing but time.

The children are real forked processes writing to a real file; the log mixes bursts (denied
requests, deletions, secret reads) placed across the parts' boundaries, events the index
cannot decide alone, strings a terminal would act on, and lines that are not events.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pytest

from kaudit_tui.core.detect import Ruleset
from kaudit_tui.core.detect.defaults import DEFAULT_RULES
from kaudit_tui.core.store import EventStore
from kaudit_tui.headless.alerts import AlertWriter
from kaudit_tui.headless.forked import can_fork
from tests.conftest import DATA, index_files
from tests.events import event_line

pytestmark = pytest.mark.skipif(not can_fork(), reason="parts are forked on Linux only")

COMMUNITY = DATA / "rules" / "falco-k8s_audit_rules.yaml"
EVENTS = 1500
SKIPPED = frozenset(n for n in range(100) if n % 7 == 2)
"""Lines that are not events, all before the first boundary."""
PARTS = 3
BOUNDARIES = tuple(
    int(part[0]) + len(SKIPPED) for part in np.array_split(np.arange(EVENTS - len(SKIPPED)), PARTS)
)[1:]
"""The lines where the second and third parts of the rows begin."""


START = datetime(2026, 11, 26, 10, tzinfo=UTC)


def _fields(n: int) -> dict[str, object]:
    """What event ``n`` is, beyond its audit ID and time."""
    # Around each boundary: 30 denied requests by mallory and 30 secret reads by eve, a few
    # seconds apart, so that each burst's window fills only after the boundary.
    if any(b - 20 <= n < b + 40 for b in BOUNDARIES):
        if n % 2:
            return {"user": "mallory", "code": 403}
        secret = {"resource": "secrets", "namespace": "prod", "name": f"s{n}"}
        return {"user": "eve", "uri": f"/api/v1/namespaces/prod/secrets/s{n}", **secret}
    if n % 7 == 0:
        deployment = {"resource": "deployments", "api_group": "apps", "name": f"d{n}"}
        uri = f"/apis/apps/v1/namespaces/prod/deployments/d{n}"
        return {"user": "ops\x1b[31m\u00e9", "verb": "delete", "uri": uri, **deployment}
    if n % 7 == 1:
        uri = "/api/v1/namespaces/kube-system/pods/p/exec"
        pod = {"resource": "pods", "subresource": "exec", "namespace": "kube-system", "name": "p"}
        return {"user": "system:anonymous", "verb": "create", "uri": uri, **pod}
    return {"user": f"user{n % 13}"}


def _line(n: int) -> bytes:
    if n in SKIPPED:
        return b"not an event\n"
    moment = START + timedelta(seconds=n // 4, microseconds=n)
    return event_line(
        audit_id=f"00000000-0000-4000-8000-{n:012d}",
        stage_time=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        **_fields(n),
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    log = tmp_path_factory.mktemp("split") / "audit.log"
    log.write_bytes(b"".join(_line(n) for n in range(EVENTS)))
    return index_files(log)


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return Ruleset.from_files([str(DEFAULT_RULES), str(COMMUNITY)])


def _written(writer: AlertWriter, rows: np.ndarray) -> bytes:
    with tempfile.TemporaryFile() as out:
        writer.out = out
        for start in range(0, len(rows), 300):
            writer.write(rows[start : start + 300])
        writer.finish()
        out.seek(0)
        return out.read()


def _rows(store: EventStore) -> np.ndarray:
    return np.arange(store.first_id, store.next_id)


def test_parts_write_what_one_process_writes(store: EventStore, ruleset: Ruleset) -> None:
    rows = _rows(store)
    one = AlertWriter(store, ruleset, hold=True, parts=1)
    expected = _written(one, rows)
    split = AlertWriter(store, ruleset, hold=True, parts=PARTS, split_from=0)
    assert _written(split, rows) == expected
    assert split.alerts == one.alerts
    alerts = [orjson.loads(line) for line in expected.splitlines()]
    assert len(alerts) == one.alerts
    # What makes the test: bursts whose window fills just after a boundary of parts.
    for rule in ("Burst of denied requests", "Burst of secret reads"):
        lines = sorted(int(a["auditID"][-12:]) for a in alerts if a["rule"] == rule)
        assert len(lines) == len(BOUNDARIES), rule
        assert all(0 < n - b < 40 for n, b in zip(lines, BOUNDARIES, strict=True)), rule
    assert b"\x1b" not in expected and "\\u001b" in expected.decode()


def test_a_part_whose_child_fails_is_done_by_the_parent(
    store: EventStore, ruleset: Ruleset
) -> None:
    rows = _rows(store)
    expected = _written(AlertWriter(store, ruleset, hold=True, parts=1), rows)
    second = int(np.array_split(rows, PARTS)[1][0])

    class SecondChildDies(AlertWriter):
        def _child(self, rows, channel):  # noqa: ANN001, ANN202
            if rows[0] == second:
                os._exit(1)
            super()._child(rows, channel)

    class SecondChildDiesOnceCounted(AlertWriter):
        def _child(self, rows, channel):  # noqa: ANN001, ANN202
            if rows[0] == second:
                channel.send(self._scan_part(rows)[1])
                channel.receive()
                os._exit(1)
            super()._child(rows, channel)

    for kind in (SecondChildDies, SecondChildDiesOnceCounted):
        writer = kind(store, ruleset, hold=True, parts=PARTS, split_from=0)
        assert _written(writer, rows) == expected, kind.__name__


def test_a_closed_output_stops_every_part(store: EventStore, ruleset: Ruleset) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    writer = AlertWriter(store, ruleset, hold=True, parts=PARTS, split_from=0)
    with open(write_end, "wb") as out:
        writer.out = out
        writer.write(_rows(store))
        with pytest.raises(BrokenPipeError):
            writer.finish()
