"""A realistic synthetic audit log for benchmarks: correlated, like a real cluster's.

Each client identity (controller, kubelet, operator, person) has its own groups, user agent,
source IP and a small set of (verb, resource, namespace) habits, and touches a bounded pool of
objects — so the index sees thousands of shapes and names, as it does on a real control plane.
Run as a script: ``python tests/bench/generate.py N PATH``.
"""

from __future__ import annotations

import random
import sys
import uuid
from datetime import UTC, datetime, timedelta

import orjson

VERBS_READ = ("get", "list", "watch")
VERBS_WRITE = ("create", "update", "patch", "delete")
RESOURCES = (
    ("", "pods"), ("", "configmaps"), ("", "secrets"), ("", "services"), ("", "endpoints"),
    ("", "nodes"), ("", "events"), ("apps", "deployments"), ("apps", "replicasets"),
    ("coordination.k8s.io", "leases"), ("rbac.authorization.k8s.io", "roles"),
    ("batch", "jobs"), ("networking.k8s.io", "ingresses"),
)  # fmt: skip


def _clients(rng: random.Random) -> list[dict]:
    clients = []
    for i in range(300):
        kind = rng.random()
        if kind < 0.6:
            ns = f"team-{i % 40}"
            user = f"system:serviceaccount:{ns}:controller-{i}"
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}",
                      "system:authenticated"]  # fmt: skip
            agent = f"manager/v0.{i % 9}.0 (linux/amd64) kubernetes/{i:07x}"
        elif kind < 0.9:
            ns = None
            user = f"system:node:node-{i}"
            groups = ["system:nodes", "system:authenticated"]
            agent = "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"
        else:
            ns = f"team-{i % 40}"
            user = f"user{i}@example.com"
            groups = ["developers", "system:authenticated"]
            agent = "kubectl/v1.31.0 (darwin/arm64) kubernetes/9e6a5e2"
        habits = [
            (rng.choice(VERBS_READ if rng.random() < 0.8 else VERBS_WRITE), rng.choice(RESOURCES),
             ns or f"team-{rng.randrange(40)}")
            for _ in range(rng.randint(2, 8))
        ]  # fmt: skip
        clients.append({
            "user": user, "groups": groups, "agent": agent,
            "ip": f"10.{i % 4}.{i // 4 % 250}.{i % 200 + 1}", "habits": habits,
        })  # fmt: skip
    return clients


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def events(count: int, seed: int = 7):
    """Yield ``count`` Metadata-level audit events as compact JSON lines (bytes)."""
    rng = random.Random(seed)
    clients = _clients(rng)
    moment = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    for _ in range(count):
        client = rng.choice(clients)
        verb, (group, resource), ns = rng.choice(client["habits"])
        name = f"{resource[:-1]}-{rng.randrange(60)}"
        prefix = f"/apis/{group}/v1" if group else "/api/v1"
        named = verb not in ("list", "watch", "create")
        uri = f"{prefix}/namespaces/{ns}/{resource}" + (f"/{name}" if named else "")
        if verb == "watch":
            uri += f"?resourceVersion={rng.randrange(10**6)}&watch=true"
        moment += timedelta(microseconds=rng.randrange(400))
        latency = timedelta(microseconds=rng.randrange(200, 30000))
        ref = {"resource": resource, "namespace": ns, "apiVersion": "v1"}
        if group:
            ref["apiGroup"] = group
        if named:
            ref["name"] = name
        code = rng.choice((200, 200, 200, 200, 201, 404, 403, 409, 500)) if verb != "get" else 200
        yield orjson.dumps({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "stage": "ResponseComplete", "requestURI": uri, "verb": verb,
            "user": {"username": client["user"], "groups": client["groups"]},
            "sourceIPs": [client["ip"]], "userAgent": client["agent"], "objectRef": ref,
            "responseStatus": {"metadata": {}, "code": code},
            "requestReceivedTimestamp": _stamp(moment),
            "stageTimestamp": _stamp(moment + latency),
            "annotations": {
                "authorization.k8s.io/decision": "allow" if code != 403 else "forbid",
                "authorization.k8s.io/reason": f'RBAC: allowed by RoleBinding "rb-{ns}" of Role '
                f'"edit" to ServiceAccount "{client["user"].rsplit(":", 1)[-1]}/{ns}"',
            },
        })  # fmt: skip


def write(count: int, path: str) -> None:
    with open(path, "wb") as out:
        for line in events(count):
            out.write(line + b"\n")


if __name__ == "__main__":
    write(int(sys.argv[1]), sys.argv[2])
