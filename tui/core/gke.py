"""GKE audit entries from Cloud Logging (``LogEntry``) -> ``audit.k8s.io/v1`` event dicts.

GKE writes each audit event as a Cloud Logging entry whose ``protoPayload`` is a
``google.cloud.audit.AuditLog`` with ``serviceName`` ``k8s.io``. The entry carries what the
index needs under other names; :func:`audit_event` rebuilds the v1 Event they came from:

=====================  ==============================================================
event field            from the entry
=====================  ==============================================================
verb                   the last segment of ``protoPayload.methodName``
objectRef              ``protoPayload.resourceName``: ``core/v1/namespaces/NS/pods/NAME[/SUB]``
                       or, cluster-scoped, ``GROUP/VERSION/RESOURCE[/NAME[/SUB]]``; group
                       ``core`` is the core group ``""`` (method names of CRDs have the group
                       reversed, ``com.example.v1.widgets.create``: the resource name wins)
requestURI             the path of a non-resource request (``/healthz``, ``/HNAP1``); for a
                       resource request the URL path the resource name stands for (no query;
                       a create's URL names the collection, as the apiserver's does)
user.username          ``protoPayload.authenticationInfo.principalEmail``
sourceIPs              ``protoPayload.requestMetadata.callerIp``
userAgent              ``protoPayload.requestMetadata.callerSuppliedUserAgent``
auditID                ``operation.id``, else ``insertId``
stage                  ``operation.first``/``last``: both or last only ResponseComplete, first
                       only ResponseStarted (a long request is logged twice); without either,
                       ResponseComplete
stageTimestamp         ``timestamp``
annotations            ``labels`` (the authorization decision and reason among them)
responseStatus         ``protoPayload.status``: the google.rpc code as HTTP (:data:`RPC_HTTP`),
                       and its message
level                  RequestResponse with a ``response``, Request with only a ``request``,
                       else Metadata (GKE does not log the level)
requestObject,         ``protoPayload.request`` / ``response``
responseObject
=====================  ==============================================================

Groups are not in GKE entries: the user has none. The cluster (``resource.labels.cluster_name``)
is returned beside the event, not inside it.
"""

from __future__ import annotations

from typing import Any

GKE_SERVICE = "k8s.io"

RPC_HTTP = {
    0: 200,  # OK (201 for a create that returned an object)
    1: 499,  # CANCELLED
    2: 500,  # UNKNOWN
    3: 400,  # INVALID_ARGUMENT
    4: 504,  # DEADLINE_EXCEEDED
    5: 404,  # NOT_FOUND
    6: 409,  # ALREADY_EXISTS
    7: 403,  # PERMISSION_DENIED
    8: 429,  # RESOURCE_EXHAUSTED
    9: 400,  # FAILED_PRECONDITION
    10: 409,  # ABORTED (a conflict)
    11: 400,  # OUT_OF_RANGE
    12: 501,  # UNIMPLEMENTED
    13: 500,  # INTERNAL
    14: 503,  # UNAVAILABLE
    15: 500,  # DATA_LOSS
    16: 401,  # UNAUTHENTICATED
}
"""google.rpc status codes as the HTTP codes the apiserver answered with."""

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_EMPTY: dict[str, Any] = {}


def is_log_entry(obj: dict) -> bool:
    """Does this JSON object look like a Cloud Logging entry?"""
    return "protoPayload" in obj or "logName" in obj


def service_of(entry: dict) -> str:
    """The service a Cloud Logging entry is from (``""`` when it does not say)."""
    payload = entry.get("protoPayload")
    if type(payload) is not dict:
        return ""
    service = payload.get("serviceName")
    return service if type(service) is str else ""


def _dict(value: object) -> dict:
    return value if type(value) is dict else _EMPTY  # type: ignore[return-value]


def _str(value: object) -> str:
    return value if type(value) is str else ""


def cluster_of(entry: dict) -> str:
    """The GKE cluster an entry came from: ``resource.labels.cluster_name``."""
    return _str(_dict(_dict(entry.get("resource")).get("labels")).get("cluster_name"))


