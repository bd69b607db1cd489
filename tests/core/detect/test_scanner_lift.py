"""The scanner answers rules from the index where it can and reads events back only where it
cannot: its hits must be exactly those of evaluating every event whole.

Hypothesis writes logs of events whose indexed fields are drawn from the values the rules look
at, and from values of the wrong types (numbers, booleans, objects, nulls, missing fields), which
the index coerces and so cannot tell apart; the community rules and the built-in triage rules
(without their rate windows) then run both ways over the same store.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaudit_tui.core.detect import Ruleset, load_rules, load_rules_text
from kaudit_tui.core.detect.defaults import DEFAULT_RULES
from tests.conftest import DATA, LOGS, index_files
from tests.core.detect.helpers import rules_text
from tests.events import audit_event

COMMUNITY = DATA / "rules" / "falco-k8s_audit_rules.yaml"

ODD = st.sampled_from([None, 5, 1.5, 1e20, True, {"a": 1}, ["x"], ""])
USERS = st.one_of(
    st.sampled_from(
        [
            "system:anonymous",
            "system:node:n1",
            "system:kube-controller-manager",
            "system:serviceaccount:kube-system:replicaset-controller",
            "system:serviceaccount:team:app",
            "alice",
            "admin",
        ]
    ),
    ODD,
)
GROUPS = st.one_of(
    st.lists(
        st.sampled_from(
            ["system:authenticated", "system:unauthenticated", "system:masters", 7, None]
        ),
        max_size=3,
    ),
    ODD,
)
RESOURCES = st.one_of(
    st.sampled_from(
        [
            "pods",
            "secrets",
            "configmaps",
            "clusterrolebindings",
            "rolebindings",
            "clusterroles",
            "serviceaccounts",
            "certificatesigningrequests",
            "namespaces",
            "validatingwebhookconfigurations",
        ]
    ),
    ODD,
)
SUBRESOURCES = st.one_of(
    st.sampled_from(["exec", "attach", "portforward", "token", "approval"]), ODD
)
VERBS = st.one_of(
    st.sampled_from(["create", "get", "list", "watch", "update", "patch", "delete"]), ODD
)
NAMESPACES = st.one_of(st.sampled_from(["kube-system", "default", "kube-public"]), ODD)
NAMES = st.one_of(
    st.sampled_from(["app", "cluster-admin", "kubeadmin", "x1", "42", "1e+20", "-0.5", "nan"]),
    ODD,
    st.text(max_size=4),
)
CODES = st.one_of(st.sampled_from([200, 201, 101, 403, 404, "403", "042", 42, 2000]), ODD)
STAGES = st.one_of(st.sampled_from(["ResponseComplete", "ResponseStarted", "Panic"]), ODD)
IDS = st.one_of(st.just("00000000-0000-4000-8000-000000000001"), st.sampled_from(["x", ""]), ODD)
BODIES = st.sampled_from(
    [
        None,
        {"roleRef": {"name": "cluster-admin"}, "subjects": [{"kind": "User", "name": "bob"}]},
        {"rules": [{"verbs": ["*"], "resources": ["pods"]}]},
        {"spec": {"hostNetwork": True, "containers": [{"image": "busybox"}]}},
        {"spec": {"containers": [{"image": "nginx", "securityContext": {"privileged": True}}]}},
    ]
)


@st.composite
def events(draw: st.DrawFn) -> dict:
    event = audit_event(
        user={"username": draw(USERS), "groups": draw(GROUPS)},
        stage=draw(STAGES),
        verb=draw(VERBS),
        resource=draw(RESOURCES),
        subresource=draw(SUBRESOURCES) if draw(st.booleans()) else None,
        namespace=draw(NAMESPACES),
        name=draw(NAMES),
        code=draw(CODES),
        audit_id=draw(IDS),
        request_object=draw(BODIES),
        object_ref=draw(st.integers(0, 5)) > 0,
        impersonated=draw(st.sampled_from([None, "bob", ""])),
        annotations=draw(st.sampled_from([None, {"authorization.k8s.io/decision": "allow"}])),
    )
    if draw(st.integers(0, 6)) == 0:
        event["user"] = draw(ODD)
    if draw(st.integers(0, 6)) == 0:
        event["objectRef"] = {**(event.get("objectRef") or {}), "name": draw(ODD)}
    if draw(st.integers(0, 8)) == 0:
        event["impersonatedUser"] = {"username": draw(ODD)}
    if draw(st.integers(0, 6)) == 0:
        times = ["1970-01-01T00:00:00Z", "2026-11-26 10:00:00", "bad", 5, None]
        for key in ("stageTimestamp", "requestReceivedTimestamp", "timestamp"):
            if draw(st.booleans()):
                event[key] = draw(st.sampled_from(times))
            else:
                event.pop(key, None)
        event["metadata"] = {"creationTimestamp": draw(st.sampled_from(times))}
    return event


@functools.cache
def ruleset() -> Ruleset:
    loaded = load_rules([str(DEFAULT_RULES), str(COMMUNITY)])
    for rule in loaded.rules:
        rule.rate = None  # windows are stateful: compared in test_rate_windows
    return Ruleset(loaded)


def reference(store, rules: Ruleset, rows: np.ndarray) -> list[tuple[int, tuple[int, ...]]]:
    """Every event read back and evaluated whole against every rule."""
    out = []
    for row in rows.tolist():
        event = orjson.loads(store.event_json(row))
        matched = rules.matching(event)
        hits = tuple(i for i, rule in enumerate(rules.rules) if rule in matched)
        if hits:
            out.append((row, hits))
    return out


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(log=st.lists(events(), min_size=1, max_size=25))
def test_scanner_hits_are_those_of_every_event_evaluated_whole(log, tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in log))
    store = index_files(path)
    rows = np.arange(store.first_id, store.next_id)
    rules = ruleset()
    assert rules.scanner(store).scan(rows) == reference(store, rules, rows)


def test_index_answers_most_rows_without_reading_them(tmp_path: Path) -> None:
    """Plain Metadata events the rules can be decided on from the index are never read."""
    lines = [
        audit_event(user=f"system:serviceaccount:team:app-{n % 7}", verb="get", resource="pods")
        for n in range(300)
    ]
    lines.append(audit_event(verb="create", resource="pods", subresource="exec", name="app"))
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in lines))
    store = index_files(path)
    scanner = ruleset().scanner(store)
    rows = np.arange(store.first_id, store.next_id)
    fired = scanner.scan(rows)
    assert fired == reference(store, ruleset(), rows)
    assert scanner.events_read < 10
    names = {ruleset().rules[i].name for _, hits in fired for i in hits}
    assert "Exec or attach into a pod" in names


@pytest.mark.parametrize(
    "log", sorted(path.name for path in LOGS.iterdir() if path.name != "SOURCES.md")
)
def test_the_sample_logs_give_the_same_hits_both_ways(log: str) -> None:
    """Every input form (legacy lines, EventLists, GKE entries, AKS records, v1alpha1...)."""
    store = index_files(LOGS / log)
    rows = np.arange(store.first_id, store.next_id)
    assert ruleset().scanner(store).scan(rows) == reference(store, ruleset(), rows)


def test_a_name_of_the_wrong_type_is_read_when_a_list_could_hold_its_json(tmp_path: Path) -> None:
    """An object as objectRef.name is indexed as "" but read by the field as its JSON text,
    which a list (named, so only its items tell) may hold."""
    rules = Ruleset(
        load_rules_text(
            "- list: odd_names\n  items: ['{\"a\":1}']\n"
            "- rule: R\n  desc: d\n  condition: ka.target.name in (odd_names)\n"
            "  output: o\n  priority: INFO\n  source: k8s_audit\n"
        )
    )
    event = audit_event(name="x")
    event["objectRef"]["name"] = {"a": 1}
    path = tmp_path / "audit.log"
    path.write_bytes(orjson.dumps(event) + b"\n")
    store = index_files(path)
    rows = np.arange(store.first_id, store.next_id)
    assert rules.scanner(store).scan(rows) == reference(store, rules, rows) == [(0, (0,))]


SCALARS = [
    "ka.user.name",
    "ka.impuser.name",
    "ka.useragent",
    "ka.verb",
    "ka.stage",
    "ka.auth.decision",
    "ka.target.resource",
    "ka.target.subresource",
    "ka.target.namespace",
    "ka.target.name",
    "ka.response.code",
    "jevt.value[/stage]",
    "jevt.value[/verb]",
    "ka.uri",
]
LISTS = ["ka.user.groups", "ka.sourceips"]
WORDS = ["", "alice", "get", "pods", "kube-system", "403", "42", "{", "[x]", "true", "1e+20"]
WORDS += ["system:", "*", "a*", "ResponseComplete", "10.0.0.1", "system:authenticated"]


def _quoted(word: str) -> str:
    return '"' + word + '"'


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> str:
    """A random condition over indexed fields (and one that is not, ka.uri)."""
    if depth < 3 and draw(st.integers(0, 2)) == 0:
        parts = draw(st.lists(conditions(depth + 1), min_size=1, max_size=3))
        joined = f" {draw(st.sampled_from(['and', 'or']))} ".join(f"({p})" for p in parts)
        return f"not ({joined})" if draw(st.booleans()) else joined
    if draw(st.integers(0, 4)) == 0:
        field = draw(st.sampled_from(LISTS))
        op = draw(st.sampled_from(["in", "intersects", "exists"]))
    else:
        field = draw(st.sampled_from(SCALARS))
        op = draw(
            st.sampled_from(
                ["=", "!=", "in", "intersects", "contains", "startswith", "endswith", "exists"]
                + ["glob", "icontains", "pmatch"]
            )
        )
        if draw(st.integers(0, 5)) == 0:
            field = f"tolower({field})"
    if op == "exists":
        return f"{field} exists"
    if op in ("in", "intersects", "pmatch"):
        items = draw(st.lists(st.sampled_from(WORDS), max_size=3))
        return f"{field} {op} ({', '.join(map(_quoted, items))})"
    return f"{field} {op} {_quoted(draw(st.sampled_from(WORDS)))}"


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(condition=conditions(), log=st.lists(events(), min_size=1, max_size=12))
def test_random_conditions_give_the_same_hits_both_ways(
    condition: str, log: list, tmp_path: Path
) -> None:
    rules = Ruleset(load_rules_text(rules_text(condition)))
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in log))
    store = index_files(path)
    rows = np.arange(store.first_id, store.next_id)
    assert rules.scanner(store).scan(rows) == reference(store, rules, rows)
