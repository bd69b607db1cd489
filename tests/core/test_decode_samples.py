"""Every real sample log decodes to the right number of events, with the right fields."""

from __future__ import annotations

import orjson
import pytest

from kaudit_tui.core.timestamps import format_time, parse_time
from tests.conftest import LOGS, index_files

# file -> (events, skipped lines, {reason: count}) — the event counts are those documented
# for each published sample (tests/data/logs/SOURCES.md).
EXPECTED = {
    "liggitt-audit2rbac-demo-v1beta1-original.log": (757, {}),
    "liggitt-audit2rbac-demo-v1-cleaned.log": (37, {}),
    "falco-k8s-audit-trace-files.jsonl": (51, {}),
    "falco-fal_01_003-malformed.json": (0, {"JSON object of kind '0', not an audit event": 1}),
    "sysdig-aks-eventhub-records.json": (22, {}),
    "sysdig-aks-single-event-pretty-bom.json": (1, {}),
    "sysdig-aks-single-record-bom.json": (1, {}),
    "afcollins-openshift-single-event-pretty.json": (1, {}),
    "alcideio-rbac-tool-auditgen.jsonl": (6, {}),
    "k8s-website-docs-2017-legacy-format.log": (6, {}),
    "k8s-website-docs-2017-v1alpha1-v1beta1.jsonl": (4, {}),
    "k8s-website-docs-2017-eventlist-v1alpha1.json": (1, {}),
    "k8s-website-docs-2017-eventlist-v1beta1.json": (1, {}),
    "khi-gke-k8s-audit-logentries.yaml": (3, {}),
    "panther-analysis-k8s-audit-test-events.jsonl": (186, {}),
    "panther-analysis-gke-k8s-test-events.jsonl": (41, {}),
    "panther-analysis-aks-test-events.jsonl": (34, {}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(name: str) -> None:
    events, skipped = EXPECTED[name]
    store = index_files(LOGS / name)
    assert len(store) == events
    assert dict(store.skips.counts) == skipped


def _rows(store, **match):
    return [
        r
        for r in range(store.first_id, store.next_id)
        if all(store.row(r)[k] == v for k, v in match.items())
    ]


def test_v1beta1_capture_fields_and_stage_pairs() -> None:
    store = index_files(LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log")
    first = store.row(0)
    line = (LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log").read_bytes().split(b"\n")[0]
    event = orjson.loads(line)
    assert first["id"] == event["auditID"]
    assert first["verb"] == event["verb"]
    assert first["user"] == event["user"]["username"]
    assert first["stage"] == event["stage"]
    assert first["level"] == "Metadata"
    # 2017 v1beta1 events predate requestReceivedTimestamp/stageTimestamp: the second-precision
    # timestamp and metadata.creationTimestamp stand in for them.
    assert "stageTimestamp" not in event
    assert first["rx"] == parse_time(event["timestamp"])
    assert first["ts"] == parse_time(event["metadata"]["creationTimestamp"])
    assert format_time(first["ts"]) == "2017-09-11T19:55:05.000000Z"
    stages = [store.row(r)["stage"] for r in range(len(store))]
    assert stages.count("RequestReceived") == 320
    assert stages.count("ResponseComplete") == 437
    impersonated = [store.row(r)["as"] for r in range(len(store)) if store.row(r)["as"]]
    assert len(impersonated) == 37
    assert set(impersonated) == {"bob", "alice", "system:serviceaccount:ns1:sa1"}
    codes = [store.row(r)["code"] for r in range(len(store))]
    assert {c: codes.count(c) for c in set(codes)} == {200: 256, 404: 90, 201: 80, 403: 11, 0: 320}


def test_print_returns_json_lines_exactly_as_logged() -> None:
    path = LOGS / "falco-k8s-audit-trace-files.jsonl"
    store = index_files(path)
    lines = path.read_bytes().splitlines()
    assert [store.event_json(r) for r in range(len(store))] == lines


def test_subresources_and_status_codes_from_falco_captures() -> None:
    store = index_files(LOGS / "falco-k8s-audit-trace-files.jsonl")
    execs = _rows(store, resource="pods", sub="exec")
    assert execs and all(store.row(r)["code"] == 101 for r in execs)
    assert all(store.row(r)["stage"] == "ResponseStarted" for r in execs)
    assert _rows(store, user="system:anonymous")


def test_v1alpha1_group_comes_from_object_ref_api_version() -> None:
    store = index_files(LOGS / "k8s-website-docs-2017-v1alpha1-v1beta1.jsonl")
    groups = [store.row(r)["apigroup"] for r in range(len(store))]
    # v1alpha1 objectRef.apiVersion "/v1" is group "" + version "v1"; v1beta1 has apiGroup.
    assert groups == ["", "", "rbac.authorization.k8s.io", "rbac.authorization.k8s.io"]
    versions = [orjson.loads(store.event_json(r))["apiVersion"] for r in range(len(store))]
    assert versions.count("audit.k8s.io/v1alpha1") == 2


def test_eventlist_items_inherit_the_list_and_are_read_back_one_by_one() -> None:
    store = index_files(LOGS / "k8s-website-docs-2017-eventlist-v1beta1.json")
    (row,) = range(len(store))
    event = orjson.loads(store.event_json(row))
    assert event["auditID"] == store.row(row)["id"]
    assert b"\n" not in store.event_json(row)


def test_aks_records_hold_events_as_json_strings() -> None:
    store = index_files(LOGS / "sysdig-aks-eventhub-records.json")
    watches = _rows(store, verb="watch", stage="ResponseStarted")
    assert len(watches) == 2
    for row in range(len(store)):
        assert orjson.loads(store.event_json(row))["auditID"] == store.row(row)["id"]


def test_pretty_printed_event_with_byte_order_mark() -> None:
    store = index_files(LOGS / "sysdig-aks-single-event-pretty-bom.json")
    assert store.row(0)["verb"] == "update"
    assert store.row(0)["resource"] == "controllerrevisions"
    assert store.row(0)["level"] == "RequestResponse"
    assert orjson.loads(store.event_json(0))["kind"] == "Event"


def test_legacy_lines_derive_resource_fields_from_the_uri() -> None:
    store = index_files(LOGS / "k8s-website-docs-2017-legacy-format.log")
    rows = [store.row(r) for r in range(len(store))]
    assert [r["stage"] for r in rows] == [
        "", "", "RequestReceived", "ResponseComplete", "RequestReceived", "ResponseComplete",
    ]  # fmt: skip
    pre_17 = rows[0]
    assert (pre_17["verb"], pre_17["resource"], pre_17["ns"]) == ("list", "pods", "default")
    assert pre_17["groups"] == ("system:masters", "system:authenticated")
    endpoints = rows[3]
    assert endpoints["verb"] == "update"
    assert (endpoints["resource"], endpoints["name"]) == ("endpoints", "kube-controller-manager")
    assert endpoints["code"] == 200
    roles = rows[5]
    assert (roles["apigroup"], roles["resource"]) == ("rbac.authorization.k8s.io", "roles")
    assert orjson.loads(store.event_json(5))["objectRef"]["resource"] == "roles"
