"""Kubernetes objects for the demo log's request and response bodies."""

from __future__ import annotations

import random

_KINDS = {
    "pods": "Pod",
    "secrets": "Secret",
    "configmaps": "ConfigMap",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "leases": "Lease",
    "namespaces": "Namespace",
    "serviceaccounts": "ServiceAccount",
    "clusterrolebindings": "ClusterRoleBinding",
    "selfsubjectrulesreviews": "SelfSubjectRulesReview",
}


def _uid(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"


def obj_for(
    verb: str, resource: str, ns: str, name: str, body: dict | None, rng: random.Random
) -> dict:
    """The object a successful request returned (a Status for deletes of collections)."""
    if verb in ("deletecollection",) or (verb == "delete" and resource != "namespaces"):
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Success",
            "details": {"name": name, "kind": resource},
        }
    obj = dict(body or {})
    obj.setdefault("kind", _KINDS.get(resource, "Object"))
    obj.setdefault("apiVersion", "v1")
    metadata = dict(obj.get("metadata") or {})
    if name:
        metadata.setdefault("name", name)
    if ns and resource != "namespaces":
        metadata.setdefault("namespace", ns)
    metadata.update(uid=_uid(rng), resourceVersion=str(rng.randrange(10**6, 10**7)))
    obj["metadata"] = metadata
    if verb in ("list", "watch"):
        return {
            "kind": obj["kind"] + "List",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": metadata["resourceVersion"]},
            "items": [],
        }
    return obj


def status_for(code: int, resource: str, name: str) -> dict:
    """The Status object of a failed request."""
    reasons = {
        403: "Forbidden",
        404: "NotFound",
        409: "AlreadyExists",
        500: "InternalError",
        503: "ServiceUnavailable",
        504: "Timeout",
    }
    reason = reasons.get(code, "BadRequest")
    message = f'{resource} "{name}" {reason}' if name else f"{resource}: {reason}"
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
