"""The GCE master policy (policy-semantics §10) against the requests each rule exists for.

Each case is a request a real cluster sends (kube-proxy watches, kubelet status updates,
HPA metric reads, health checks, CRDs…) with the rule that must catch it, numbered from 1
as in the file.
"""

from __future__ import annotations

import pytest

from kaudit_tui.core.policy import LoadedPolicy, RequestAttributes, load_policy
from tests.core.policy_builders import DATA, no_user, request

AUTH = ("system:authenticated",)
NODES = ("system:nodes", "system:authenticated")


def sa(namespace: str, name: str) -> tuple[str, tuple[str, ...]]:
    user = f"system:serviceaccount:{namespace}:{name}"
    groups = (
        "system:serviceaccounts",
        f"system:serviceaccounts:{namespace}",
        "system:authenticated",
    )
    return user, groups


KCM = ("system:kube-controller-manager", AUTH)
NODE = ("system:node:gke-pool-1", NODES)
DEFAULT_SA = sa("default", "default")
NS_CONTROLLER = sa("kube-system", "namespace-controller")

LEVELS = {
    1: "None",
    2: "None",
    3: "None",
    4: "None",
    5: "None",
    6: "None",
    7: "None",
    8: "None",
    9: "None",
    10: "None",
    11: "Request",
    12: "Request",
    13: "Request",
    14: "Metadata",
    15: "Request",
    16: "RequestResponse",
    17: "Metadata",
}

