"""Least-privilege RBAC (``core/answers/rbac.py``): the rules made from requests, and the result
checked by evaluating it with an RBAC authorizer written from the Kubernetes rules
(``rbac_authorizer.py``): every request of the identity allowed, other requests denied."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import orjson
import pytest
import yaml

from kaudit_tui.core.answers.rbac import (
    NEVER_NAMED,
    Request,
    default_allowed,
    identity_requests,
    label_value,
    name_problem,
    needed_verbs,
    rbac_for,
    rbac_rules,
    subject_for,
)
from kaudit_tui.core.store import EventStore
from tests.conftest import LOGS, index_files
from tests.core.rbac_authorizer import AUTHENTICATED, Attributes, allows
from tests.events import audit_event

LIGGITT = sorted(LOGS.glob("liggitt-audit2rbac-demo-*.log"))
CORE = ""


def rules(*requests: Request) -> dict[str, list[dict]]:
    return rbac_rules(requests)


# -- rules from requests ---------------------------------------------------------------------


def test_a_watch_brings_list_and_a_patch_brings_get_of_the_same_object() -> None:
    made = rules(
        Request("watch", CORE, "pods", namespace="ns1"),
        Request("patch", "apps", "deployments", namespace="ns1", name="web"),
    )
    assert made == {
        "ns1": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]},
            {
                "apiGroups": ["apps"],
                "resources": ["deployments"],
                "resourceNames": ["web"],
                "verbs": ["get", "patch"],
            },
        ]
    }


def test_resource_names_never_narrow_create_list_watch_or_deletecollection() -> None:
    for verb in ("create", "list", "watch", "deletecollection"):
        made = rules(Request(verb, CORE, "configmaps", namespace="ns1", name="named"))
        assert all("resourceNames" not in rule for rule in made["ns1"]), verb


def test_a_verb_used_with_and_without_names_gets_one_rule_without_names() -> None:
    made = rules(
        Request("delete", CORE, "secrets", namespace="ns1", name="a"),
        Request("get", CORE, "secrets", namespace="ns1", name="b"),
        Request("get", CORE, "secrets", namespace="ns1", name="a"),
        Request("get", CORE, "configmaps", namespace="ns1", name="x"),
        Request("list", CORE, "configmaps", namespace="ns1"),
        Request("update", CORE, "configmaps", namespace="ns1", name="y"),
        Request("get", CORE, "configmaps", namespace="ns1"),  # an object reference without name
    )
    assert made["ns1"] == [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["y"],
         "verbs": ["update"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a", "b"],
         "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"],
         "verbs": ["delete"]},
    ]  # fmt: skip


def test_resources_are_grouped_by_api_group_and_share_a_rule_per_set_of_verbs() -> None:
    made = rules(
        Request("list", CORE, "pods", namespace="ns1"),
        Request("list", CORE, "services", namespace="ns1"),
        Request("list", "apps", "deployments", namespace="ns1"),
        Request("list", "apps", "replicasets", namespace="ns1"),
        Request("create", "apps", "replicasets", namespace="ns1"),
        Request("create", CORE, "pods", "exec", namespace="ns1", name="p"),
    )
    assert made["ns1"] == [
        {"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["list", "create"]},
    ]


def test_cluster_scoped_and_non_resource_requests_go_to_the_cluster_role() -> None:
    made = rules(
        Request("get", CORE, "nodes", name="n1"),
        Request("list", CORE, "pods"),  # every namespace
        Request("get", path="/metrics", is_resource=False),
        Request("get", path="/logs/kube.log", is_resource=False),
        Request("post", path="/logs/kube.log", is_resource=False),
        Request("list", CORE, "pods", namespace="ns1"),  # the cluster role allows it already
    )
    assert list(made) == [""]
    assert made[""] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["nodes"], "resourceNames": ["n1"], "verbs": ["get"]},
        {"nonResourceURLs": ["/logs/kube.log"], "verbs": ["get", "post"]},
        {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
    ]


@pytest.mark.parametrize(
    "request_",
    [
        Request("get", path="/api", is_resource=False),
        Request("get", path="/apis/apps/v1", is_resource=False),
        Request("get", path="/version", is_resource=False),
        Request("get", path="/healthz", is_resource=False),
        Request("get", path="/readyz", is_resource=False),
        Request("get", path="/livez", is_resource=False),
        Request("get", path="/openapi/v3/apis/apps/v1", is_resource=False),
        Request("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
        Request("create", "authorization.k8s.io", "selfsubjectrulesreviews", namespace="ns1"),
        Request("create", "authentication.k8s.io", "selfsubjectreviews"),
    ],
)
def test_requests_everyone_may_make_are_left_out(request_: Request) -> None:
    assert default_allowed(request_)
    assert rules(request_) == {}
    assert allows([], attributes_of("alice", request_))


@pytest.mark.parametrize(
    "request_",
    [
        Request("get", path="/healthz/etcd", is_resource=False),
        Request("post", path="/api", is_resource=False),
        Request("get", path="/metrics", is_resource=False),
        Request("create", "authorization.k8s.io", "subjectaccessreviews"),
        Request("get", "authorization.k8s.io", "selfsubjectaccessreviews"),
    ],
)
def test_requests_not_allowed_by_default_need_a_rule(request_: Request) -> None:
    assert not default_allowed(request_)
    assert rules(request_)
    assert not allows([], attributes_of("alice", request_))


def test_subjects_users_and_service_accounts() -> None:
    assert subject_for("alice") == {
        "kind": "User",
        "apiGroup": "rbac.authorization.k8s.io",
        "name": "alice",
    }
    assert subject_for("system:serviceaccount:ns1:sa1") == {
        "kind": "ServiceAccount",
        "name": "sa1",
        "namespace": "ns1",
    }
    assert subject_for("system:serviceaccount:broken")["kind"] == "User"


def test_names_and_labels() -> None:
    assert name_problem("kaudit:alice") is None
    assert name_problem("a/b") and name_problem("a%b") and name_problem("..")
    assert name_problem("")
    assert label_value("kaudit:system:serviceaccount:ns1:sa1") == (
        "kaudit-system-serviceaccount-ns1-sa1"
    )
    assert len(label_value("x" * 100)) == 63


# -- from the event index --------------------------------------------------------------------


def indexed(tmp_path: Path, *events: dict) -> EventStore:
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return index_files(path)


def all_rows(store: EventStore) -> np.ndarray:
    return np.arange(store.first_id, store.next_id)


def event(n: int, **fields: object) -> dict:
    return audit_event(audit_id=f"00000000-0000-4000-8000-{n:012d}", **fields)  # type: ignore[arg-type]


def test_the_impersonated_user_is_the_identity_not_the_one_who_impersonated(
    tmp_path: Path,
) -> None:
    store = indexed(
        tmp_path,
        event(1, user="admin", impersonated="alice", verb="list", uri="/api/v1/namespaces/a/pods",
              namespace="a"),
        event(2, user="alice", verb="get", name="p", uri="/api/v1/namespaces/b/pods/p",
              namespace="b"),
        event(3, user="admin", verb="delete", name="p", uri="/api/v1/namespaces/c/pods/p",
              namespace="c"),
    )  # fmt: skip
    alice = rbac_for(store, all_rows(store), "alice")
    assert [(o["kind"], o["metadata"].get("namespace")) for o in alice.objects] == [
        ("Role", "a"), ("RoleBinding", "a"), ("Role", "b"), ("RoleBinding", "b"),
    ]  # fmt: skip
    admin = rbac_for(store, all_rows(store), "admin")
    assert admin.requests == 1
    assert [o["metadata"].get("namespace") for o in admin.objects] == ["c", "c"]


def test_a_request_is_counted_once_by_its_last_stage_and_denied_ones_are_counted(
    tmp_path: Path,
) -> None:
    store = indexed(
        tmp_path,
        event(1, stage="RequestReceived", code=None, verb="list"),
        event(1, verb="list", code=403, namespace="default"),
        event(2, verb="get", name="a", uri="/api/v1/namespaces/default/pods/a", code=404),
        event(3, verb="get", name="b", uri="/api/v1/namespaces/default/pods/b",
              annotations={"authorization.k8s.io/decision": "forbid"}),
    )  # fmt: skip
    everything = rbac_for(store, all_rows(store), "alice")
    assert (everything.requests, everything.denied) == (3, 2)
    assert everything.header()[0] == "# kaudit-tui: 3 requests by alice (2 of them denied)"
    role = everything.objects[0]
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["a", "b"], "verbs": ["get"]},
    ]
    allowed = rbac_for(store, all_rows(store), "alice", skip_denied=True, name="mine")
    assert allowed.header()[0] == "# kaudit-tui: 1 request by alice; 2 denied requests left out"
    assert allowed.objects[0]["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"], "verbs": ["get"]}
    ]
    assert allowed.objects[1]["roleRef"]["name"] == "mine"
    # a query that matched only the first stage of the denied request does not count it
    first_stage = np.array([store.first_id])
    assert rbac_for(store, first_stage, "alice").requests == 0


def test_non_resource_paths_are_cut_at_the_query_and_decoded(tmp_path: Path) -> None:
    store = indexed(
        tmp_path,
        event(1, object_ref=False, uri="/metrics?x=1", verb="get"),
        event(2, object_ref=False, uri="/logs/a%20b", verb="get"),
        event(3, object_ref=False, uri="/version?timeout=32s", verb="get"),
    )
    found = identity_requests(store, all_rows(store), "alice")
    assert {r.path for r in found.seen} == {"/metrics", "/logs/a b", "/version"}
    answer = rbac_for(store, all_rows(store), "alice")
    assert answer.default_allowed == 1
    assert answer.objects[0]["rules"] == [
        {"nonResourceURLs": ["/logs/a b", "/metrics"], "verbs": ["get"]}
    ]


def test_the_yaml_is_valid_deterministic_and_safe_on_a_terminal(tmp_path: Path) -> None:
    hostile = "eve\x1b[31m\u202e\n"
    store = indexed(tmp_path, event(1, user=hostile, verb="list", namespace="n\u200b"))
    text = rbac_for(store, all_rows(store), hostile).yaml()
    assert text == rbac_for(store, all_rows(store), hostile).yaml()
    assert text.isascii() and "\x1b" not in text
    header, *_ = text.splitlines()
    assert header == "# kaudit-tui: 1 request by eve\\x1b[31m\\u202e\\n"
    documents = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in documents] == ["Role", "RoleBinding"]
    assert documents[1]["subjects"][0]["name"] == hostile
    assert documents[0]["metadata"]["namespace"] == "n\u200b"


def test_an_identity_without_requests_gets_no_objects(tmp_path: Path) -> None:
    store = indexed(tmp_path, event(1))
    answer = rbac_for(store, all_rows(store), "nobody")
    assert answer.objects == []
    assert answer.yaml() == "# kaudit-tui: 0 requests by nobody\n# nothing to grant\n"
    assert list(yaml.safe_load_all(answer.yaml())) == []


# -- evaluating the result -------------------------------------------------------------------


def attributes_of(user: str, request: Request) -> Attributes:
    return Attributes(
        user=user,
        verb=request.verb,
        api_group=request.api_group,
        resource=request.resource,
        subresource=request.subresource,
        namespace=request.namespace,
        name=request.name,
        path=request.path,
        is_resource=request.is_resource,
    )


def logged_requests(store: EventStore) -> list[tuple[str, Attributes]]:
    """Every event of the index as (identity, what the authorizer saw), built from the row's
    fields here rather than by the code under test. A create's name is the one in the URL: none
    for a create of a new object."""
    found = []
    for row in range(store.first_id, store.next_id):
        values = store.row(row)
        identity = str(values["as"] or values["user"])
        if not identity or not values["verb"]:
            continue
        verb = str(values["verb"])
        if values["objref"]:
            if not values["resource"]:
                continue
            name = str(values["name"])
            if verb == "create" and not values["sub"]:
                name = ""
            attributes = Attributes(
                identity, verb, (AUTHENTICATED,), str(values["apigroup"]), str(values["resource"]),
                str(values["sub"]), str(values["ns"]), name,
            )  # fmt: skip
        elif values["uri"]:
            path = unquote(str(values["uri"]).partition("?")[0])
            attributes = Attributes(identity, verb, path=path, is_resource=False)
        else:
            continue  # neither a resource nor a path: nothing was authorized
        found.append((identity, attributes))
    return found


def expected_allowed(made_by: list[Attributes], other: Attributes) -> bool:
    """The oracle for requests of others: allowed only if it is one the identity made, or one
    the documented verb expansion brings, or one every authenticated user may make."""
    if allows([], other):
        return True
    for mine in made_by:
        if other.verb not in needed_verbs(mine.verb) or mine.is_resource != other.is_resource:
            continue
        if not mine.is_resource:
            if mine.path == other.path:
                return True
            continue
        same = (mine.api_group, mine.resource, mine.subresource) == (
            other.api_group, other.resource, other.subresource,
        )  # fmt: skip
        if not same or mine.namespace not in ("", other.namespace):
            continue
        if other.verb in NEVER_NAMED or not mine.name or mine.name == other.name:
            return True
    return False


def check_identity(store: EventStore, identity: str, seen: list[tuple[str, Attributes]]) -> int:
    """Evaluates the YAML made for ``identity``; returns how many others' requests it denied."""
    text = rbac_for(store, all_rows(store), identity).yaml()
    objects = list(yaml.safe_load_all(text))
    mine = [a for who, a in seen if who == identity]
    for attributes in mine:
        assert allows(objects, attributes), attributes
    denied = 0
    for who, attributes in seen:
        if who == identity:
            continue
        as_identity = Attributes(**{**attributes.__dict__, "user": identity})
        expected = expected_allowed(mine, as_identity)
        assert allows(objects, as_identity) == expected, as_identity
        denied += not expected
    return denied


