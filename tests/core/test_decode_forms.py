"""Every input form yields the same fields; anything else is skipped with a reason."""

from __future__ import annotations

import gzip

import orjson
import pytest

from kaudit_tui.core.decode import (
    ClientShape,
    Extracted,
    RequestShape,
    extract,
    normalize_what,
    normalize_who,
)
from kaudit_tui.core.schema import decode_event, decode_shapes
from kaudit_tui.core.timestamps import parse_time
from tests.conftest import index_files
from tests.events import audit_event

EVENT = audit_event(
    audit_id="6f6c1d5e-8a3b-4c55-9a8e-0d2b7c7e1a10",
    uri="/apis/apps/v1/namespaces/prod/deployments/web/scale",
    verb="patch",
    groups=("dev", "system:authenticated"),
    impersonated="bob",
    ips=("10.0.0.7", "192.168.1.1"),
    resource="deployments",
    subresource="scale",
    namespace="prod",
    name="web",
    api_group="apps",
    stage_time="2026-11-26T10:00:00.350000Z",
    annotations={"authorization.k8s.io/decision": "allow"},
)
FIELDS = {
    "user": "alice",
    "as": "bob",
    "groups": ("dev", "system:authenticated"),
    "verb": "patch",
    "apigroup": "apps",
    "resource": "deployments",
    "sub": "scale",
    "ns": "prod",
    "name": "web",
    "stage": "ResponseComplete",
    "level": "Metadata",
    "code": 200,
    "ip": ("10.0.0.7", "192.168.1.1"),
    "ua": "kubectl/v1.31.0",
    "id": "6f6c1d5e-8a3b-4c55-9a8e-0d2b7c7e1a10",
    "uri": "/apis/apps/v1/namespaces/prod/deployments/web/scale",
    "decision": "allow",
    "objref": True,
}
LINE = orjson.dumps(EVENT).decode()


def _bare(event: dict) -> dict:
    return {k: v for k, v in event.items() if k not in ("kind", "apiVersion")}


FORMS = {
    "json line": LINE + "\n",
    "no trailing newline": LINE,
    "crlf": LINE + "\r\n",
    "byte-order mark": "\ufeff" + LINE + "\n",
    "kubectl --timestamps": "2026-11-26T10:00:01.123456789Z " + LINE + "\n",
    "kubectl --prefix": "[pod/kube-apiserver-cp1/kube-apiserver] " + LINE + "\n",
    "kubectl --prefix --timestamps": "[pod/kube-apiserver-cp1/kube-apiserver] "
    "2026-11-26T10:00:01Z " + LINE + "\n",
    "pretty-printed": orjson.dumps(EVENT, option=orjson.OPT_INDENT_2).decode() + "\n",
    "no kind or apiVersion": orjson.dumps(_bare(EVENT)).decode() + "\n",
    "EventList": orjson.dumps(
        {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [_bare(EVENT)]}
    ).decode(),
    "EventList pretty": orjson.dumps(
        {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [EVENT]},
        option=orjson.OPT_INDENT_2,
    ).decode(),
    "AKS record": orjson.dumps({"category": "kube-audit", "properties": {"log": LINE}}).decode(),
    "wrong types elsewhere": orjson.dumps({**EVENT, "extra": [1, {"x": None}]}).decode(),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_yields_the_same_fields(form: str, write_log) -> None:
    store = index_files(write_log(FORMS[form]))
    assert store.skips.total == 0, dict(store.skips.counts)
    assert len(store) == 1
    row = store.row(0)
    assert {k: row[k] for k in FIELDS} == FIELDS
    assert row["ts"] - row["rx"] == 250_000
    assert orjson.loads(store.event_json(0))["auditID"] == EVENT["auditID"]


def test_prefixed_json_line_prints_without_its_prefix(write_log) -> None:
    store = index_files(write_log(FORMS["kubectl --prefix --timestamps"]))
    assert store.event_json(0) == LINE.encode()


def test_v1alpha1_group_is_split_from_object_ref_api_version(write_log) -> None:
    event = {**EVENT, "apiVersion": "audit.k8s.io/v1alpha1"}
    event["objectRef"] = {"resource": "roles", "apiVersion": "rbac.authorization.k8s.io/v1"}
    store = index_files(write_log(orjson.dumps(event) + b"\n"))
    assert store.row(0)["apigroup"] == "rbac.authorization.k8s.io"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"I1126 10:00:00.000000       1 server.go:123] starting\n",
            "not JSON or a legacy audit line",
        ),
        (LINE[: len(LINE) // 2].encode() + b"\n", "truncated JSON"),
        (b'{"kind":"Event","auditID":"a","verb":"get","user":"\xff\xfe"}\n', "invalid UTF-8"),
        (b"\x00\x01\x02binary\xff\n", "binary data"),
        (b"[1, 2, 3]\n", "JSON value is not an object"),
        (b'{"kind":"Pod","apiVersion":"v1"}\n', "JSON object of kind 'Pod', not an audit event"),
        (b'{"hello":"world"}\n', "JSON object without audit event fields"),
        (b"\n", "blank line"),
    ],
)
def test_lines_that_are_not_events_are_counted_with_a_reason(
    content: bytes, reason: str, write_log
) -> None:
    store = index_files(write_log(content + FORMS["json line"].encode()))
    assert len(store) == 1
    assert dict(store.skips.counts) == {reason: 1}