CASES: list[tuple[int, RequestAttributes]] = [
    # 1: kube-proxy watching endpoints and services
    (
        1,
        request("GET", "/api/v1/endpoints?watch=true&resourceVersion=1", "system:kube-proxy", AUTH),
    ),
    (1, request("GET", "/api/v1/services?watch=1", "system:kube-proxy", AUTH)),
    (15, request("GET", "/api/v1/nodes?watch=true", "system:kube-proxy", AUTH)),
    (15, request("GET", "/api/v1/endpoints", "system:kube-proxy", AUTH)),
    # discovery.k8s.io is not among the "known" groups: it falls to the catch-all
    (
        17,
        request(
            "GET", "/apis/discovery.k8s.io/v1/endpointslices?watch=1", "system:kube-proxy", AUTH
        ),
    ),
    # 2: the ingress controller on the unsecured port
    (
        2,
        request(
            "GET",
            "/api/v1/namespaces/kube-system/configmaps/ingress-uid",
            "system:unsecured",
            ("system:authenticated", "system:masters"),
        ),
    ),
    (14, request("GET", "/api/v1/namespaces/default/configmaps/x", "system:unsecured", AUTH)),
    # 3 and 4: kubelets reading their node
    (3, request("GET", "/api/v1/nodes/gke-pool-1", "kubelet", NODES)),
    (4, request("GET", "/api/v1/nodes/gke-pool-1", *NODE)),
    (4, request("GET", "/api/v1/nodes/gke-pool-1/status", *NODE)),
    # 11 and 12: node and pod status updates
    (11, request("PUT", "/api/v1/nodes/gke-pool-1/status", "kubelet", NODES)),
    (11, request("PATCH", "/api/v1/nodes/n1/status", "system:node-problem-detector", AUTH)),
    (12, request("PATCH", "/api/v1/nodes/gke-pool-1/status", *NODE)),
    (12, request("PATCH", "/api/v1/namespaces/default/pods/web-0/status", *NODE)),
    (14, request("GET", "/api/v1/namespaces/kube-system/secrets/s", *NODE)),
    (16, request("POST", "/api/v1/namespaces/kube-system/pods", *NODE)),
    # 5: leader-election endpoints of the control plane in kube-system
    (5, request("GET", "/api/v1/namespaces/kube-system/endpoints/kube-controller-manager", *KCM)),
    (
        5,
        request(
            "PUT",
            "/api/v1/namespaces/kube-system/endpoints/kube-scheduler",
            "system:kube-scheduler",
            AUTH,
        ),
    ),
    (15, request("GET", "/api/v1/namespaces/default/endpoints/web", *KCM)),
    (16, request("PUT", "/api/v1/namespaces/default/endpoints/web", *KCM)),
    # 6: the apiserver checking namespaces
    (6, request("GET", "/api/v1/namespaces/default", "system:apiserver", ("system:masters",))),
    (16, request("PUT", "/api/v1/namespaces/x/finalize", "system:apiserver", ("system:masters",))),
    # 7: cluster-autoscaler status
    (
        7,
        request(
            "PUT",
            "/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status",
            "cluster-autoscaler",
            AUTH,
        ),
    ),
    (14, request("GET", "/api/v1/namespaces/default/configmaps/c", "cluster-autoscaler", AUTH)),
    # 8: HPA reading metrics
    (8, request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", *KCM)),
    (8, request("GET", "/apis/metrics.k8s.io/v1beta1/nodes/n1", *KCM)),
    (15, request("GET", "/apis/metrics.k8s.io/v1beta1/nodes/n1", *DEFAULT_SA)),
    # 9: health checks, version and swagger, whoever asks (even without a user)
    (9, request("GET", "/healthz")),
    (9, request("GET", "/healthz/etcd?verbose")),
    (9, no_user("GET", "/healthz")),
    (9, request("GET", "/version", "system:anonymous", ("system:unauthenticated",))),
    (9, request("GET", "/swagger-2.0.0.pb-v1.gz")),
    (17, request("GET", "/livez")),
    (17, request("GET", "/metrics")),
    (17, request("GET", "/openapi/v2")),
    (17, request("GET", "/apis")),
    (17, request("GET", "/api")),
    (17, request("POST", "/apis/policy")),
    # 10: core events are dropped; events.k8s.io is not a known group
    (10, request("POST", "/api/v1/namespaces/default/events", *NODE)),
    (10, request("PATCH", "/api/v1/namespaces/default/events/e1", *KCM)),
    (17, request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", *KCM)),
    # 13: the namespace controller emptying a namespace
    (13, request("DELETE", "/api/v1/namespaces/gone/pods", *NS_CONTROLLER)),
    (13, request("DELETE", "/apis/apps/v1/namespaces/gone/deployments", *NS_CONTROLLER)),
    (16, request("DELETE", "/api/v1/namespaces/gone/pods/p", *NS_CONTROLLER)),
    # 14: sensitive resources only at Metadata
    (14, request("GET", "/api/v1/namespaces/default/secrets/db", *DEFAULT_SA)),
    (14, request("POST", "/api/v1/namespaces/default/serviceaccounts/default/token", *DEFAULT_SA)),
    (14, request("POST", "/apis/authentication.k8s.io/v1/tokenreviews", *DEFAULT_SA)),
    (15, request("GET", "/api/v1/namespaces/default/serviceaccounts/default", *KCM)),
    # 15 and 16: known groups, reads at Request, writes at RequestResponse
    (15, request("GET", "/apis/apps/v1/namespaces/default/deployments", *DEFAULT_SA)),
    (15, request("GET", "/apis/apps/v1/deployments?watch=true", *KCM)),
    (15, request("GET", "/api/v1/namespaces/default/pods/web-0/log?follow=true", *DEFAULT_SA)),
    (
        15,
        request(
            "GET",
            "/api/v1/namespaces/default/pods",
            "system:anonymous",
            ("system:unauthenticated",),
        ),
    ),
    (15, no_user("GET", "/api/v1/namespaces/default/pods")),
    (16, request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", *DEFAULT_SA)),
    (16, request("POST", "/api/v1/namespaces/default/pods/web-0/exec?command=sh", "alice", AUTH)),
    (16, request("DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterroles/edit", "alice", AUTH)),
    # 17: everything else, CRDs included
    (17, request("GET", "/apis/example.com/v1/namespaces/default/foos", *DEFAULT_SA)),
    (17, request("POST", "/apis/example.com/v1/namespaces/default/foos/bar/baz", *DEFAULT_SA)),
    (17, request("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x", *KCM)),
]


@pytest.fixture(scope="module")
def gce() -> LoadedPolicy:
    return load_policy(DATA / "gce.yaml")


def test_gce_policy_shape(gce: LoadedPolicy) -> None:
    assert len(gce.rules) == 17
    assert gce.warnings == ()
    assert tuple(rule.level for rule in gce.rules) == tuple(LEVELS.values())


@pytest.mark.parametrize(("rule", "attrs"), CASES)
def test_gce_rule_for_request(gce: LoadedPolicy, rule: int, attrs: RequestAttributes) -> None:
    decision = gce.evaluate(attrs)
    assert decision.rule == rule
    assert decision.level == LEVELS[rule]
    # every rule that logs omits RequestReceived; the dropping rules omit nothing
    expected_stages = set() if LEVELS[rule] == "None" else {"RequestReceived"}
    assert decision.omit_stages == expected_stages
    assert decision.omit_managed_fields is False


def test_every_gce_rule_is_exercised() -> None:
    assert {rule for rule, _ in CASES} == set(LEVELS)
