"""Explanations, the logged-level cross-check, and agreement of every evaluation path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaudit_tui.core.policy import (
    Decision,
    RequestAttributes,
    RequestFields,
    load_policy,
    logged_level_mismatch,
)
from kaudit_tui.core.requestinfo import parse_request_uri
from tests.core.policy_builders import DATA, make_policy, no_user, request

KUBE_PROXY = ("system:kube-proxy", ("system:authenticated",))


def reasons(policy_rules: list[dict[str, Any]], attrs: RequestAttributes) -> list[str]:
    return [e.reason for e in make_policy(policy_rules).explain(attrs)]


@pytest.mark.parametrize(
    ("rule", "attrs", "reason"),
    [
        (
            {"users": ["system:kube-proxy"]},
            request("GET", "/api"),
            "users: system:kube-proxy ≠ alice",
        ),
        (
            {"users": ["a", "b"]},
            no_user("GET", "/api"),
            "users: the request has no user (authentication failed)",
        ),
        (
            {"userGroups": ["system:nodes"]},
            request("GET", "/api"),
            "userGroups: system:nodes ≠ any of system:authenticated",
        ),
        (
            {"userGroups": ["system:nodes"]},
            request("GET", "/api", "bob", ()),
            "userGroups: system:nodes ≠ (the user has no groups)",
        ),
        ({"verbs": ["watch"]}, request("GET", "/api/v1/pods"), "verbs: watch ≠ list"),
        (
            {"namespaces": ["kube-system"]},
            request("GET", "/api/v1/namespaces/default/pods"),
            "namespaces: kube-system ≠ default",
        ),
        (
            {"namespaces": ["kube-system"]},
            request("GET", "/api/v1/nodes"),
            'namespaces: kube-system ≠ "" (cluster-wide)',
        ),
        (
            {"namespaces": ["kube-system"]},
            request("GET", "/healthz"),
            "namespaces: the rule is for resource requests; /healthz is a non-resource URL",
        ),
        (
            {"resources": [{"group": ""}, {"group": "batch"}]},
            request("GET", "/apis/apps/v1/deployments"),
            'resources: group "", batch ≠ apps',
        ),
        (
            {"resources": [{"group": "", "resources": ["pods"]}]},
            request("GET", "/api/v1/namespaces/ns/pods/p/log"),
            "resources: pods ≠ pods/log in the core group",
        ),
        (
            {"resources": [{"group": "apps", "resources": ["*/scale"]}]},
            request("GET", "/apis/apps/v1/namespaces/ns/deployments/d"),
            "resources: */scale ≠ deployments in group apps",
        ),
        (
            {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": ["x"]}]},
            request("POST", "/api/v1/namespaces/ns/configmaps"),
            'resourceNames: x ≠ "" (the request names no object)',
        ),
        (
            {"nonResourceURLs": ["/healthz*"]},
            request("GET", "/api/v1/pods"),
            "nonResourceURLs: the rule is for non-resource URLs; this is a resource request "
            "(pods in the core group)",
        ),
        (
            {"nonResourceURLs": ["/healthz*", "/version"]},
            request("GET", "/metrics"),
            "nonResourceURLs: /healthz*, /version ≠ /metrics",
        ),
    ],
)
def test_first_failing_field(rule: dict[str, Any], attrs: RequestAttributes, reason: str) -> None:
    (explanation, _catch_all) = make_policy(
        [{"level": "None", **rule}, {"level": "Metadata"}]
    ).explain(attrs)
    assert not explanation.matched
    assert explanation.reason == reason
    assert explanation.field == reason.split(":")[0]


def test_fields_are_checked_in_upstream_order() -> None:
    # users fails first even though verbs and resources would fail too
    rule = {"users": ["bob"], "verbs": ["delete"], "resources": [{"group": "apps"}]}
    assert reasons([{"level": "None", **rule}], request("GET", "/api/v1/pods"))[0].startswith(
        "users:"
    )


def test_explanation_lists_rules_up_to_the_match() -> None:
    policy = load_policy(DATA / "gce.yaml")
    attrs = request("GET", "/api/v1/nodes?watch=true", *KUBE_PROXY)
    explanation = policy.explain(attrs)
    assert [e.rule for e in explanation] == list(range(1, 16))
    assert [e.matched for e in explanation] == [False] * 14 + [True]
    assert explanation[0].reason == (
        "resources: endpoints, services, services/status ≠ nodes in the core group"
    )
    assert explanation[1].reason == "users: system:unsecured ≠ system:kube-proxy"
    assert explanation[-1].level == "Request"
    assert explanation[-1].line == policy.rules[14].line


def test_explanation_without_a_match_lists_every_rule() -> None:
    policy = make_policy(
        [{"level": "Metadata", "users": ["bob"]}, {"level": "None", "verbs": ["x"]}]
    )
    explanation = policy.explain(request("GET", "/api"))
    assert [(e.rule, e.matched) for e in explanation] == [(1, False), (2, False)]


def test_long_lists_are_shortened() -> None:
    policy = load_policy(DATA / "gce.yaml")
    attrs = request("GET", "/apis/example.com/v1/foos", "alice")
    reason = policy.explain(attrs)[14].reason
    assert reason.startswith('resources: group "", admissionregistration.k8s.io,')
    assert "(+12 more) ≠ example.com" in reason


def test_hostile_strings_are_escaped_in_reasons() -> None:
    hostile = "\x1b]0;pwned\x07\u202eevil"
    explanation = make_policy([{"level": "None", "users": ["bob"]}]).explain(
        request("GET", f"/x{hostile}", hostile)
    )
    text = explanation[0].reason
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]0;pwned\\x07\\u202eevil" in text


# -- the logged level cross-check ---------------------------------------------------------------

METADATA_RULE_3 = Decision(3, "Metadata", frozenset({"RequestReceived"}), False)


@pytest.mark.parametrize(
    ("decision", "level", "stage", "expected"),
    [
        (METADATA_RULE_3, "Metadata", "ResponseComplete", None),
        (
            METADATA_RULE_3,
            "Request",
            "ResponseComplete",
            "this policy gives level Metadata (rule 3), the event was logged at Request",
        ),
        (
            METADATA_RULE_3,
            "Metadata",
            "RequestReceived",
            "this policy omits stage RequestReceived (rule 3), yet the event was written",
        ),
        (
            Decision(None, "None", frozenset(), False),
            "Metadata",
            "ResponseComplete",
            "this policy would not log the request (no rule matched, level None)",
        ),
    ],
)
def test_logged_level_mismatch(
    decision: Decision, level: str, stage: str, expected: str | None
) -> None:
    warning = logged_level_mismatch(decision, level, stage)
    if expected is None:
        assert warning is None
    else:
        assert warning is not None
        assert warning.startswith("the log was written under another policy")
        assert expected in warning


# -- every evaluation path agrees ------------------------------------------------------------

USERS = st.sampled_from(["alice", "bob", "system:kube-proxy", ""])
GROUP_NAMES = st.sampled_from(["system:authenticated", "system:nodes", "dev"])
VERBS = st.sampled_from(["get", "list", "watch", "create", "update", "delete", "post", "patch"])
NAMESPACES = st.sampled_from(["", "kube-system", "default"])
API_GROUPS = st.sampled_from(["", "apps", "*"])
RESOURCES = st.sampled_from(
    ["pods", "pods/log", "pods/*", "*", "*/scale", "deployments", "deployments/scale", "*/*"]
)
OBJECT_NAMES = st.sampled_from(["", "web", "leader"])
URLS = st.sampled_from(["*", "/healthz", "/healthz*", "/api*", "/logs/*", "/version"])

group_resources = st.fixed_dictionaries(
    {"group": API_GROUPS},
    optional={
        "resources": st.lists(RESOURCES, min_size=1, max_size=3),
        "resourceNames": st.lists(OBJECT_NAMES, max_size=2),
    },
).filter(lambda e: "resourceNames" not in e or "resources" in e)

common_fields = {
    "users": st.lists(USERS, max_size=2),
    "userGroups": st.lists(GROUP_NAMES, max_size=2),
    "verbs": st.lists(VERBS, max_size=3),
    "omitStages": st.lists(st.sampled_from(["RequestReceived", "ResponseStarted"]), max_size=2),
    "omitManagedFields": st.booleans(),
}
LEVEL = st.sampled_from(["None", "Metadata", "Request", "RequestResponse"])
resource_rule = st.fixed_dictionaries(
    {"level": LEVEL},
    optional={
        **common_fields,
        "namespaces": st.lists(NAMESPACES, min_size=1, max_size=2),
        "resources": st.lists(group_resources, min_size=1, max_size=2),
    },
)
url_rule = st.fixed_dictionaries(
    {"level": LEVEL, "nonResourceURLs": st.lists(URLS, min_size=1, max_size=2)},
    optional=common_fields,
)
any_rule = st.fixed_dictionaries({"level": LEVEL}, optional=common_fields)
rules = st.lists(st.one_of(resource_rule, url_rule, any_rule), min_size=1, max_size=5)

URIS = st.sampled_from(
    [
        ("GET", "/api/v1/namespaces/default/pods"),
        ("GET", "/api/v1/namespaces/kube-system/pods/web"),
        ("GET", "/api/v1/namespaces/kube-system/pods/leader"),
        ("GET", "/api/v1/namespaces/default/pods/leader"),
        ("GET", "/api/v1/namespaces/kube-system/pods/web/log?follow=1"),
        ("POST", "/api/v1/namespaces/default/pods"),
        ("POST", "/api/v1/namespaces/default/pods/leader/eviction"),
        ("GET", "/api/v1/pods?watch=true"),
        ("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dleader"),
        ("DELETE", "/api/v1/namespaces/default/pods"),
        ("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale"),
        ("PATCH", "/apis/apps/v1/namespaces/kube-system/deployments/leader"),
        ("PATCH", "/apis/apps/v1/namespaces/kube-system/deployments/web"),
        ("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dweb"),
        ("GET", "/api/v1/namespaces/kube-system"),
        ("GET", "/api/v1/nodes/web"),
        ("GET", "/healthz"),
        ("GET", "/healthz/etcd?verbose"),
        ("GET", "/healthz?verbose"),
        ("GET", "/versions"),
        ("GET", "/apis/apps/v1"),
        ("POST", "/version"),
        ("GET", "/logs/kube%2Dapiserver.log"),
    ]
)
requests = st.tuples(
    URIS,
    st.one_of(st.none(), USERS),
    st.lists(GROUP_NAMES, max_size=2, unique=True),
)


@settings(max_examples=300, deadline=None)
@given(
    rule_list=rules,
    policy_stages=st.lists(st.sampled_from(["RequestReceived", "Panic"]), max_size=1),
    batch=st.lists(requests, min_size=1, max_size=16),
)
def test_all_evaluation_paths_agree(
    rule_list: list[dict[str, Any]],
    policy_stages: list[str],
    batch: list[tuple[tuple[str, str], str | None, list[str]]],
) -> None:
    """Cached, uncached, field-based and explained evaluation pick the same rule."""
    policy = make_policy(rule_list, omitStages=policy_stages)
    evaluator = policy.evaluator
    for (method, uri), user, groups in batch + batch:
        attrs = request(method, uri, user, tuple(groups))
        info = parse_request_uri(uri, method)
        expected = evaluator.evaluate_uncached(attrs)
        assert policy.evaluate(attrs) == expected
        via_fields = evaluator.evaluate_fields(
            RequestFields(
                user=user,
                groups=tuple(groups) if user is not None else (),
                verb=info.verb,
                is_resource=info.is_resource,
                request_uri=uri,
                namespace=info.namespace,
                api_group=info.api_group,
                resource=info.resource,
                subresource=info.subresource,
                name="name-from-body" if info.verb == "create" else info.name,
            )
        )
        assert via_fields == expected
        explanation = policy.explain(attrs)
        matched = [e.rule for e in explanation if e.matched]
        assert matched == ([] if expected.rule is None else [expected.rule])
        assert len(explanation) == (expected.rule or len(policy.rules))


@pytest.mark.parametrize(
    ("rule", "first", "second"),
    [
        (
            {"resources": [{"group": "", "resources": ["pods"], "resourceNames": ["leader"]}]},
            request("GET", "/api/v1/namespaces/ns/pods/leader"),
            request("GET", "/api/v1/namespaces/ns/pods/web"),
        ),
        (
            {"resources": [{"group": "*", "resources": ["pods"], "resourceNames": ["leader"]}]},
            request("GET", "/api/v1/namespaces/ns/pods/leader"),
            request("GET", "/api/v1/namespaces/ns/pods/web"),
        ),
        (
            {"resources": [{"group": "", "resources": ["pods"], "resourceNames": [""]}]},
            request("POST", "/api/v1/namespaces/ns/pods"),
            request("POST", "/api/v1/namespaces/ns/pods/web/eviction"),
        ),
        (
            {"namespaces": ["kube-system"]},
            request("GET", "/api/v1/namespaces/kube-system/pods/web"),
            request("GET", "/api/v1/namespaces/default/pods/web"),
        ),
        (
            {"nonResourceURLs": ["/healthz"]},
            request("GET", "/healthz?verbose"),
            request("GET", "/healthz/etcd"),
        ),
        (
            {"users": ["alice"]},
            request("GET", "/api/v1/pods", "alice"),
            request("GET", "/api/v1/pods", "bob"),
        ),
        (
            {"userGroups": ["dev"]},
            request("GET", "/api/v1/pods", "alice", ("dev",)),
            request("GET", "/api/v1/pods", "alice", ("ops",)),
        ),
        (
            {"userGroups": ["dev"]},
            request("GET", "/api/v1/pods", "", ("dev",)),
            no_user("GET", "/api/v1/pods"),
        ),
    ],
)
def test_cache_keeps_what_the_policy_looks_at(
    rule: dict[str, Any], first: RequestAttributes, second: RequestAttributes
) -> None:
    """Two requests that differ only where this policy looks get different decisions."""
    policy = make_policy([{"level": "Request", **rule}, {"level": "Metadata"}])
    for attrs in (first, second, first, second):
        assert policy.evaluate(attrs) == policy.evaluator.evaluate_uncached(attrs)
    assert policy.evaluate(first).rule == 1
    assert policy.evaluate(second).rule == 2
    fields = [
        policy.evaluator.evaluate_fields(
            RequestFields(
                user=a.user,
                groups=a.groups,
                verb=a.verb,
                is_resource=a.is_resource,
                request_uri=a.path,
                namespace=a.namespace,
                api_group=a.api_group,
                resource=a.resource,
                subresource=a.subresource,
                name=a.name,
            )
        )
        for a in (first, second, first)
    ]
    assert [d.rule for d in fields] == [1, 2, 1]


def test_cache_is_shared_between_requests_that_differ_where_the_policy_does_not_look() -> None:
    policy = load_policy(DATA / "gce.yaml")
    evaluator = policy.evaluator
    for name in ("a", "b", "c", "d"):
        policy.evaluate(request("GET", f"/api/v1/namespaces/default/pods/{name}"))
    assert evaluator.misses == 1