def test_truncated_line_followed_by_events_loses_nothing(write_log) -> None:
    second = LINE.replace(EVENT["auditID"], "0a0a0a0a-0000-4000-8000-000000000002")
    content = LINE[:300] + "\n" + LINE + "\n" + second + "\n"
    store = index_files(write_log(content))
    assert [store.row(r)["id"] for r in range(len(store))] == [
        EVENT["auditID"], "0a0a0a0a-0000-4000-8000-000000000002",
    ]  # fmt: skip
    assert dict(store.skips.counts) == {"truncated JSON": 1}


def test_wrong_field_types_decode_sensibly(write_log) -> None:
    odd = {
        **EVENT,
        "user": "alice",
        "responseStatus": {"code": "403"},
        "objectRef": [],
        "sourceIPs": "10.0.0.1",
        "verb": 7,
        "stageTimestamp": 12,
    }
    store = index_files(write_log(orjson.dumps(odd) + b"\n"))
    row = store.row(0)
    assert (row["user"], row["code"], row["resource"], row["verb"]) == ("", 403, "", "7")
    assert row["objref"] is False and row["ip"] == ()
    assert row["ts"] == row["rx"]  # an unusable stageTimestamp falls back to received


def test_gzip_member_is_not_mistaken_for_text(write_log) -> None:
    store = index_files(write_log(gzip.compress(LINE.encode())))
    assert len(store) == 0 and store.skips.total >= 1


def test_both_decoders_give_the_shape_records_in_their_field_order() -> None:
    # The tolerant path builds plain tuples in the records' order; a field out of place
    # would show here by name.
    fields = Extracted(*extract(EVENT))
    client = ClientShape(user="alice", as_="bob", groups=("dev", "system:authenticated"),
                         ua="kubectl/v1.31.0", ip=("10.0.0.7", "192.168.1.1"))  # fmt: skip
    request = RequestShape(verb="patch", apigroup="apps", resource="deployments", sub="scale",
                           ns="prod", stage="ResponseComplete", level="Metadata",
                           decision="allow", objref=True)  # fmt: skip
    assert normalize_who(fields.who) == client
    assert normalize_what(fields.what) == request
    assert decode_shapes(decode_event(orjson.dumps(EVENT))) == (client, request)
    assert (fields.name, fields.uri, fields.code, fields.audit_id) == (
        "web", EVENT["requestURI"], 200, EVENT["auditID"],
    )  # fmt: skip
    assert (fields.stage_time, fields.received_time) == (
        parse_time(EVENT["stageTimestamp"]), parse_time(EVENT["requestReceivedTimestamp"]),
    )  # fmt: skip
