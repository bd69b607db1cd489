"""Alerts per row and the ``alert:``/``priority:`` query fields, over Falco's k8s audit trace
files and the community rules: the expected rows come from evaluating each event on its own."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from kaudit_tui.core.alerts import RowAlerts, alert_fields, read_ruleset
from kaudit_tui.core.detect import PRIORITIES
from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.query import QueryError, parse_query
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.conftest import DATA, LOGS

RULES = DATA / "rules" / "falco-k8s_audit_rules.yaml"
TRACES = LOGS / "falco-k8s-audit-trace-files.jsonl"
RULESET = read_ruleset([str(RULES)], default=False)
EVENTS = [orjson.loads(line) for line in TRACES.read_bytes().splitlines()]
FIRED = [[rule.name for rule in RULESET.matching(event)] for event in EVENTS]
RANKS = [[PRIORITIES.index(rule.priority) for rule in RULESET.matching(e)] for e in EVENTS]


def index(store: EventStore, lines: list[bytes], start: int = 0) -> None:
    """Append ``lines`` (of the trace file, from line ``start``) to the store."""
    reader = FileReader(str(TRACES))
    offset = sum(len(line) + 1 for line in TRACES.read_bytes().splitlines()[:start])
    Ingestor(store).feed(reader, offset, b"".join(line + b"\n" for line in lines))


@pytest.fixture(scope="module")
def indexed() -> tuple[EventStore, RowAlerts]:
    store = EventStore()
    index(store, TRACES.read_bytes().splitlines())
    return store, RowAlerts(RULESET, store)


def rows_of(store: EventStore, text: str, row_alerts: RowAlerts) -> list[int]:
    query = parse_query(text, extra_fields=alert_fields(lambda: row_alerts))
    return (query.filter(store) - store.first_id).tolist()


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("alert:any", lambda names, ranks: bool(names)),
        ("alert:none", lambda names, ranks: not names),
        ("-alert:any", lambda names, ranks: not names),
        ('alert:"Attach/Exec Pod"', lambda names, ranks: "Attach/Exec Pod" in names),
        ('alert:"attach/exec pod"', lambda names, ranks: "Attach/Exec Pod" in names),
        ("alert:*clusterrole*", lambda names, ranks: any("ClusterRole" in n for n in names)),
        (
            'alert:"K8s Secret*",*NodePort*',
            lambda names, ranks: any(n.startswith("K8s Secret") or "NodePort" in n for n in names),
        ),
        ("priority:warning", lambda names, ranks: 4 in ranks),
        ("priority:WARNING", lambda names, ranks: 4 in ranks),
        ("priority:>=notice", lambda names, ranks: any(r <= 5 for r in ranks)),
        ("priority:>notice", lambda names, ranks: any(r < 5 for r in ranks)),
        ("priority:<warning", lambda names, ranks: any(r > 4 for r in ranks)),
        ("priority:<=info", lambda names, ranks: any(r >= 6 for r in ranks)),
        ("priority:informational", lambda names, ranks: 6 in ranks),
        ("-priority:warning", lambda names, ranks: 4 not in ranks),
        (
            "alert:any -priority:warning verb:create",
            lambda names, ranks: bool(names) and 4 not in ranks,
        ),
        ("priority:error OR alert:*Deleted", lambda n, r: 3 in r or any("Deleted" in x for x in n)),
    ],
)
def test_fields_select_the_events_that_fire_the_rules(indexed, text, wanted) -> None:  # noqa: ANN001
    store, row_alerts = indexed
    expected = [
        n
        for n, (names, ranks) in enumerate(zip(FIRED, RANKS, strict=True))
        if wanted(names, ranks) and ("verb:create" not in text or EVENTS[n]["verb"] == "create")
    ]
    assert rows_of(store, text, row_alerts) == expected
    assert expected  # every case selects something in the trace files


def test_rows_are_scanned_in_order_as_the_store_grows_and_evicts() -> None:
    lines = TRACES.read_bytes().splitlines()
    store = EventStore()
    row_alerts = RowAlerts(RULESET, store)
    index(store, lines[:20])
    assert row_alerts.behind() == 20
    assert rows_of(store, "alert:any", row_alerts) == [n for n in range(20) if FIRED[n]]
    assert row_alerts.behind() == 0
    index(store, lines[20:], start=20)
    store.evict_to(25)  # keep the newest 25 events
    first = len(lines) - 25
    found = rows_of(store, 'alert:"Attach/Exec Pod"', row_alerts)
    assert [n + first for n in found] == [
        n for n in range(first, 51) if "Attach/Exec Pod" in FIRED[n]
    ]
    # few distinct sets of rules fire together: one small code per row
    assert len(row_alerts.sets) <= len({tuple(names) for names in FIRED}) + 1
    assert row_alerts.codes_now(np.arange(store.first_id, store.next_id)).dtype == np.int32


def test_findings_count_each_rule_with_its_first_and_last_time(indexed) -> None:  # noqa: ANN001
    store, row_alerts = indexed
    rows = np.arange(store.first_id, store.next_id)
    row_alerts.catch_up()
    findings = {f.name: f for f in row_alerts.findings(rows)}
    counts: dict[str, int] = {}
    for names in FIRED:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    assert {name: f.count for name, f in findings.items()} == counts
    ts = store.column("ts")
    attach = [n for n, names in enumerate(FIRED) if "Attach/Exec Pod" in names]
    assert ts[attach[0]] > ts[attach[1]]  # the log is not in time order: first is the earliest
    assert findings["Attach/Exec Pod"].first == ts[attach].min()
    assert findings["Attach/Exec Pod"].last == ts[attach].max()
    ranks = [PRIORITIES.index(f.priority) for f in row_alerts.findings(rows)]
    assert ranks == sorted(ranks)  # most severe first
    assert row_alerts.findings(rows[:1])[0].count == 1


def test_alerts_of_a_row_are_falco_alerts(indexed) -> None:  # noqa: ANN001
    store, row_alerts = indexed
    alerts = row_alerts.alerts(store.first_id)
    assert [a.rule for a in alerts] == FIRED[0]
    assert alerts[0].output.startswith("13:58:49.736141000: Warning Request by anonymous user")
    assert row_alerts.top_rank(store.first_id) == min(RANKS[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alert:any", "'alert' works once detection rules are loaded (--rules FILE)"),
        ("PRIORITY:warning", "'PRIORITY' works once detection rules are loaded (--rules FILE)"),
    ],
)
def test_without_rules_the_fields_say_what_they_need(text: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert caught.value.message.startswith(message)
    assert caught.value.column == 0


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("priority:loud", 9, "bad priority 'loud': expected a priority (emergency, alert"),
        ("priority:>=", 9, "bad priority '>='"),
        ('alert:""', 6, "bad alert '': expected a rule name (wildcards allowed), any or none"),
    ],
)
def test_bad_values_are_errors_at_their_column(text: str, column: int, words: str) -> None:
    store = EventStore()
    fields = alert_fields(lambda: RowAlerts(RULESET, store))
    with pytest.raises(QueryError) as caught:
        parse_query(text, extra_fields=fields)
    assert caught.value.message.startswith(words)
    assert caught.value.column == column