@pytest.mark.parametrize("log", LIGGITT, ids=lambda p: p.name)
def test_audit2rbac_demo_every_request_allowed_and_others_denied(log: Path) -> None:
    store = index_files(log)
    seen = logged_requests(store)
    identities = Counter(who for who, _ in seen)
    assert {"alice", "bob", "system:serviceaccount:ns1:sa1"} <= set(identities)
    for identity in identities:
        denied = check_identity(store, identity, seen)
        if identity != "system:admin":  # the admin did everything the others did, and more
            assert denied > 0, identity


def test_audit2rbac_demo_samples_of_others_requests_are_denied() -> None:
    store = index_files(LOGS / "liggitt-audit2rbac-demo-v1-cleaned.log")
    alice = list(yaml.safe_load_all(rbac_for(store, all_rows(store), "alice").yaml()))
    bob = list(yaml.safe_load_all(rbac_for(store, all_rows(store), "bob").yaml()))
    # alice listed pods, configmaps and secrets in ns1 only
    assert allows(alice, Attributes("alice", "list", resource="secrets", namespace="ns1"))
    assert not allows(alice, Attributes("alice", "list", resource="secrets", namespace="default"))
    assert not allows(alice, Attributes("alice", "get", resource="secrets", namespace="ns1",
                                        name="s"))  # fmt: skip
    assert not allows(alice, Attributes("alice", "list", resource="nodes"))
    assert not allows(alice, Attributes("bob", "list", resource="pods", namespace="ns1"))
    # bob listed nodes (cluster-wide) and pods in default and ns1, never elsewhere
    assert allows(bob, Attributes("bob", "list", resource="nodes"))
    assert not allows(bob, Attributes("bob", "delete", resource="nodes", name="n"))
    assert not allows(bob, Attributes("bob", "list", resource="pods", namespace="kube-system"))
    assert not allows(bob, Attributes("bob", "list", resource="pods"))


SAMPLES = sorted(
    p for p in LOGS.iterdir() if p.suffix in (".log", ".json", ".jsonl") and "liggitt" not in p.name
)


@pytest.mark.parametrize("log", SAMPLES, ids=lambda p: p.name)
def test_sample_logs_every_request_of_the_busiest_identities_is_allowed(log: Path) -> None:
    store = index_files(log)
    seen = logged_requests(store)
    for identity, _ in Counter(who for who, _ in seen).most_common(4):
        check_identity(store, identity, seen)
