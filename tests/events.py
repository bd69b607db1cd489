"""The tests' one builder of audit events: an ``audit.k8s.io/v1`` Event dict, or its JSON line.

Every field a test varies is a keyword argument; a value of None leaves the field out. Keys come
in the order kube-apiserver writes them. Any other top-level field is given by its JSON name
(``requestObject={...}``, ``metadata={...}``, ``apiVersion="audit.k8s.io/v1beta1"``): one
already present is replaced where it stands, a new one is added at the end.

``tests/bench/generate.py`` keeps a generator of its own, built for speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

AUDIT_ID = "00000000-0000-4000-8000-000000000000"
RECEIVED = "2026-11-26T10:00:00.100000Z"
STAGE_TIME = "2026-11-26T10:00:00.200000Z"


def audit_event(
    *,
    level: str | None = "Metadata",
    audit_id: str | None = AUDIT_ID,
    stage: str | None = "ResponseComplete",
    uri: str | None = "/api/v1/namespaces/default/pods",
    verb: str | None = "get",
    user: str | dict[str, Any] | None = "alice",
    groups: Sequence[str] = ("system:authenticated",),
    impersonated: str | None = None,
    ips: Sequence[str] | None = ("10.0.0.1",),
    agent: str | None = "kubectl/v1.31.0",
    object_ref: bool = True,
    resource: str | None = "pods",
    namespace: str | None = "default",
    name: str | None = None,
    api_group: str | None = None,
    api_version: str | None = "v1",
    subresource: str | None = None,
    code: int | None = 200,
    request_object: Any = None,
    response_object: Any = None,
    received: str | None = RECEIVED,
    stage_time: str | None = STAGE_TIME,
    annotations: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One audit event as a dict.

    ``user`` is a user name (the user object then also holds ``groups``) or a whole user
    object (``{}``: an empty one). ``object_ref=False`` makes a non-resource request (no
    objectRef); otherwise its fields are ``resource`` … ``subresource``. ``code`` is the
    responseStatus code; ``received`` and ``stage_time`` the requestReceivedTimestamp and the
    stageTimestamp; ``fields`` any other top-level fields, by JSON name (see the module).
    """
    event: dict[str, Any] = {"kind": "Event", "apiVersion": "audit.k8s.io/v1"}
    ref = {
        "resource": resource,
        "namespace": namespace,
        "name": name,
        "apiGroup": api_group,
        "apiVersion": api_version,
        "subresource": subresource,
    }
    for key, value in (
        ("level", level),
        ("auditID", audit_id),
        ("stage", stage),
        ("requestURI", uri),
        ("verb", verb),
        ("user", {"username": user, "groups": list(groups)} if isinstance(user, str) else user),
        ("impersonatedUser", {"username": impersonated} if impersonated is not None else None),
        ("sourceIPs", list(ips) if ips is not None else None),
        ("userAgent", agent),
        ("objectRef", {k: v for k, v in ref.items() if v is not None} if object_ref else None),
        ("responseStatus", {"metadata": {}, "code": code} if code is not None else None),
        ("requestObject", request_object),
        ("responseObject", response_object),
        ("requestReceivedTimestamp", received),
        ("stageTimestamp", stage_time),
        ("annotations", annotations),
    ):
        if value is not None:
            event[key] = value
    event.update(fields)
    return event


def event_line(**fields: Any) -> bytes:
    """The compact JSON line (with its newline) of :func:`audit_event` with these fields."""
    return orjson.dumps(audit_event(**fields)) + b"\n"


def numbered_line(number: int, **fields: Any) -> bytes:
    """An :func:`event_line` told apart by ``number`` (its audit ID and configmap name)."""
    name = f"cm-{number}"
    defaults: dict[str, Any] = {
        "audit_id": f"00000000-0000-4000-8000-{number:012d}",
        "uri": f"/api/v1/namespaces/default/configmaps/{name}",
        "ips": ("10.0.0.7",),
        "resource": "configmaps",
        "name": name,
        "api_version": None,
    }
    return event_line(**(defaults | fields))


def numbered_lines(start: int, stop: int) -> bytes:
    """The :func:`numbered_line` of each number from ``start`` to ``stop`` (exclusive)."""
    return b"".join(numbered_line(n) for n in range(start, stop))


GKE_TIME = "2026-11-26T10:00:00.200000Z"


def gke_entry(
    *,
    method: str | None = "io.k8s.core.v1.pods.get",
    resource_name: str | None = "core/v1/namespaces/default/pods/web-1",
    service: str | None = "k8s.io",
    user: str | None = "alice@example.com",
    ip: str | None = "10.0.0.1",
    agent: str | None = "kubectl/v1.31.0",
    operation_id: str | None = AUDIT_ID,
    first: bool | None = True,
    last: bool | None = True,
    insert_id: str | None = "insert-1",
    rpc_code: int | None = None,
    message: str | None = None,
    request: Any = None,
    response: Any = None,
    labels: dict[str, str] | None = None,
    cluster: str | None = "prod-1",
    timestamp: str | None = GKE_TIME,
    **fields: Any,
) -> dict[str, Any]:
    """One Cloud Logging entry of a GKE audit event (``gcloud logging read --format=json``).

    ``rpc_code``/``message`` make ``protoPayload.status`` (absent when both are None);
    ``first``/``last`` are ``operation.first``/``last`` (None leaves them out, and with
    ``operation_id`` None too the operation is left out); ``fields`` any other top-level field.
    """
    payload: dict[str, Any] = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": user} if user is not None else {},
        "methodName": method,
        "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": agent},
        "resourceName": resource_name,
        "serviceName": service,
    }
    if rpc_code is not None or message is not None:
        payload["status"] = {"code": rpc_code, "message": message}
    if request is not None:
        payload["request"] = request
    if response is not None:
        payload["response"] = response
    operation = {"first": first, "id": operation_id, "last": last, "producer": "k8s.io"}
    entry: dict[str, Any] = {
        "insertId": insert_id,
        "labels": labels,
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "operation": {k: v for k, v in operation.items() if v is not None}
        if operation_id is not None or first is not None or last is not None
        else None,
        "protoPayload": payload,
        "receiveTimestamp": timestamp,
        "resource": {"labels": {"cluster_name": cluster, "location": "europe-west1"},
                     "type": "k8s_cluster"},
        "timestamp": timestamp,
    }  # fmt: skip
    entry.update(fields)

    def drop_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        return value

    return drop_none(entry)


def gke_line(**fields: Any) -> bytes:
    """A GKE entry as one JSON line (with its newline)."""
    return orjson.dumps(gke_entry(**fields)) + b"\n"
