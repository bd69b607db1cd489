"""The fast decode path indexes exactly what the tolerant path indexes, for any event.

Compact JSON lines take the typed fast path; the same lines behind a ``kubectl logs
--timestamps`` prefix take the tolerant dict path. Both must give the same rows and the same
skip reasons, whatever the values and types of the fields.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaudit_tui.core import ingest
from tests.conftest import index_files

PREFIX = b"2026-11-26T10:00:01.123456789Z "
ABSENT = object()

texts = st.one_of(
    st.sampled_from(["", "prod", "kube-system", "apps", "system:authenticated", 'a"b\\c', "é"]),
    st.text(max_size=8),
)
odd = st.one_of(st.none(), st.integers(-5, 5000), st.floats(allow_nan=False), st.booleans(),
                st.just([]), st.just({}))  # fmt: skip
times = st.sampled_from(
    ["2026-11-26T10:00:00.123456Z", "2026-11-26T10:00:01.000001Z", "2026-11-26T10:00:00Z",
     "2026-11-26T11:00:00.5+01:00", "2026-11-26 10:00:00", "not a time"]
)  # fmt: skip
audit_ids = st.one_of(
    st.uuids().map(str),
    st.sampled_from(["6F6C1D5E-8A3B-4C55-9A8E-0D2B7C7E1A10", "ffffffff-ffff-ffff-0000-000000000001",
                     "0x6c1d5e-8a3b-4c55-9a8e-0d2b7c7e1a10", "abc", ""]),
)  # fmt: skip


def _usual(values: list[str], unusual: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly one of ``values``; sometimes an unusual value of the right type."""
    return st.one_of(st.sampled_from(values), st.sampled_from(values), unusual)


users = st.fixed_dictionaries(
    {"username": texts},
    optional={"groups": st.lists(texts, max_size=3), "uid": texts,
              "extra": st.dictionaries(texts, st.lists(texts, max_size=2), max_size=2)},
)  # fmt: skip
object_refs = st.fixed_dictionaries(
    {},
    optional={k: texts for k in ("resource", "namespace", "name", "apiGroup", "subresource", "uid")}
    | {"apiVersion": st.sampled_from(["v1", "rbac.authorization.k8s.io/v1", "", "a/b/v1"])},
)  # fmt: skip
REQUIRED = {
    # Mostly a plain v1 event; sometimes another version, kind or none at all.
    "kind": st.sampled_from(["Event"] * 6 + ["EventList", "Pod", ABSENT]),
    "apiVersion": st.sampled_from(
        ["audit.k8s.io/v1"] * 4
        + ["audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1", "v1", "audit.k8s.io/v2", ABSENT]
    ),
}
FIELDS = {
    "level": _usual(["Metadata", "Request", "RequestResponse", "None"], st.just("metadata")),
    "auditID": audit_ids,
    "stage": _usual(["ResponseComplete", "RequestReceived", "Panic"], st.just("Later")),
    "requestURI": texts,
    "verb": _usual(["get", "list", "watch", "create", "post", ""], st.just("impersonate")),
    "user": users,
    "impersonatedUser": st.one_of(users, st.none()),
    "sourceIPs": st.lists(texts, max_size=2),
    "userAgent": texts,
    "objectRef": st.one_of(object_refs, object_refs, st.none()),
    "responseStatus": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "code": st.one_of(st.integers(-2, 2000), st.integers(-(2**63), 2**64 - 1)),
                "metadata": st.just({}),
            },
        ),
        st.none(),
    ),
    "requestReceivedTimestamp": times,
    "stageTimestamp": st.one_of(times, st.none()),
    "timestamp": times,
    "metadata": st.fixed_dictionaries({}, optional={"creationTimestamp": times}),
    "annotations": st.one_of(
        st.dictionaries(
            st.sampled_from(["authorization.k8s.io/decision", "authorization.k8s.io/reason", "x"]),
            _usual(["allow", "forbid"], st.sampled_from(["deny", ""])),
        ),
        st.none(),
    ),
}
ODD = {
    # Wrong types in one place, as hand-written or mangled logs have them.
    "level": odd, "auditID": odd, "stage": odd, "requestURI": odd, "verb": odd, "userAgent": odd,
    "user": st.one_of(texts, odd, st.fixed_dictionaries({"username": odd}),
                      st.fixed_dictionaries({"groups": st.lists(odd, min_size=1, max_size=2)})),
    "impersonatedUser": st.one_of(texts, odd),
    "sourceIPs": st.one_of(texts, odd, st.lists(odd, min_size=1, max_size=2)),
    "objectRef": st.one_of(texts, odd, st.fixed_dictionaries({"name": odd, "resource": texts})),
    "responseStatus": st.one_of(
        odd, st.fixed_dictionaries({"code": st.one_of(odd, st.just("403"))})
    ),
    "stageTimestamp": odd, "requestReceivedTimestamp": odd,
    "metadata": st.fixed_dictionaries({"creationTimestamp": odd}),
    "annotations": st.one_of(odd, st.fixed_dictionaries({"authorization.k8s.io/decision": odd})),
}  # fmt: skip


@st.composite
def events(draw: st.DrawFn) -> dict:
    event = draw(st.fixed_dictionaries(REQUIRED, optional=FIELDS))
    if draw(st.integers(0, 3)) == 0:
        field = draw(st.sampled_from(sorted(ODD)))
        event[field] = draw(ODD[field])
    return {k: v for k, v in event.items() if v is not ABSENT}


def _index(lines: list[bytes]):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.log"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        store = index_files(path)
        rows = [store.row(r) for r in range(len(store))]
        for row in rows:
            del row["source"]
        return rows, dict(store.skips.counts), [store.event_json(r) for r in range(len(store))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), min_size=1, max_size=8))
def test_fast_and_tolerant_paths_index_the_same_fields(batch: list[dict]) -> None:
    lines = [orjson.dumps(event) for event in batch]
    fast_rows, fast_skips, fast_json = _index(lines)
    slow_rows, slow_skips, _ = _index([PREFIX + line for line in lines])
    assert fast_rows == slow_rows
    assert fast_skips == slow_skips
    # A compact line is printed back exactly as it was logged.
    assert all(text in lines for text in fast_json)


def test_many_distinct_clients_keep_their_fields(write_log, monkeypatch) -> None:
    # Raw shape keys are remembered up to a bound, then forgotten: codes must stay right.
    monkeypatch.setattr(ingest, "_MAX_SHAPES", 3)
    lines = [
        orjson.dumps(
            {
                "kind": "Event",
                "apiVersion": "audit.k8s.io/v1",
                "verb": "get",
                "user": {"username": f"user-{i % 5}", "uid": str(i)},
                "sourceIPs": [f"10.0.0.{i % 7}"],
            }
        )  # fmt: skip
        for i in range(40)
    ]
    rows, skips, _ = _index(lines)
    assert not skips
    assert [(row["user"], row["ip"]) for row in rows] == [
        (f"user-{i % 5}", (f"10.0.0.{i % 7}",)) for i in range(40)
    ]