def parse_resource_name(name: str) -> dict[str, str] | None:
    """The objectRef fields a GKE ``resourceName`` stands for, or None when it names no API
    resource (a non-resource path such as ``readyz``, ``api/v1`` or ``HNAP1``).

    The keys are ``apiGroup``, ``apiVersion``, ``resource``, ``namespace``, ``name`` and
    ``subresource`` (empty ones left out).
    """
    parts = name.strip("/").split("/")
    if len(parts) < 3 or not all(parts):
        return None
    group, version, rest = parts[0], parts[1], parts[2:]
    ref = {"apiGroup": "" if group == "core" else group, "apiVersion": version}
    # kube-apiserver's own reading of a path: namespaces/NS/RESOURCE..., except the
    # namespace's own subresources (namespaces/NS/status, namespaces/NS/finalize).
    if rest[0] == "namespaces" and len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
        ref["namespace"] = rest[1]
        rest = rest[2:]
    elif rest[0] == "namespaces" and len(rest) > 1:
        ref["namespace"] = rest[1]
    ref["resource"] = rest[0]
    if len(rest) > 1:
        ref["name"] = rest[1]
    if len(rest) > 2:
        ref["subresource"] = rest[2]
    if len(rest) > 3:
        return None
    return {key: value for key, value in ref.items() if value or key == "apiGroup"}


def _uri(ref: dict[str, str], verb: str) -> str:
    group, version = ref["apiGroup"], ref["apiVersion"]
    path = [f"/api/{version}" if not group else f"/apis/{group}/{version}"]
    ns, resource = ref.get("namespace", ""), ref["resource"]
    if ns and resource != "namespaces":
        path.append(f"namespaces/{ns}")
    path.append(resource)
    name, sub = ref.get("name", ""), ref.get("subresource", "")
    if name and not (verb == "create" and not sub):  # a create posts to the collection
        path.append(name)
        if sub:
            path.append(sub)
    return "/".join(path)


def _stage(operation: dict) -> str:
    if operation.get("first") is True and operation.get("last") is not True:
        return "ResponseStarted"
    return "ResponseComplete"


def _code(payload: dict, verb: str) -> tuple[int, str]:
    status = _dict(payload.get("status"))
    rpc = status.get("code", 0)
    message = _str(status.get("message"))
    if type(rpc) is not int:
        return 0, message
    if rpc == 0:
        response = payload.get("response")
        created = verb == "create" and type(response) is dict and response.get("kind") != "Status"
        return (201 if created else 200), message
    return RPC_HTTP.get(rpc, 500), message


def audit_event(entry: dict) -> dict:
    """The ``audit.k8s.io/v1`` Event a GKE ``k8s.io`` entry logs (see the module doc)."""
    payload = _dict(entry.get("protoPayload"))
    operation = _dict(entry.get("operation"))
    method = _str(payload.get("methodName"))
    verb = method.rpartition(".")[2]
    resource_name = _str(payload.get("resourceName"))
    # io.k8s.get, io.k8s.readyz: a non-resource request names no group, version or resource.
    ref = parse_resource_name(resource_name) if method.count(".") > 2 else None
    if ref is not None:
        uri = _uri(ref, verb)
    else:
        uri = resource_name if not resource_name or resource_name[0] == "/" else "/" + resource_name
    meta = _dict(payload.get("requestMetadata"))
    code, message = _code(payload, verb)
    event: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse"
        if "response" in payload
        else ("Request" if "request" in payload else "Metadata"),
        "auditID": _str(operation.get("id")) or _str(entry.get("insertId")),
        "stage": _stage(operation),
        "requestURI": uri,
        "verb": verb,
        "user": {"username": _str(_dict(payload.get("authenticationInfo")).get("principalEmail"))},
    }
    ip = _str(meta.get("callerIp"))
    if ip:
        event["sourceIPs"] = [ip]
    ua = _str(meta.get("callerSuppliedUserAgent"))
    if ua:
        event["userAgent"] = ua
    if ref is not None:
        event["objectRef"] = ref
    event["responseStatus"] = {"metadata": {}, "code": code}
    if message:
        event["responseStatus"]["message"] = message
    if "request" in payload:
        event["requestObject"] = payload["request"]
    if "response" in payload:
        event["responseObject"] = payload["response"]
    timestamp = entry.get("timestamp")
    if type(timestamp) is str:
        event["stageTimestamp"] = timestamp
    labels = entry.get("labels")
    if type(labels) is dict and labels:
        event["annotations"] = {key: _str(value) for key, value in labels.items()}
    return event
