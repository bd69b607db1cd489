"""The built-in triage rules over Falco's k8s audit trace files and over generated events.

Expected alerts were written from reading tests/data/logs/falco-k8s-audit-trace-files.jsonl
against tui/core/detect/triage_rules.yaml: line 1 is an anonymous namespace create, line 2 a
cluster role binding to cluster-admin, lines 3 and 48 attach and exec sessions, lines 5 and 6
cluster roles with "*" in resources and verbs, lines 20-26 pods with host network, privileged
containers or hostPath mounts (22 has none), lines 39-41 deletions of cluster roles and bindings
(39-47 are deletions by one user, but days apart: no burst).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from kaudit_tui.core.detect import Ruleset
from kaudit_tui.core.detect.defaults import DEFAULT_RULES, load_ruleset_files
from tests.conftest import LOGS, index_files
from tests.events import audit_event

TRACES = LOGS / "falco-k8s-audit-trace-files.jsonl"
POD_HOST = "Pod with host access"
RBAC_DELETED = "RBAC object deleted"
EXPECTED = {
    1: ["Anonymous request"],
    2: ["Binding to cluster-admin"],
    3: ["Exec or attach into a pod"],
    5: ["Role with wildcards or escalation verbs"],
    6: ["Role with wildcards or escalation verbs"],
    20: [POD_HOST],
    21: [POD_HOST],
    23: [POD_HOST],
    24: [POD_HOST],
    25: [POD_HOST],
    26: [POD_HOST],
    39: [RBAC_DELETED],
    40: [RBAC_DELETED],
    41: [RBAC_DELETED],
    48: ["Exec or attach into a pod"],
}


def ruleset() -> Ruleset:
    return load_ruleset_files([])


def fired(ruleset: Ruleset, path: Path) -> list[tuple[int, list[str]]]:
    """(line number, rule names) of every event that fires, through the scanner."""
    store = index_files(path)
    scanner = ruleset.scanner(store)
    rows = np.arange(store.first_id, store.next_id)
    return [
        (row - store.first_id + 1, [ruleset.rules[i].name for i in hits])
        for row, hits in scanner.scan(rows)
    ]


def test_the_built_in_rules_ship_with_the_package() -> None:
    assert DEFAULT_RULES.is_file()
    loaded = ruleset().loaded
    assert loaded.notes() == []
    assert all("kaudit" in rule.tags for rule in loaded.rules)


def test_trace_files() -> None:
    assert fired(ruleset(), TRACES) == sorted(EXPECTED.items())


def write(tmp_path: Path, events: list[dict]) -> Path:
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    return path


def names(tmp_path: Path, **fields) -> list[str]:
    """The rules one event with ``fields`` fires."""
    found = fired(ruleset(), write(tmp_path, [audit_event(**fields)]))
    return found[0][1] if found else []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # exec into kube-system is the stronger rule; a refused exec still counts, once
        (dict(resource="pods", subresource="exec", namespace="kube-system", code=101,
              stage="ResponseStarted"), ["Exec or attach into a kube-system pod"]),
        (dict(resource="pods", subresource="portforward", code=403),
         ["Exec or attach into a pod"]),
        (dict(resource="pods", subresource="exec", code=101), []),  # counted at its start
        # secrets: people and workloads are unexpected readers; kubelets and kube-system not
        (dict(resource="secrets", verb="list", user="alice"),
         ["Secret read by an unexpected identity"]),
        (dict(resource="secrets", verb="get", user="system:node:n1"), []),
        (dict(resource="secrets", verb="get",
              user="system:serviceaccount:kube-system:replicaset-controller"), []),
        (dict(resource="secrets", verb="get", user="system:kube-controller-manager"), []),
        # anonymous requests, except health checks
        (dict(user="system:anonymous", verb="get", object_ref=False, uri="/api"),
         ["Anonymous request"]),
        (dict(user="system:anonymous", verb="get", object_ref=False, uri="/healthz?verbose"),
         []),
        (dict(user="x", groups=("system:unauthenticated",)), ["Anonymous request"]),
        # bindings
        (dict(resource="rolebindings", verb="create",
              request_object={"roleRef": {"name": "admin"}}), ["Binding to a powerful role"]),
        (dict(resource="rolebindings", verb="create",
              request_object={"roleRef": {"name": "view"}}), []),
        # roles
        (dict(resource="roles", verb="create",
              request_object={"rules": [{"verbs": ["escalate"], "resources": ["roles"]}]}),
         ["Role with wildcards or escalation verbs"]),
        (dict(resource="clusterroles", verb="update", user="system:serviceaccount:kube-system:"
              "clusterrole-aggregation-controller",
              request_object={"rules": [{"verbs": ["impersonate"]}]}), []),
        (dict(resource="rolebindings", verb="delete", name="rb"), [RBAC_DELETED]),
        # pods with host access
        (dict(resource="pods", verb="create",
              request_object={"spec": {"hostPID": True, "containers": [{"image": "x"}]}}),
         [POD_HOST]),
        (dict(resource="pods", verb="create",
              request_object={"spec": {"containers": [{"image": "x"}]}}), []),
        # TokenRequests: for another service account, not for itself nor by a kubelet
        (dict(resource="serviceaccounts", subresource="token", verb="create", name="deployer",
              namespace="ci", user="system:serviceaccount:ci:builder"),
         ["Token requested for another service account"]),
        (dict(resource="serviceaccounts", subresource="token", verb="create", name="builder",
              namespace="ci", user="system:serviceaccount:ci:builder"), []),
        (dict(resource="serviceaccounts", subresource="token", verb="create", name="deployer",
              namespace="ci", user="system:node:n1"), []),
        # CSR approvals, by a person; not by the control plane
        (dict(resource="certificatesigningrequests", subresource="approval", verb="update",
              name="csr-1", namespace=None), ["Certificate signing request approved"]),
        (dict(resource="certificatesigningrequests", subresource="approval", verb="update",
              user="system:serviceaccount:kube-system:certificate-controller"), []),
        # impersonation
        (dict(impersonated="bob"), ["Impersonation"]),
        # admission webhooks
        (dict(resource="mutatingwebhookconfigurations", verb="patch", namespace=None),
         ["Admission webhook changed"]),
        (dict(resource="mutatingwebhookconfigurations", verb="get", namespace=None), []),
    ],
)  # fmt: skip
def test_generated_events(tmp_path: Path, fields: dict, expected: list[str]) -> None:
    assert names(tmp_path, **fields) == expected


def stamp(second: float) -> str:
    whole = int(second)
    return f"2026-11-26T10:{whole // 60:02d}:{whole % 60:02d}.{int(second % 1 * 1e6):06d}Z"


def test_a_burst_of_denied_requests_fires_once_per_window(tmp_path: Path) -> None:
    """20 refusals of one user within 60 s fire on the 20th; the rule is then quiet for a
    minute; another user's refusals and a slow trickle count apart."""
    events = []
    for n in range(30):  # mallory: one refusal a second from 0 s to 29 s
        events.append(audit_event(user="mallory", code=403, stage_time=stamp(n)))
    for n in range(30):  # eve: one every 4 s: never 20 within 60 s
        events.append(audit_event(user="eve", code=403, stage_time=stamp(n * 4)))
    for n in range(25):  # mallory again from 65 s: the quiet minute ended at 79 s
        events.append(audit_event(user="mallory", code=403, stage_time=stamp(65 + n)))
    path = write(tmp_path, events)
    rules = ruleset()
    found = [line for line, hits in fired(rules, path) if "Burst of denied requests" in hits]
    # line 20: mallory's 20th (at 19 s); quiet until 79 s; at 79 s (line 60 + 15) the 20
    # latest of mallory fall in (19 s, 79 s]: 65..79 (15) and 25..29 (5)
    assert found == [20, 75]
