"""Queries over real published audit logs agree with a plain reading of each event's JSON.

The reference side parses every event with orjson and tests the condition in ordinary Python,
so these tests check the columnar engine (interning, masks, raw-text scans of JSON lines and of
AKS records holding many events) against the events themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import orjson
import pytest

from kaudit_tui.core.decode import Skip, events_in
from kaudit_tui.core.query import parse_query
from kaudit_tui.core.store import EventStore
from tests.conftest import LOGS, index_files

LIGGITT = "liggitt-audit2rbac-demo-v1beta1-original.log"
FALCO = "falco-k8s-audit-trace-files.jsonl"
AKS = "sysdig-aks-eventhub-records.json"
PANTHER = "panther-analysis-k8s-audit-test-events.jsonl"

Event = dict
Check = Callable[[Event, bytes], bool]


@cache
def load(name: str) -> list[tuple[Event, bytes]]:
    """Every event of a sample with the text a search sees: its line, or itself re-encoded."""
    found = []
    for line in (LOGS / name).read_bytes().splitlines():
        if not line.strip():
            continue
        for item in events_in(orjson.loads(line)):
            if not isinstance(item, Skip):
                event, _, index, _ = item
                found.append((event, line if index == -1 else orjson.dumps(event)))
    return found


@cache
def indexed(name: str) -> EventStore:
    return index_files(LOGS / name)


def user(e: Event) -> str:
    return (e.get("user") or {}).get("username", "")


def ref(e: Event, key: str) -> str:
    return (e.get("objectRef") or {}).get(key, "")


def code(e: Event) -> int:
    return (e.get("responseStatus") or {}).get("code", 0)


def has(text: str) -> Check:
    return lambda e, raw: text.encode() in raw.lower()


def when(e: Event) -> datetime:
    stamp = e.get("stageTimestamp") or e["metadata"]["creationTimestamp"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@cache
def newest(name: str) -> datetime:
    return max(when(e) for e, _ in load(name))


CASES: list[tuple[str, str, Check]] = [
    (LIGGITT, "verb:delete code:404", lambda e, r: e["verb"] == "delete" and code(e) == 404),
    (LIGGITT, "as:bob resource:pods,roles",
     lambda e, r: (e.get("impersonatedUser") or {}).get("username") == "bob"
     and ref(e, "resource") in ("pods", "roles")),
    (LIGGITT, "-stage:RequestReceived resource:clusterrole*",
     lambda e, r: e["stage"] != "RequestReceived" and ref(e, "resource").startswith("clusterrole")),
    (LIGGITT, "forbidden", has("forbidden")),
    (LIGGITT, "/audit2rbac:(bob|alice)\"/",
     lambda e, r: re.search(rb'audit2rbac:(bob|alice)"', r, re.I) is not None),
    (LIGGITT, 'ns:"" verb:get', lambda e, r: ref(e, "namespace") == "" and e["verb"] == "get"),
    (LIGGITT, "uri:/apis/rbac.authorization.k8s.io/*",
     lambda e, r: e["requestURI"].startswith("/apis/rbac.authorization.k8s.io/")),
    (LIGGITT, "code:>=400 -resource:roles",
     lambda e, r: code(e) >= 400 and ref(e, "resource") != "roles"),
    (LIGGITT, "since:10m",
     lambda e, r: when(e) >= newest(LIGGITT) - timedelta(minutes=10)),
    (LIGGITT, "until:2017-09-11T20:00:00Z verb:patch",
     lambda e, r: when(e) <= datetime.fromisoformat("2017-09-11T20:00:00+00:00")
     and e["verb"] == "patch"),
    (FALCO, "resource:pods/exec,pods/attach",
     lambda e, r: ref(e, "resource") == "pods" and ref(e, "subresource") in ("exec", "attach")),
    (FALCO, "user:minikube-user level:RequestResponse",
     lambda e, r: user(e) == "minikube-user" and e["level"] == "RequestResponse"),
    (FALCO, '"\\"privileged\\":true"', has('"privileged":true')),
    (FALCO, "privileged\\\":true", has('privileged":true')),
    (FALCO, "group:system:masters",
     lambda e, r: "system:masters" in (e.get("user") or {}).get("groups", [])),
    (FALCO, "name:*nginx*", lambda e, r: "nginx" in ref(e, "name")),
    (FALCO, "decision:allow -verb:create",
     lambda e, r: (e.get("annotations") or {}).get("authorization.k8s.io/decision") == "allow"
     and e["verb"] != "create"),
    (AKS, "configmaps", has("configmaps")),
    (AKS, "user:aksService verb:get", lambda e, r: user(e) == "aksService" and e["verb"] == "get"),
    (AKS, "watch -stage:ResponseStarted",
     lambda e, r: b"watch" in r.lower() and e["stage"] != "ResponseStarted"),
    (AKS, '"\\"verb\\":\\"watch\\""', has('"verb":"watch"')),
    (AKS, '/"code":409/', lambda e, r: b'"code":409' in r),
    (AKS, "-resource:*", lambda e, r: False),
    (AKS, 'resource:""', lambda e, r: ref(e, "resource") == ""),
    (PANTHER, "code:403 user:attacker@example.com",
     lambda e, r: code(e) == 403 and user(e) == "attacker@example.com"),
    (PANTHER, 'stage:""', lambda e, r: not e.get("stage")),
    (PANTHER, 'user:"" -code:none', lambda e, r: user(e) == "" and code(e) != 0),
    (PANTHER, "id:ABC-123", lambda e, r: e.get("auditID") == "abc-123"),
    (PANTHER, "id:ab*-*,*12345", lambda e, r: re.fullmatch(r"ab.*-.*|.*12345",
                                                           e.get("auditID", "")) is not None),
    (PANTHER, 'id:"" verb:create', lambda e, r: not e.get("auditID") and e.get("verb") == "create"),
    (PANTHER, "resource:secrets verb:get,list",
     lambda e, r: ref(e, "resource") == "secrets" and e.get("verb") in ("get", "list")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "check"), CASES, ids=[f"{c[0][:12]}:{c[1]}" for c in CASES]
)
def test_query_agrees_with_the_events(name: str, text: str, check: Check) -> None:
    store = indexed(name)
    events = load(name)
    assert len(store) == len(events)
    expected = [row + store.first_id for row, (e, raw) in enumerate(events) if check(e, raw)]
    got = parse_query(text).filter(store).tolist()
    assert got == expected
    assert [store.row(r)["id"] for r in got] == [events[r][0].get("auditID", "") for r in expected]


def test_several_files_are_told_apart_by_source(tmp_path: Path) -> None:
    store = index_files(LOGS / FALCO, LOGS / AKS)
    falco = len(load(FALCO))
    assert parse_query(f"source:{FALCO}").filter(store).tolist() == list(range(falco))
    assert parse_query("source:sysdig-*").filter(store).tolist() == list(range(falco, len(store)))
    assert parse_query("source:*.json verb:create").filter(store).size == 1


def test_pretty_printed_document_is_one_record() -> None:
    """A multi-line event is searched as a whole; ^ and $ still anchor its lines."""
    store = indexed("afcollins-openshift-single-event-pretty.json")
    assert len(store) == 1
    for text, count in [
        ("kube-node-lease", 1),
        ('"kind\\":\\"event"', 0),  # the document has a space after the colon
        ('"\\"kind\\": \\"event\\""', 1),
        ('/^  "verb": "update",$/', 1),
        ("/^verb/", 0),
        ("verb:update user:system:node:*", 1),
        ("no-such-text-anywhere", 0),
    ]:
        assert parse_query(text).filter(store).size == count, text


def test_policy_fields_plug_in_through_field_specs() -> None:
    """``rule:`` and ``logged:`` as the policy layer adds them, over a real log and policy."""
    from kaudit_tui.core.decisions import RowDecisions
    from kaudit_tui.core.policy.loader import load_policy
    from kaudit_tui.core.query import FieldSpec

    store = indexed(LIGGITT)
    decisions = RowDecisions(load_policy(LOGS.parent / "policies" / "gce.yaml"))
    extra = {
        "rule": FieldSpec(
            lambda store, rows: decisions.columns(store, rows)[0],
            lambda text: 0 if text == "none" else int(text),
            "a rule number or none",
        ),
        "logged": FieldSpec(
            lambda store, rows: decisions.columns(store, rows)[1],
            lambda text: {"true": True, "false": False}[text],
            "true or false",
        ),
    }
    rows = range(store.first_id, store.next_id)
    per_row = [decisions.decision(store, row) for row in rows]
    stages = [str(store.field_value(row, "stage")) for row in rows]
    rules = sorted({d.rule or 0 for d in per_row})
    assert len(rules) > 1
    for rule in rules:
        text = f"rule:{rule or 'none'} -verb:get"
        expected = [
            row
            for row, d in zip(rows, per_row, strict=True)
            if (d.rule or 0) == rule and store.field_value(row, "verb") != "get"
        ]
        assert parse_query(text, extra_fields=extra).filter(store).tolist() == expected, text
    not_logged = [
        row for row, d, stage in zip(rows, per_row, stages, strict=True) if not d.logged(stage)
    ]
    assert parse_query("logged:false", extra_fields=extra).filter(store).tolist() == not_logged
