"""Writes the demo audit log: ten minutes of a small cluster at night, with an incident in it.

Run ``python -m kaudit_tui.demo.generate [PATH]`` to rebuild ``demo-audit.jsonl``. The output is
deterministic (fixed seed and start time). Levels and stages follow ``demo-policy.yaml`` rule
by rule (see :func:`level_of`), as kube-apiserver would have written them.

What happens: node heartbeats and leader-election leases all along; alice rolls out a new
version of the shop frontend, reads its logs and execs into a pod; the CI deployer writes
secrets in ``payments`` (logged with their data because of the policy's rule order); from
minute 5 the compromised ``shop:frontend`` service account probes for secrets and RBAC and is
denied, with a user agent carrying terminal escape sequences; an unauthenticated scanner gets
401s; etcd slows down and leases fail with 5xx at minute 8; alice deletes ``staging``.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from kaudit_tui.demo.cluster import (
    ADMIN,
    ALICE,
    ANONYMOUS,
    COREDNS,
    DEPLOY_CTRL,
    DEPLOYER,
    DURATION,
    FRONTEND,
    HOSTILE_AGENT,
    KCM,
    NODES,
    NS_CTRL,
    RS_CTRL,
    SCHED,
    Log,
    node,
)


def background(log: Log) -> None:
    """What a healthy control plane does all night."""
    rng = log.rng
    for i, name in enumerate(NODES):
        for t in _every(10.0, offset=i * 1.3):
            failing = 480 <= t <= 505
            code = rng.choice((500, 504)) if failing else 200
            log.request(
                t,
                node(name),
                "update",
                "leases",
                ns="kube-node-lease",
                name=name,
                group="coordination.k8s.io",
                code=code,
                latency=rng.uniform(1.0, 4.0) if failing else None,
                body={"kind": "Lease", "metadata": {"name": name}},
            )
        for t in _every(60.0, offset=i * 7.0):
            log.request(t, node(name), "get", "configmaps", ns="shop", name="frontend-config")
            log.request(t + 0.2, node(name), "get", "secrets", ns="shop", name="frontend-tls")
            log.request(
                t + 0.4,
                node(name),
                "create",
                "serviceaccounts",
                ns="shop",
                name="frontend",
                sub="token",
                code=201,
                body={
                    "kind": "TokenRequest",
                    "spec": {"audiences": ["https://kubernetes.default.svc"]},
                },
            )
    for client, lease in ((KCM, "kube-controller-manager"), (SCHED, "kube-scheduler")):
        for t in _every(10.0, offset=2.0 if client is KCM else 6.0):
            failing = 480 <= t <= 505
            log.request(
                t,
                client,
                "get",
                "leases",
                ns="kube-system",
                name=lease,
                group="coordination.k8s.io",
                code=503 if failing else 200,
            )
            if not failing:
                log.request(
                    t + 0.01,
                    client,
                    "update",
                    "leases",
                    ns="kube-system",
                    name=lease,
                    group="coordination.k8s.io",
                    body={"kind": "Lease", "metadata": {"name": lease}},
                )
    for resource in ("pods", "deployments", "replicasets", "services", "nodes", "secrets"):
        group = "apps" if resource in ("deployments", "replicasets") else ""
        log.request(
            rng.uniform(0, 3),
            KCM,
            "watch",
            resource,
            group=group,
            query="allowWatchBookmarks=true&timeoutSeconds=345",
            duration=rng.uniform(240, 345),
        )
    log.request(1.0, COREDNS, "watch", "endpointslices", group="discovery.k8s.io", duration=300.0)
    for t in _every(15.0):
        log.request(t, None, "get", path="/readyz", code=200)  # not logged: rule 1


def rollout(log: Log) -> None:
    """Alice rolls out frontend v2.4.1, reads the logs and execs into a pod."""
    log.request(40.0, ALICE, "list", "pods", ns="shop")
    log.request(41.5, ALICE, "get", "deployments", ns="shop", name="frontend", group="apps")
    body = {
        "kind": "Deployment",
        "metadata": {"name": "frontend", "namespace": "shop"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "web", "image": "registry.example.com/shop/frontend:2.4.1"}
                    ]
                }
            }
        },
    }
    log.request(
        60.0,
        ALICE,
        "patch",
        "deployments",
        ns="shop",
        name="frontend",
        group="apps",
        body=body,
        query="fieldManager=kubectl-client-side-apply",
    )
    log.request(
        60.3,
        DEPLOY_CTRL,
        "create",
        "replicasets",
        ns="shop",
        name="frontend-7c9f8",
        group="apps",
        code=201,
        body={"kind": "ReplicaSet"},
    )
    for i in range(4):
        pod = f"frontend-7c9f8-{'abcd'[i]}x{i}q"
        log.request(
            60.5 + i * 0.4,
            RS_CTRL,
            "create",
            "pods",
            ns="shop",
            code=201,
            body={"kind": "Pod", "metadata": {"generateName": "frontend-7c9f8-"}},
        )
        log.request(
            61.0 + i * 0.4,
            SCHED,
            "create",
            "pods",
            ns="shop",
            name=pod,
            sub="binding",
            code=201,
            body={"kind": "Binding", "target": {"name": NODES[i]}},
        )
        log.request(
            80.0 + i * 3, RS_CTRL, "delete", "pods", ns="shop", name=f"frontend-5d4b7-{i}kz{i}"
        )
    log.request(
        90.0,
        ALICE,
        "get",
        "pods",
        ns="shop",
        name="frontend-7c9f8-ax0q",
        sub="log",
        query="container=web&follow=true",
        duration=75.0,
    )
    log.request(
        170.0,
        ALICE,
        "create",
        "pods",
        ns="shop",
        name="frontend-7c9f8-ax0q",
        sub="exec",
        query="command=sh&container=web&stdin=true&tty=true",
        duration=95.0,
    )
    log.request(200.0, ADMIN, "list", "pods", ns="shop", impersonate="bob")
    log.request(
        201.0, ADMIN, "get", "secrets", ns="shop", name="frontend-tls", impersonate="bob", code=403
    )


def deploy_secrets(log: Log) -> None:
    """CI writes payment secrets; the policy's rule order logs their data."""
    for i, (name, key) in enumerate(
        (("stripe-api", "api-key"), ("db-credentials", "password"), ("webhook-signing", "secret"))
    ):
        value = base64.b64encode(f"demo-{key}-{1000 + i}".encode()).decode()
        body = {
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "payments"},
            "type": "Opaque",
            "data": {key: value},
        }
        log.request(
            120.0 + i * 1.5,
            DEPLOYER,
            "get",
            "secrets",
            ns="payments",
            name=name,
            code=404 if i else 200,
        )
        log.request(
            120.4 + i * 1.5,
            DEPLOYER,
            "create" if i else "update",
            "secrets",
            ns="payments",
            name=name,
            code=201 if i else 200,
            body=body,
        )
    log.request(
        126.0,
        DEPLOYER,
        "patch",
        "deployments",
        ns="payments",
        name="api",
        group="apps",
        body={
            "spec": {
                "template": {"metadata": {"annotations": {"deploy.example.com/revision": "418"}}}
            }
        },
    )
    log.request(
        127.0,
        DEPLOYER,
        "create",
        "configmaps",
        ns="payments",
        name="api-flags",
        code=409,
        body={"kind": "ConfigMap", "data": {"checkout-v2": "true"}},
    )


