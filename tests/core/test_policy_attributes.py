"""Rebuilding the policy's view of a request from logged events (policy-semantics §3, §7.2)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from kaudit_tui.core.policy import (
    RequestAttributes,
    RequestFields,
    attributes_from_event,
    attributes_from_fields,
    load_policy,
    logged_level_mismatch,
)
from tests.core.policy_builders import DATA, make_policy
from tests.events import audit_event

EVENTS = DATA / "events"


def read_events(name: str) -> list[dict[str, Any]]:
    with open(EVENTS / name, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def v1_event(**fields: Any) -> dict[str, Any]:
    """A v1 event for a get of pod web-0 by alice (no user agent, no times)."""
    defaults: dict[str, Any] = dict(
        audit_id="5d1e3f5e-0c36-4d52-9f43-1b0f7c1d2a10",
        uri="/api/v1/namespaces/default/pods/web-0",
        groups=("dev", "system:authenticated"),
        ips=("10.0.0.7",),
        agent=None,
        name="web-0",
        received=None,
        stage_time=None,
    )
    return audit_event(**(defaults | fields))


def test_v1_resource_event() -> None:
    attrs = attributes_from_event(v1_event())
    assert attrs == RequestAttributes(
        user="alice",
        groups=("dev", "system:authenticated"),
        verb="get",
        is_resource=True,
        path="/api/v1/namespaces/default/pods/web-0",
        namespace="default",
        api_group="",
        resource="pods",
        subresource="",
        name="web-0",
    )


def test_named_group_and_subresource() -> None:
    event = v1_event(
        requestURI="/apis/apps/v1/namespaces/prod/deployments/web/scale",
        verb="patch",
        objectRef={
            "resource": "deployments",
            "namespace": "prod",
            "name": "web",
            "apiGroup": "apps",
            "apiVersion": "v1",
            "subresource": "scale",
        },
    )
    attrs = attributes_from_event(event)
    assert (attrs.api_group, attrs.resource, attrs.subresource, attrs.name) == (
        "apps",
        "deployments",
        "scale",
        "web",
    )


def test_pitfall_1_impersonated_user_is_ignored() -> None:
    event = v1_event(
        user={"username": "system:admin", "groups": ["system:masters"]},
        impersonatedUser={"username": "bob", "groups": ["system:authenticated"]},
    )
    attrs = attributes_from_event(event)
    assert (attrs.user, attrs.groups) == ("system:admin", ("system:masters",))
    policy = make_policy([{"level": "None", "users": ["bob"]}, {"level": "Metadata"}])
    assert policy.evaluate(attrs).rule == 2


def test_pitfall_2_empty_user_object_is_no_user() -> None:
    event = v1_event(
        stage="ResponseStarted",
        requestURI="/api/v1/namespaces/default/pods",
        verb="list",
        user={},
        objectRef={"resource": "pods", "namespace": "default", "apiVersion": "v1"},
        responseStatus={"message": "Unauthorized", "code": 401},
    )
    attrs = attributes_from_event(event)
    assert attrs.user is None
    assert attrs.groups == ()
    policy = make_policy(
        [{"level": "None", "userGroups": ["system:unauthenticated"]}, {"level": "Request"}]
    )
    assert policy.evaluate(attrs).rule == 2


def test_missing_user_is_no_user() -> None:
    event = v1_event()
    del event["user"]
    assert attributes_from_event(event).user is None


def test_pitfall_3_create_name_comes_from_the_url_not_the_body() -> None:
    event = v1_event(
        requestURI="/api/v1/namespaces/default/configmaps",
        verb="create",
        objectRef={
            "resource": "configmaps",
            "namespace": "default",
            "name": "controller-leader",
            "uid": "1f0c",
            "apiVersion": "v1",
            "resourceVersion": "42",
        },
    )
    assert attributes_from_event(event).name == ""


def test_create_on_a_subresource_keeps_the_url_name() -> None:
    event = v1_event(
        requestURI="/api/v1/namespaces/default/pods/web-0/eviction",
        verb="create",
        objectRef={
            "resource": "pods",
            "namespace": "default",
            "name": "web-0",
            "apiVersion": "v1",
            "subresource": "eviction",
        },
    )
    assert attributes_from_event(event).name == "web-0"


def test_list_name_from_field_selector_is_kept() -> None:
    event = v1_event(
        requestURI="/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dleader",
        verb="list",
        objectRef={
            "resource": "configmaps",
            "namespace": "ns",
            "name": "leader",
            "apiVersion": "v1",
        },
    )
    assert attributes_from_event(event).name == "leader"


def test_pitfall_4_non_resource_path_without_query_and_decoded() -> None:
    event = v1_event(requestURI="/logs/kube%2Dapiserver.log?tail=10", verb="get")
    del event["objectRef"]
    attrs = attributes_from_event(event)
    assert not attrs.is_resource
    assert attrs.path == "/logs/kube-apiserver.log"
    assert (attrs.namespace, attrs.resource, attrs.name) == ("", "", "")


@pytest.mark.parametrize(
    ("object_api_version", "group"),
    [("rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io"), ("/v1", ""), ("v1", "")],
)
def test_v1alpha1_group_is_split_off_the_object_api_version(
    object_api_version: str, group: str
) -> None:
    event = v1_event(
        apiVersion="audit.k8s.io/v1alpha1",
        objectRef={"resource": "roles", "namespace": "ns", "apiVersion": object_api_version},
    )
    assert attributes_from_event(event).api_group == group


def test_v1beta1_uses_api_group() -> None:
    event = v1_event(
        apiVersion="audit.k8s.io/v1beta1",
        objectRef={
            "resource": "roles",
            "apiGroup": "rbac.authorization.k8s.io",
            "apiVersion": "v1",
        },
    )
    assert attributes_from_event(event).api_group == "rbac.authorization.k8s.io"


def test_documentation_events_v1alpha1_and_v1beta1() -> None:
    events = read_events("k8s-website-docs-2017-v1alpha1-v1beta1.jsonl")
    shapes = {
        (a.user, a.verb, a.is_resource, a.namespace, a.api_group, a.resource)
        for a in map(attributes_from_event, events)
    }
    assert shapes == {
        ("kubecfg", "list", True, "default", "", "pods"),
        ("kubecfg", "list", True, "default", "rbac.authorization.k8s.io", "roles"),
    }


def test_impersonated_demo_log_is_evaluated_as_the_admin() -> None:
    events = read_events("liggitt-audit2rbac-demo-v1-cleaned.log")
    assert events and all("impersonatedUser" in e for e in events)
    users = {attributes_from_event(e).user for e in events}
    assert users == {"system:admin"}
    # a policy dropping the impersonated users' requests drops none of them
    policy = make_policy(
        [
            {"level": "None", "users": ["bob", "alice", "system:serviceaccount:ns1:sa1"]},
            {"level": "Metadata"},
        ]
    )
    for event in events:
        decision = policy.evaluate(attributes_from_event(event))
        assert decision.rule == 2
        assert logged_level_mismatch(decision, event["level"], event["stage"]) is None


def test_falco_captures_agree_with_falco_example_policy_except_secrets() -> None:
    """Falco's captures follow its example policy, except secrets logged at Metadata.

    That example logs secrets at RequestResponse (rule 8); the captured secret events are at
    Metadata, so for exactly those the log was written under another policy.
    """
    policy = load_policy(DATA / "falco-example-v1beta1.yaml")
    outcomes: Counter[tuple[str, bool]] = Counter()
    for event in read_events("falco-k8s-audit-trace-files.jsonl"):
        attrs = attributes_from_event(event)
        decision = policy.evaluate(attrs)
        mismatch = logged_level_mismatch(decision, event["level"], event["stage"])
        outcomes[(attrs.resource, mismatch is None)] += 1
    disagreeing = {resource for (resource, agrees) in outcomes if not agrees}
    assert disagreeing == {"secrets"}
    assert sum(n for (_, agrees), n in outcomes.items() if agrees) == 47


def test_fields_empty_user_without_groups_is_no_user() -> None:
    attrs = attributes_from_fields(RequestFields("", (), "get", False, "/healthz"))
    assert attrs.user is None
    named = attributes_from_fields(RequestFields("", ("g",), "get", False, "/healthz"))
    assert (named.user, named.groups) == ("", ("g",))


def test_fields_create_name_and_path_rules() -> None:
    attrs = attributes_from_fields(
        RequestFields(
            user="alice",
            groups=("system:authenticated",),
            verb="create",
            is_resource=True,
            request_uri="/api/v1/namespaces/ns/pods?dryRun=All",
            namespace="ns",
            resource="pods",
            name="name-from-body",
        )
    )
    assert attrs.name == ""
    assert attrs.path == "/api/v1/namespaces/ns/pods"
