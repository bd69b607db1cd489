"""The demo cluster's cast and its audit log writer.

Clients (controllers, kubelets, people, a compromised service account), the demo policy's
decision for a request (:func:`level_of`, rule by rule as in ``demo-policy.yaml``), and
:class:`Log`, which turns a request into the events kube-apiserver would write for it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from kaudit_tui.demo.objects import obj_for, status_for

START = datetime(2026, 11, 26, 2, 50, 0, tzinfo=UTC)
DURATION = 600.0
NODES = [f"node-{i}" for i in range(1, 7)]
LONG_RUNNING = {"exec", "attach", "portforward", "log"}


class Client:
    """Who sends requests: user, groups, user agent and source IP."""

    def __init__(self, user: str, groups: list[str], agent: str, ip: str) -> None:
        self.user, self.groups, self.agent, self.ip = user, groups, agent, ip


def sa(ns: str, name: str, agent: str, ip: str) -> Client:
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    return Client(f"system:serviceaccount:{ns}:{name}", groups, agent, ip)


KCM = Client(
    "system:kube-controller-manager",
    ["system:authenticated"],
    "kube-controller-manager/v1.34.2 (linux/amd64) kubernetes/8f3a1b2",
    "10.0.0.10",
)
SCHED = Client(
    "system:kube-scheduler",
    ["system:authenticated"],
    "kube-scheduler/v1.34.2 (linux/amd64) kubernetes/8f3a1b2",
    "10.0.0.10",
)
ALICE = Client(
    "alice@example.com",
    ["developers", "system:authenticated"],
    "kubectl/v1.34.1 (darwin/arm64) kubernetes/93e2a5c",
    "192.168.7.21",
)
ADMIN = Client(
    "admin",
    ["system:masters", "system:authenticated"],
    "kubectl/v1.34.1 (linux/amd64) kubernetes/93e2a5c",
    "192.168.7.2",
)
DEPLOYER = sa("ci", "deployer", "argocd-application-controller/v2.13.1", "10.0.4.17")
FRONTEND = sa("shop", "frontend", "python-requests/2.32.3", "10.0.3.44")
HOSTILE_AGENT = "curl/8.5.0 \x1b]0;all good\x07\x1b[2J\u202eexe.piz"
ANONYMOUS = Client(
    "system:anonymous", ["system:unauthenticated"], "Go-http-client/1.1", "203.0.113.66"
)
RS_CTRL = sa("kube-system", "replicaset-controller", KCM.agent, KCM.ip)
DEPLOY_CTRL = sa("kube-system", "deployment-controller", KCM.agent, KCM.ip)
NS_CTRL = sa("kube-system", "namespace-controller", KCM.agent, KCM.ip)
COREDNS = sa("kube-system", "coredns", "coredns/v1.11.3", "10.1.0.5")


def node(name: str) -> Client:
    index = int(name.rsplit("-", 1)[1])
    return Client(
        f"system:node:{name}",
        ["system:nodes", "system:authenticated"],
        "kubelet/v1.34.2 (linux/amd64) kubernetes/8f3a1b2",
        f"10.0.1.{index}",
    )


def level_of(
    client: Client | None, verb: str, resource: str, sub: str, group: str, path: str
) -> tuple[str, set[str]]:
    """Level and omitted stages per demo-policy.yaml (first matching rule wins)."""
    if not resource:
        return (
            "None" if path.startswith(("/healthz", "/readyz", "/livez", "/version")) else "Metadata"
        ), set()
    full = f"{resource}/{sub}" if sub else resource
    if client and client.user == "system:kube-proxy" and verb == "watch":
        return "None", set()
    if group == "" and resource == "events":
        return "None", set()
    if client and client.user == DEPLOYER.user:
        return "RequestResponse", set()
    if (group == "" and full in ("secrets", "configmaps", "serviceaccounts/token")) or (
        group == "authentication.k8s.io" and resource == "tokenreviews"
    ):
        return "Metadata", set()
    if client and "system:nodes" in client.groups and verb in ("update", "patch"):
        if group == "coordination.k8s.io" and resource == "leases":
            return "Metadata", {"RequestReceived"}
    if group == "" and full in ("pods/exec", "pods/attach", "pods/portforward", "pods/log"):
        return "Metadata", set()
    if verb in ("get", "list", "watch"):
        return "Request", {"RequestReceived"}
    if verb in ("create", "update", "patch", "delete", "deletecollection"):
        return "RequestResponse", set()
    return "Metadata", set()


class Log:
    """Collects events and writes them in the order kube-apiserver would have."""

    def __init__(self, seed: int = 5) -> None:
        self.rng = random.Random(seed)
        self.events: list[tuple[float, int, bytes]] = []

    def request(
        self,
        t: float,
        client: Client | None,
        verb: str,
        resource: str = "",
        *,
        ns: str = "",
        name: str = "",
        sub: str = "",
        group: str = "",
        code: int = 200,
        path: str = "",
        query: str = "",
        latency: float | None = None,
        body: dict | None = None,
        impersonate: str = "",
        agent: str | None = None,
        duration: float | None = None,
    ) -> None:
        """One request: its stages, as events, at the level the policy gives it."""
        level, omit = level_of(client, verb, resource, sub, group, path)
        if level == "None":
            return
        uri = path or _uri(resource, ns, name, sub, group)
        query = "&".join(q for q in ("watch=true" if verb == "watch" else "", query) if q)
        if query:
            uri += "?" + query
        latency = latency if latency is not None else self.rng.uniform(0.0008, 0.03)
        audit_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        event: dict = {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": level,
            "auditID": audit_id,
            "requestURI": uri,
            "verb": verb,
            "user": {"username": client.user, "groups": client.groups} if client else {},
            "sourceIPs": [client.ip if client else "198.51.100.23"],
            "userAgent": agent or (client.agent if client else "zgrab/0.x"),
        }
        if impersonate:
            event["impersonatedUser"] = {
                "username": impersonate,
                "groups": ["system:authenticated"],
            }
        if resource:
            ref = {
                "resource": resource,
                "namespace": ns,
                "name": name,
                "apiGroup": group,
                "apiVersion": "v1",
                "subresource": sub,
            }
            event["objectRef"] = {k: v for k, v in ref.items() if v}
        received = _stamp(t)
        long_running = verb == "watch" or sub in LONG_RUNNING
        if client is None:  # failed authentication: only ResponseStarted
            self._add(t + latency, event, "ResponseStarted", received, t + latency, code)
            return
        if "RequestReceived" not in omit:
            self._add(t, event, "RequestReceived", received, t, None)
        if long_running:
            started = 101 if sub in ("exec", "attach", "portforward") else 200
            self._add(
                t + latency,
                event,
                "ResponseStarted",
                received,
                t + latency,
                code if code >= 400 else started,
            )
        end = t + (duration if duration is not None else latency)
        if end > DURATION:
            return
        final = dict(event)
        final["annotations"] = _annotations(client, verb, resource, ns, code)
        if level in ("Request", "RequestResponse") and body is not None and resource:
            final["requestObject"] = body
        if level == "RequestResponse" and resource and code < 400:
            final["responseObject"] = obj_for(verb, resource, ns, name, body, self.rng)
        elif level == "RequestResponse" and resource:
            final["responseObject"] = status_for(code, resource, name)
        if sub == "exec" and code < 400:
            code = 101
        self._add(end, final, "ResponseComplete", received, end, code)

    def _add(
        self, t: float, event: dict, stage: str, received: str, at: float, code: int | None
    ) -> None:
        data = dict(
            event, stage=stage, requestReceivedTimestamp=received, stageTimestamp=_stamp(at)
        )
        if code is not None:
            data["responseStatus"] = {"metadata": {}, "code": code}
            if code >= 400:
                data["responseStatus"].update(status=_REASONS[code][0], reason=_REASONS[code][1])
        self.events.append((t, len(self.events), orjson.dumps(data)))

    def write(self, path: Path) -> int:
        self.events.sort()
        with open(path, "wb") as out:
            for _, _, line in self.events:
                out.write(line + b"\n")
        return len(self.events)


_REASONS = {
    400: ("Failure", "BadRequest"),
    401: ("Failure", "Unauthorized"),
    403: ("Failure", "Forbidden"),
    404: ("Failure", "NotFound"),
    409: ("Failure", "AlreadyExists"),
    422: ("Failure", "Invalid"),
    500: ("Failure", "InternalError"),
    503: ("Failure", "ServiceUnavailable"),
    504: ("Failure", "Timeout"),
}


def _stamp(t: float) -> str:
    return (START + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uri(resource: str, ns: str, name: str, sub: str, group: str) -> str:
    if not resource:
        return "/"
    prefix = f"/apis/{group}/v1" if group else "/api/v1"
    parts = [prefix] + ([f"namespaces/{ns}"] if ns and resource != "namespaces" else [])
    parts.append(resource)
    if name:
        parts.append(name)
    if sub:
        parts.append(sub)
    return "/".join(parts)


def _annotations(client: Client, verb: str, resource: str, ns: str, code: int) -> dict:
    if code == 403:
        return {"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
    reason = f'RBAC: allowed by ClusterRoleBinding "{client.user.split(":")[-1]}" of ClusterRole'
    return {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": reason}