def intrusion(log: Log) -> None:
    """The frontend service account is used from inside a compromised pod."""
    rng = log.rng
    t = 300.0
    log.request(t, FRONTEND, "get", "configmaps", ns="shop", name="frontend-config")
    for ns in ("shop", "payments", "kube-system", "default", "monitoring", "ci"):
        t += rng.uniform(0.3, 1.2)
        log.request(t, FRONTEND, "list", "secrets", ns=ns, code=403)
    log.request(t + 1, FRONTEND, "list", "secrets", code=403)
    log.request(
        t + 2,
        FRONTEND,
        "get",
        "secrets",
        ns="kube-system",
        name="bootstrap-token-abcdef",
        code=403,
        agent=HOSTILE_AGENT,
    )
    log.request(
        t + 3,
        FRONTEND,
        "create",
        "clusterrolebindings",
        group="rbac.authorization.k8s.io",
        code=403,
        agent=HOSTILE_AGENT,
        body={"kind": "ClusterRoleBinding", "roleRef": {"name": "cluster-admin"}},
    )
    log.request(
        t + 4,
        FRONTEND,
        "create",
        "pods",
        ns="kube-system",
        name="kube-proxy-x1",
        sub="exec",
        code=403,
        query="command=cat&command=/etc/kubernetes/admin.conf",
    )
    log.request(
        t + 5,
        FRONTEND,
        "create",
        "selfsubjectrulesreviews",
        group="authorization.k8s.io",
        code=201,
        body={"spec": {"namespace": "shop"}},
    )
    for i in range(8):
        log.request(
            330.0 + i * 4,
            None,
            "list",
            "secrets",
            ns="kube-system",
            code=401,
            query=f"access_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ{i}In0.c2lnbmF0dXJl",
        )
        log.request(331.0 + i * 4, ANONYMOUS, "get", "namespaces", code=403)


def cleanup(log: Log) -> None:
    """Alice deletes the staging namespace; the namespace controller empties it."""
    t = 540.0
    log.request(t, ALICE, "delete", "namespaces", name="staging", ns="staging")
    for i, (group, resource) in enumerate(
        (
            ("", "pods"),
            ("", "services"),
            ("", "configmaps"),
            ("", "secrets"),
            ("apps", "deployments"),
            ("apps", "replicasets"),
            ("batch", "jobs"),
            ("networking.k8s.io", "ingresses"),
        )
    ):
        log.request(
            t + 1 + i * 0.3, NS_CTRL, "deletecollection", resource, ns="staging", group=group
        )
    log.request(
        t + 5,
        NS_CTRL,
        "update",
        "namespaces",
        ns="staging",
        name="staging",
        sub="finalize",
        body={"kind": "Namespace"},
    )
    log.request(t + 6, NS_CTRL, "delete", "namespaces", ns="staging", name="staging")


def _every(step: float, offset: float = 0.0) -> list[float]:
    count = int((DURATION - offset) / step)
    return [offset + i * step for i in range(count)]


def build(path: Path) -> int:
    log = Log()
    for part in (background, rollout, deploy_secrets, intrusion, cleanup):
        part(log)
    return log.write(path)


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("demo-audit.jsonl")
    )
    print(f"{build(target):,} events written to {target}")
