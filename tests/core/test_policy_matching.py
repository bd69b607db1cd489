"""Rule matching, dimension by dimension, from policy-semantics §2–4 and the §12 pitfalls.

Each case is one rule and one realistic request; the expectation is whether that rule
catches the request. Every case is checked three ways: the cached evaluator, the
uncached one, and the explanation (which must name the same outcome).
"""

from __future__ import annotations

from typing import Any

import pytest

from kaudit_tui.core.policy import RequestAttributes
from tests.core.policy_builders import make_policy, no_user, request

ANON = ("system:anonymous", ("system:unauthenticated",))
NODE = ("system:node:n1", ("system:nodes", "system:authenticated"))

CASES: list[tuple[str, dict[str, Any], RequestAttributes, bool]] = [
    # -- users: exact, case-sensitive, the authenticated user, never "no user" --------------------
    ("users: exact name", {"users": ["alice"]}, request("GET", "/api/v1/pods"), True),
    ("users: other name", {"users": ["bob"]}, request("GET", "/api/v1/pods"), False),
    ("users: case-sensitive", {"users": ["Alice"]}, request("GET", "/api/v1/pods"), False),
    ("users: any of the list", {"users": ["bob", "alice"]}, request("GET", "/healthz"), True),
    ("users: no user never matches", {"users": ["alice"]}, no_user("GET", "/healthz"), False),
    (
        'pitfall: users [""] does not match a request with no user',
        {"users": [""]},
        no_user("GET", "/api/v1/pods"),
        False,
    ),
    ("users: empty list restricts nothing", {"users": []}, no_user("GET", "/healthz"), True),
    # -- userGroups -------------------------------------------------------------------------------
    (
        "userGroups: one of the user's groups",
        {"userGroups": ["system:nodes"]},
        request("GET", "/api/v1/nodes/n1", *NODE),
        True,
    ),
    (
        "userGroups: none of the user's groups",
        {"userGroups": ["system:nodes"]},
        request("GET", "/api/v1/nodes/n1"),
        False,
    ),
    (
        "userGroups: anonymous is in system:unauthenticated",
        {"userGroups": ["system:unauthenticated"]},
        request("GET", "/version", *ANON),
        True,
    ),
    (
        "pitfall 2: failed authentication is not system:unauthenticated",
        {"userGroups": ["system:unauthenticated"]},
        no_user("GET", "/version"),
        False,
    ),
    # -- verbs: the k8s verb for resources, the lower-case HTTP method otherwise ------------------
    ("verbs: list of pods", {"verbs": ["list"]}, request("GET", "/api/v1/pods"), True),
    ("verbs: get of a pod", {"verbs": ["list"]}, request("GET", "/api/v1/pods/x"), False),
    (
        "verbs: watch via query",
        {"verbs": ["watch"]},
        request("GET", "/api/v1/pods?watch=1"),
        True,
    ),
    (
        "pitfall 11: non-resource POST is post, not create",
        {"verbs": ["create"]},
        request("POST", "/apis/authentication.k8s.io"),
        False,
    ),
    (
        "verbs: non-resource post",
        {"verbs": ["post"]},
        request("POST", "/apis/authentication.k8s.io"),
        True,
    ),
    (
        "verbs: resource POST is create, not post",
        {"verbs": ["post"]},
        request("POST", "/api/v1/namespaces/ns/pods"),
        False,
    ),
    (
        "pitfall 11: non-resource GET is get, never list",
        {"verbs": ["list"]},
        request("GET", "/healthz"),
        False,
    ),
    (
        "pitfall 11: non-resource PUT is put, not update",
        {"verbs": ["update"]},
        request("PUT", "/foo"),
        False,
    ),
    ("verbs: get matches non-resource", {"verbs": ["get"]}, request("GET", "/healthz"), True),
    (
        "verbs: deletecollection",
        {"verbs": ["deletecollection"]},
        request("DELETE", "/api/v1/namespaces/ns/pods"),
        True,
    ),
    # -- rule shape: no resource or URL fields matches both kinds (pitfall 9) ---------------------
    ("empty rule matches resource requests", {}, request("GET", "/api/v1/pods"), True),
    ("empty rule matches non-resource requests", {}, request("GET", "/metrics"), True),
    ("empty rule matches no user", {}, no_user("GET", "/api/v1/pods"), True),
    ("verbs-only rule matches non-resource", {"verbs": ["get"]}, request("GET", "/"), True),
    (
        "pitfall 9: namespaces-only rule never matches a non-resource URL",
        {"namespaces": [""]},
        request("GET", "/healthz"),
        False,
    ),
    (
        "pitfall 9: resources rule never matches a non-resource URL",
        {"resources": [{"group": ""}]},
        request("GET", "/api"),
        False,
    ),
    # -- namespaces -------------------------------------------------------------------------------
    (
        "namespaces: in the list",
        {"namespaces": ["kube-system"]},
        request("GET", "/api/v1/namespaces/kube-system/configmaps/x"),
        True,
    ),
    (
        "namespaces: not in the list",
        {"namespaces": ["kube-system"]},
        request("GET", "/api/v1/namespaces/default/configmaps/x"),
        False,
    ),
    (
        'namespaces [""]: cluster-scoped resource',
        {"namespaces": [""]},
        request("GET", "/api/v1/nodes/n1"),
        True,
    ),
    (
        'namespaces [""]: cluster-wide list of a namespaced resource',
        {"namespaces": [""]},
        request("GET", "/api/v1/pods"),
        True,
    ),
    (
        'namespaces [""]: list of namespaces',
        {"namespaces": [""]},
        request("GET", "/api/v1/namespaces"),
        True,
    ),
    (
        'pitfall 8: namespaces [""] does not match the Namespace object',
        {"namespaces": [""]},
        request("GET", "/api/v1/namespaces/kube-system"),
        False,
    ),
    (
        "the Namespace object is in its own namespace",
        {"namespaces": ["kube-system"]},
        request("GET", "/api/v1/namespaces/kube-system"),
        True,
    ),
    # -- resources: groups ------------------------------------------------------------------------
    (
        "group: core",
        {"resources": [{"group": ""}]},
        request("GET", "/api/v1/namespaces/ns/pods/p/log"),
        True,
    ),
    (
        "group: other group",
        {"resources": [{"group": ""}]},
        request("GET", "/apis/apps/v1/deployments"),
        False,
    ),
    (
        "pitfall 7: an absent group means the core group only",
        {"resources": [{"resources": ["deployments"]}]},
        request("GET", "/apis/apps/v1/namespaces/ns/deployments"),
        False,
    ),
    (
        "group: named group, every resource and subresource",
        {"resources": [{"group": "apps"}]},
        request("PUT", "/apis/apps/v1/namespaces/ns/deployments/d/scale"),
        True,
    ),
    (
        'group "*": any group (1.36+)',
        {"resources": [{"group": "*", "resources": ["deployments"]}]},
        request("GET", "/apis/apps/v1/namespaces/ns/deployments/d"),
        True,
    ),
    (
        "group: any entry of the list",
        {"resources": [{"group": "batch"}, {"group": "apps"}]},
        request("GET", "/apis/apps/v1/deployments"),
        True,
    ),
    # -- resources: names and wildcards -----------------------------------------------------------
    (
        "resources: exact resource",
        {"resources": [{"group": "", "resources": ["pods"]}]},
        request("GET", "/api/v1/namespaces/ns/pods/p"),
        True,
    ),
    (
        "pitfall 6: pods does not match pods/status",
        {"resources": [{"group": "", "resources": ["pods"]}]},
        request("PUT", "/api/v1/namespaces/ns/pods/p/status"),
        False,
    ),
    (
        "resources: exact subresource",
        {"resources": [{"group": "", "resources": ["pods/log"]}]},
        request("GET", "/api/v1/namespaces/ns/pods/p/log"),
        True,
    ),
    (
        "resources: a subresource entry does not match the resource",
        {"resources": [{"group": "", "resources": ["pods/log"]}]},
        request("GET", "/api/v1/namespaces/ns/pods/p"),
        False,
    ),
    (
        "resources: * matches subresources",
        {"resources": [{"group": "", "resources": ["*"]}]},
        request("POST", "/api/v1/namespaces/ns/pods/p/exec"),
        True,
    ),
    (
        "resources: */scale matches any scale subresource",
        {"resources": [{"group": "apps", "resources": ["*/scale"]}]},
        request("PATCH", "/apis/apps/v1/namespaces/ns/statefulsets/s/scale"),
        True,
    ),
    (
        "pitfall 6: */scale does not match the parent resource",
        {"resources": [{"group": "apps", "resources": ["*/scale"]}]},
        request("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d"),
        False,
    ),
    (
        "resources: pods/* matches a subresource",
        {"resources": [{"group": "", "resources": ["pods/*"]}]},
        request("GET", "/api/v1/namespaces/ns/pods/p/log"),
        True,
    ),
    (
        "pitfall 5: pods/* also matches pods itself",
        {"resources": [{"group": "", "resources": ["pods/*"]}]},
        request("POST", "/api/v1/namespaces/ns/pods"),
        True,
    ),
    (
        "resources: pods/* does not match services",
        {"resources": [{"group": "", "resources": ["pods/*"]}]},
        request("GET", "/api/v1/namespaces/ns/services/s"),
        False,
    ),
    (
        "resources: */* matches nothing",
        {"resources": [{"group": "", "resources": ["*/*"]}]},
        request("GET", "/api/v1/namespaces/ns/pods/p/log"),
        False,
    ),
    (
        "resources: pod* is a literal string",
        {"resources": [{"group": "", "resources": ["pod*"]}]},
        request("GET", "/api/v1/namespaces/ns/pods"),
        False,
    ),
    # -- resourceNames: the name from the URL -----------------------------------------------------
    (
        "resourceNames: the named object",
        {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": ["leader"]}]},
        request("PUT", "/api/v1/namespaces/ns/configmaps/leader"),
        True,
    ),
    (
        "resourceNames: another object",
        {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": ["leader"]}]},
        request("PUT", "/api/v1/namespaces/ns/configmaps/other"),
        False,
    ),
    (
        "resourceNames: a list has no name",
        {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": ["leader"]}]},
        request("GET", "/api/v1/namespaces/ns/configmaps"),
        False,
    ),
    (
        "resourceNames: a list by exact metadata.name selector has that name",
        {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": ["leader"]}]},
        request("GET", "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dleader"),
        True,
    ),
    (
        "pitfall 3: a plain create has no name when the policy runs",
        {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": ["leader"]}]},
        request("POST", "/api/v1/namespaces/ns/configmaps"),
        False,
    ),
    (
        'resourceNames [""]: matches nameless requests',
        {"resources": [{"group": "", "resources": ["configmaps"], "resourceNames": [""]}]},
        request("POST", "/api/v1/namespaces/ns/configmaps"),
        True,
    ),
    (
        "resourceNames: a create on a subresource carries the URL name",
        {"resources": [{"group": "", "resources": ["pods/eviction"], "resourceNames": ["p"]}]},
        request("POST", "/api/v1/namespaces/ns/pods/p/eviction"),
        True,
    ),
    # -- nonResourceURLs --------------------------------------------------------------------------
    ("urls: exact", {"nonResourceURLs": ["/healthz"]}, request("GET", "/healthz"), True),
    (
        "urls: exact is not a prefix",
        {"nonResourceURLs": ["/healthz"]},
        request("GET", "/healthz/etcd"),
        False,
    ),
    (
        "pitfall 4: the query string is not part of the path",
        {"nonResourceURLs": ["/healthz"]},
        request("GET", "/healthz?verbose=1"),
        True,
    ),
    (
        "pitfall 4: the path is percent-decoded",
        {"nonResourceURLs": ["/logs/kube-apiserver.log"]},
        request("GET", "/logs/kube%2Dapiserver.log"),
        True,
    ),
    ("urls: * matches any path", {"nonResourceURLs": ["*"]}, request("GET", "/metrics"), True),
    (
        "urls: * never matches a resource request",
        {"nonResourceURLs": ["*"]},
        request("GET", "/api/v1/pods"),
        False,
    ),
    (
        "urls: prefix matches itself",
        {"nonResourceURLs": ["/healthz*"]},
        request("GET", "/healthz"),
        True,
    ),
    (
        "urls: prefix is a string prefix",
        {"nonResourceURLs": ["/healthz*"]},
        request("GET", "/healthzfoo"),
        True,
    ),
    (
        "urls: /healthz/* does not match /healthz",
        {"nonResourceURLs": ["/healthz/*"]},
        request("GET", "/healthz"),
        False,
    ),
    (
        "pitfall 10: /api* covers /apis discovery",
        {"nonResourceURLs": ["/api*"]},
        request("GET", "/apis/apps/v1"),
        True,
    ),
    (
        "pitfall 10: /api* covers /apifoo",
        {"nonResourceURLs": ["/api*"]},
        request("GET", "/apifoo"),
        True,
    ),
    (
        "urls: /api* never matches a resource request under /api",
        {"nonResourceURLs": ["/api*"]},
        request("GET", "/api/v1/pods"),
        False,
    ),
    # -- fields are ANDed -------------------------------------------------------------------------
    (
        "AND: every field matches",
        {
            "users": ["system:kube-proxy"],
            "verbs": ["watch"],
            "resources": [{"group": "", "resources": ["endpoints"]}],
        },
        request("GET", "/api/v1/endpoints?watch=true", "system:kube-proxy"),
        True,
    ),
    (
        "AND: one field fails",
        {
            "users": ["system:kube-proxy"],
            "verbs": ["watch"],
            "resources": [{"group": "", "resources": ["endpoints"]}],
        },
        request("GET", "/api/v1/endpoints", "system:kube-proxy"),
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "attrs", "matches"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_single_rule(rule: dict[str, Any], attrs: RequestAttributes, matches: bool) -> None:
    policy = make_policy([{"level": "Metadata", **rule}])
    decision = policy.evaluate(attrs)
    assert (decision.rule == 1) is matches
    assert policy.evaluator.evaluate_uncached(attrs) == decision
    explanation = policy.explain(attrs)
    assert explanation[-1].matched is matches


def test_first_match_wins_even_if_a_later_rule_is_more_specific() -> None:
    policy = make_policy(
        [
            {"level": "Metadata", "resources": [{"group": ""}]},
            {"level": "RequestResponse", "resources": [{"group": "", "resources": ["pods"]}]},
        ]
    )
    decision = policy.evaluate(request("GET", "/api/v1/namespaces/ns/pods/p"))
    assert (decision.rule, decision.level) == (1, "Metadata")


def test_a_rule_at_none_stops_the_walk() -> None:
    policy = make_policy([{"level": "None", "users": ["alice"]}, {"level": "Metadata"}])
    decision = policy.evaluate(request("GET", "/api/v1/pods"))
    assert (decision.rule, decision.level) == (1, "None")
    assert not decision.logged("ResponseComplete")
    assert policy.evaluate(request("GET", "/api/v1/pods", "bob")).rule == 2


def test_no_match_is_level_none_with_the_policy_stages() -> None:
    policy = make_policy(
        [{"level": "Metadata", "users": ["bob"]}],
        omitStages=["RequestReceived", "RequestReceived"],
        omitManagedFields=True,
    )
    decision = policy.evaluate(request("GET", "/api/v1/pods"))
    assert decision.rule is None
    assert decision.level == "None"
    assert decision.omit_stages == {"RequestReceived"}
    assert decision.omit_managed_fields is True
    assert not decision.logged("ResponseComplete")


def test_omit_stages_are_the_union_of_policy_and_rule() -> None:
    policy = make_policy(
        [{"level": "Request", "omitStages": ["ResponseStarted", "RequestReceived"]}],
        omitStages=["RequestReceived"],
    )
    decision = policy.evaluate(request("GET", "/api/v1/pods"))
    assert decision.omit_stages == {"RequestReceived", "ResponseStarted"}
    assert not decision.logged("RequestReceived")
    assert not decision.logged("ResponseStarted")
    assert decision.logged("ResponseComplete")
    assert decision.logged("Panic")


@pytest.mark.parametrize(
    ("policy_value", "rule_value", "expected"),
    [
        (None, None, False),
        (True, None, True),
        (True, False, False),
        (False, True, True),
    ],
)
def test_omit_managed_fields_rule_overrides_policy(
    policy_value: bool | None, rule_value: bool | None, expected: bool
) -> None:
    rule: dict[str, Any] = {"level": "RequestResponse"}
    if rule_value is not None:
        rule["omitManagedFields"] = rule_value
    top = {} if policy_value is None else {"omitManagedFields": policy_value}
    policy = make_policy([rule], **top)
    assert policy.evaluate(request("GET", "/api/v1/pods")).omit_managed_fields is expected
