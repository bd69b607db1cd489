"""A realistic object lifecycle as audit events: the Deployment ``shop/frontend`` from its create
to its delete, the way kube-apiserver logs kubectl, controllers and a stranger acting on it.

Every step says what the request sent and what the object became. The object's versions are
written out here by hand (``Step.after``), not computed by the code under test, so a test can
check the history's versions and patches against them: read from ``responseObject`` at level
``RequestResponse``, rebuilt from the request bodies alone at level ``Request``.

Steps, in order (:func:`lifecycle`):

1. ``create`` by alice (kubectl create)
2. ``update deployments/status`` by the deployment controller
3. ``get`` by bob (a read: no change)
4. ``patch``, JSON merge patch: a label (kubectl patch --type merge)
5. ``patch``, JSON Patch: the image (kubectl patch --type json)
6. ``patch``, strategic merge patch: an env var in a container, with ``$setElementOrder``
7. ``patch``, server-side apply (fieldManager=kubectl): an annotation and a CPU limit
8. ``update deployments/scale`` by alice (kubectl scale --replicas=3)
9. ``update`` denied (403) to mallory
10. ``patch`` with ``dryRun=All`` by alice as ci-bot (the replicas: never applied)
11. ``patch deployments/status``, merge patch, by the controller
12. ``patch``, strategic merge patch deleting the env var (``$patch: delete``)
13. ``delete`` by alice, ``propagationPolicy: Foreground`` in the DeleteOptions body

Around them: a ReplicaSet created with ``generateName`` (its objectRef has no name; the
response has) and requests on look-alike objects (``shop/backend``, ``staging/frontend``)
that belong to no history of the Deployment.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from tests.events import audit_event

NAMESPACE, NAME = "shop", "frontend"
SPEC = f"deployments/{NAMESPACE}/{NAME}"
UID = "5b7f3f1e-4c55-4a0e-9d6b-1f2e3d4c5b6a"
BASE = "/apis/apps/v1/namespaces/shop/deployments"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CONTROLLER = "system:serviceaccount:kube-system:deployment-controller"
REPLICASET = "frontend-7d9c5b8f4"


@dataclass
class Step:
    """One request on the Deployment: what the log says, and the object after it (None: no
    change, or gone)."""

    verb: str
    user: str
    uri: str
    request: Any
    response: Any
    after: dict | None
    code: int = 200
    subresource: str | None = None
    dry_run: bool = False
    changes: bool = True
    impersonated: str | None = None
    """The user the request acted as (``impersonatedUser``)."""
    """Whether the request changed the object (False for reads, denied and dry runs)."""


def _time(second: int, millis: int = 0) -> str:
    moment = START + timedelta(seconds=second, milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _served(obj: dict, version: int, generation: int, manager: str) -> dict:
    """``obj`` as the apiserver returns it: with uid, resourceVersion, generation, creation
    time and managed fields (the noise fields)."""
    served = copy.deepcopy(obj)
    meta = served["metadata"]
    meta.update(
        uid=UID,
        resourceVersion=str(1000 + version),
        generation=generation,
        creationTimestamp=_time(0).replace(".000000", ""),
        managedFields=[{"manager": manager, "operation": "Update", "apiVersion": "apps/v1"}],
    )
    return served


def _container(**extra: Any) -> dict:
    return {"name": "web", "image": "shop/frontend:1.0", "ports": [{"containerPort": 8080}]} | extra


def _base() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {"app": "frontend"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "frontend"}},
            "template": {
                "metadata": {"labels": {"app": "frontend"}},
                "spec": {"containers": [_container(), {"name": "proxy", "image": "envoy:1.30"}]},
            },
        },
        "status": {},
    }


def _change(obj: dict, edit: Callable[[dict], None]) -> dict:
    changed = copy.deepcopy(obj)
    edit(changed)
    return changed


def _web(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]["containers"][0]


def lifecycle() -> list[Step]:
    """The thirteen steps of the module docstring, with the object after each."""
    steps: list[Step] = []
    v0 = _base()
    created = _served(v0, 1, 1, "kubectl-create")
    steps.append(Step("create", "alice", BASE, v0, created, created, code=201))

    v1 = _change(created, lambda o: o.update(status={"replicas": 1, "readyReplicas": 1,
                                                      "observedGeneration": 1}))  # fmt: skip
    v1 = _served(v1, 2, 1, "kube-controller-manager")
    steps.append(Step("update", CONTROLLER, f"{BASE}/{NAME}/status", v1, v1, v1,
                      subresource="status"))  # fmt: skip

    steps.append(Step("get", "bob", f"{BASE}/{NAME}", None, v1, None, changes=False))

    merge = {"metadata": {"labels": {"tier": "web"}}}
    v2 = _served(_change(v1, lambda o: o["metadata"]["labels"].update(tier="web")), 3, 1, "kubectl")
    steps.append(Step("patch", "alice", f"{BASE}/{NAME}?fieldManager=kubectl-patch", merge, v2, v2))

    json_patch = [
        {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "web"},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image",
         "value": "shop/frontend:1.1"},
    ]  # fmt: skip
    v3 = _served(_change(v2, lambda o: _web(o).update(image="shop/frontend:1.1")), 4, 2, "kubectl")
    steps.append(Step("patch", "carol", f"{BASE}/{NAME}", json_patch, v3, v3))

    strategic = {
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "proxy"}],
            "containers": [{"name": "web", "env": [{"name": "MODE", "value": "fast"}]}],
        }}}
    }  # fmt: skip
    v4 = _change(v3, lambda o: _web(o).update(env=[{"name": "MODE", "value": "fast"}]))
    v4 = _served(v4, 5, 3, "kubectl-patch")
    steps.append(Step("patch", "alice", f"{BASE}/{NAME}", strategic, v4, v4))

    limits = {"limits": {"cpu": "500m"}}
    apply = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE,
                     "annotations": {"owner": "team-shop"}},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "resources": limits}]}}},
    }  # fmt: skip

    def applied(o: dict) -> None:
        o["metadata"]["annotations"] = {"owner": "team-shop"}
        _web(o)["resources"] = copy.deepcopy(limits)

    v5 = _served(_change(v4, applied), 6, 4, "kubectl")
    steps.append(Step("patch", "dave", f"{BASE}/{NAME}?fieldManager=kubectl&force=true",
                      apply, v5, v5))  # fmt: skip

    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
             "metadata": {"name": NAME, "namespace": NAMESPACE},
             "spec": {"replicas": 3}}  # fmt: skip
    scaled = copy.deepcopy(scale) | {"status": {"replicas": 1}}
    v6 = _served(_change(v5, lambda o: o["spec"].update(replicas=3)), 7, 5, "kubectl")
    steps.append(Step("update", "alice", f"{BASE}/{NAME}/scale", scale, scaled, v6,
                      subresource="scale"))  # fmt: skip

    forbidden = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
                 "message": 'deployments.apps "frontend" is forbidden', "code": 403}  # fmt: skip
    hostile = _change(v6, lambda o: _web(o).update(image="evil/miner:latest"))
    steps.append(Step("update", "mallory", f"{BASE}/{NAME}", hostile, forbidden, None, code=403,
                      changes=False))  # fmt: skip

    dry = {"spec": {"replicas": 10}}
    would = _served(_change(v6, lambda o: o["spec"].update(replicas=10)), 7, 6, "kubectl")
    steps.append(Step("patch", "alice", f"{BASE}/{NAME}?dryRun=All", dry, would, None,
                      dry_run=True, changes=False, impersonated="ci-bot"))  # fmt: skip

    status = {"status": {"replicas": 3, "readyReplicas": 3, "observedGeneration": 5}}
    v7 = _served(_change(v6, lambda o: o["status"].update(status["status"])), 8, 5,
                 "kube-controller-manager")  # fmt: skip
    steps.append(Step("patch", CONTROLLER, f"{BASE}/{NAME}/status", status, v7, v7,
                      subresource="status"))  # fmt: skip

    unset = {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "MODE", "$patch": "delete"}]}]}}}}  # fmt: skip
    v8 = _served(_change(v7, lambda o: _web(o).pop("env")), 9, 6, "kubectl-patch")
    steps.append(Step("patch", "alice", f"{BASE}/{NAME}", unset, v8, v8))

    options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground",
               "preconditions": {"uid": UID}}  # fmt: skip
    done = {"kind": "Status", "apiVersion": "v1", "status": "Success",
            "details": {"name": NAME, "group": "apps", "kind": "deployments",
                        "uid": UID}}  # fmt: skip
    steps.append(Step("delete", "alice", f"{BASE}/{NAME}", options, done, None))
    return steps


def _bodies(level: str, request: Any, response: Any) -> dict[str, Any]:
    if level == "Metadata":
        return {}
    if level == "Request":
        return {"request_object": request}
    return {"request_object": request, "response_object": response}


def lifecycle_events(level: str = "RequestResponse") -> list[dict]:
    """The steps as ResponseComplete events (with a RequestReceived stage before each write),
    logged at ``level``, in time order, with the look-alike and ReplicaSet events among them."""
    events: list[dict] = []
    for number, step in enumerate(lifecycle()):
        second = 60 * (number + 1)
        audit_id = f"00000000-0000-4000-8000-{number + 1:012d}"
        fields = dict(
            verb=step.verb,
            user=step.user,
            uri=step.uri,
            resource="deployments",
            namespace=NAMESPACE,
            name=NAME,
            api_group="apps",
            subresource=step.subresource,
            audit_id=audit_id,
            level=level,
            agent="kubectl/v1.31.0",
            impersonated=step.impersonated,
        )
        if step.verb != "get":
            received = {k: v for k, v in fields.items() if k != "level"}
            events.append(audit_event(**received, level=level, stage="RequestReceived",
                                      code=None, received=_time(second),
                                      stage_time=_time(second)))  # fmt: skip
        events.append(
            audit_event(
                **fields,
                stage="ResponseComplete",
                code=step.code,
                received=_time(second),
                stage_time=_time(second, 7 * (number + 1)),
                **_bodies(level, step.request, step.response),
                annotations={
                    "authorization.k8s.io/decision": "forbid" if step.code == 403 else "allow"
                },
            )  # fmt: skip
        )
        if number == 1:
            events += _neighbours(second + 30, level)
    return events


def _neighbours(second: int, level: str) -> list[dict]:
    """A ReplicaSet created by generateName, and look-alikes of the Deployment."""
    replica_set = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"generateName": "frontend-", "namespace": NAMESPACE}}  # fmt: skip
    created = copy.deepcopy(replica_set)
    created["metadata"]["name"] = REPLICASET
    common = dict(api_group="apps", stage_time=_time(second), received=_time(second), level=level)
    return [
        audit_event(
            verb="create", user=CONTROLLER, resource="replicasets", namespace=NAMESPACE,
            uri="/apis/apps/v1/namespaces/shop/replicasets", code=201,
            audit_id="00000000-0000-4000-8000-100000000001", **common,
            **_bodies(level, replica_set, created),
        ),
        audit_event(
            verb="patch", user="alice", resource="deployments", namespace=NAMESPACE,
            name="backend", uri=f"{BASE}/backend", audit_id="00000000-0000-4000-8000-100000000002",
            **common, **_bodies(level, {"spec": {"replicas": 2}}, None),
        ),
        audit_event(
            verb="delete", user="alice", resource="deployments", namespace="staging",
            name=NAME, uri=f"/apis/apps/v1/namespaces/staging/deployments/{NAME}",
            audit_id="00000000-0000-4000-8000-100000000003", **common,
        ),
    ]  # fmt: skip


def write_lifecycle(path: Any, level: str = "RequestResponse") -> None:
    """The events of :func:`lifecycle_events` as JSON lines in ``path``."""
    with open(path, "wb") as file:
        for event in lifecycle_events(level):
            file.write(orjson.dumps(event) + b"\n")
