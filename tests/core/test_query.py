"""The query language over a real log file: every field, lists, negation, wildcards, codes,
latency, time bounds, free text and regex, asserted as the exact audit IDs that match.

The log is a small slice of a realistic cluster, written as kube-apiserver writes it (one JSON
object per line, ``&``, ``<``, ``>`` escaped the way Go does), plus a webhook batch (an EventList)
as a second source file.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from kaudit_tui.core.query import FieldSpec, QueryCancelled, parse_query
from kaudit_tui.core.store import EventStore
from tests.conftest import index_files
from tests.events import audit_event

BASE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
K8S_UA = "kubernetes/5864a46"
CM = {
    "username": "system:kube-controller-manager",
    "groups": ["system:authenticated"],
    "ua": f"kube-controller-manager/v1.31.2 (linux/amd64) {K8S_UA}/leader-election",
    "ips": ["10.0.0.10"],
}
RS = {
    "username": "system:serviceaccount:kube-system:replicaset-controller",
    "groups": [
        "system:serviceaccounts",
        "system:serviceaccounts:kube-system",
        "system:authenticated",
    ],
    "ua": f"kube-controller-manager/v1.31.2 (linux/amd64) {K8S_UA}/system:serviceaccount:"
    "kube-system:replicaset-controller",
    "ips": ["10.0.0.10"],
}
KUBELET = {
    "username": "system:node:worker-1",
    "groups": ["system:nodes", "system:authenticated"],
    "ua": f"kubelet/v1.31.2 (linux/amd64) {K8S_UA}",
    "ips": ["10.0.1.21"],
}
ALICE = {
    "username": "alice@example.com",
    "groups": ["platform-admins", "system:authenticated"],
    "ua": "kubectl/v1.31.1 (darwin/arm64) kubernetes/948afe5",
    "ips": ["203.0.113.7", "10.0.0.2"],
}
ALICE2 = {
    "username": "alice2@example.com",
    "groups": ["developers", "system:authenticated"],
    "ua": "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b",
    "ips": ["2001:db8:4::17"],
}
BOB = {
    "username": "bob@example.com",
    "groups": ["developers", "system:authenticated"],
    "ua": "kubectl/v1.31.1 (linux/amd64) kubernetes/948afe5",
    "ips": ["198.51.100.23"],
}
ANON = {
    "username": "system:anonymous",
    "groups": ["system:unauthenticated"],
    "ua": "curl/8.5.0",
    "ips": ["192.0.2.55"],
}
NOBODY = {"username": "", "groups": [], "ua": "python-requests/2.32.3", "ips": ["192.0.2.99"]}
ARGO = {
    "username": "system:serviceaccount:argocd:argocd-application-controller",
    "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"],
    "ua": "argocd-application-controller/v2.13.0 (linux/amd64)",
    "ips": ["10.0.2.31"],
}
PROM = {
    "username": "system:serviceaccount:monitoring:prometheus-k8s",
    "groups": [
        "system:serviceaccounts",
        "system:serviceaccounts:monitoring",
        "system:authenticated",
    ],
    "ua": "Prometheus/2.54.1",
    "ips": ["10.0.3.4"],
}
SCHED = {
    "username": "system:kube-scheduler",
    "groups": ["system:authenticated"],
    "ua": f"kube-scheduler/v1.31.2 (linux/amd64) {K8S_UA}/leader-election",
    "ips": ["10.0.0.10"],
}
LEASE_URI = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager"
WEB_POD = "web-7d4b9c-x2x9k"

# key: (who, verb, uri, objectRef [resource, ns, name, group, sub], stage, level, code,
#       seconds after BASE, latency ms, extra fields)
EVENTS: dict[str, tuple] = {
    "e01": (CM, "get", LEASE_URI + "?timeout=5s",
            ("leases", "kube-system", "kube-controller-manager", "coordination.k8s.io", ""),
            "ResponseComplete", "Metadata", 200, 60, 3, {}),
    "e02": (CM, "update", LEASE_URI + "?timeout=5s",
            ("leases", "kube-system", "kube-controller-manager", "coordination.k8s.io", ""),
            "ResponseComplete", "Metadata", 200, 120, 6, {}),
    "e03": (RS, "create", "/api/v1/namespaces/shop/pods", ("pods", "shop", WEB_POD, "", ""),
            "ResponseComplete", "Request", 201, 180, 40, {}),
    "e04": (KUBELET, "get", f"/api/v1/namespaces/shop/pods/{WEB_POD}",
            ("pods", "shop", WEB_POD, "", ""), "ResponseComplete", "Metadata", 200, 240, 2, {}),
    "e05": (KUBELET, "patch", f"/api/v1/namespaces/shop/pods/{WEB_POD}/status",
            ("pods", "shop", WEB_POD, "", "status"),
            "ResponseComplete", "Request", 200, 300, 12, {}),
    "e06": (KUBELET, "watch",
            "/api/v1/namespaces/shop/configmaps?allowWatchBookmarks=true&fieldSelector="
            "metadata.name%3Dweb-config&resourceVersion=18211&timeout=7m32s&watch=true",
            ("configmaps", "shop", "web-config", "", ""),
            "ResponseStarted", "Metadata", 200, 360, 1, {}),
    "e07": (ALICE, "list", "/api/v1/namespaces/shop/pods?limit=500", ("pods", "shop", "", "", ""),
            "ResponseComplete", "Metadata", 200, 420, 25, {}),
    "e08": (ALICE, "create", f"/api/v1/namespaces/shop/pods/{WEB_POD}/exec?command=sh&stdin=true",
            ("pods", "shop", WEB_POD, "", "exec"), "ResponseStarted", "Metadata", 101, 480, 45, {}),
    "e09": (ALICE, "create", f"/api/v1/namespaces/shop/pods/{WEB_POD}/exec?command=sh&stdin=true",
            ("pods", "shop", WEB_POD, "", "exec"),
            "ResponseComplete", "Metadata", 101, 540, 95_000, {}),
    "e10": (ALICE, "get", "/api/v1/namespaces/shop/secrets/db-credentials",
            ("secrets", "shop", "db-credentials", "", ""), "ResponseComplete", "Metadata", 403,
            600, 4,
            {"impersonatedUser": {"username": "bob@example.com", "groups": ["developers"]},
             "decision": "forbid",
             "message": 'secrets "db-credentials" is forbidden: User "bob@example.com" cannot get '
             'resource "secrets" in API group "" in the namespace "shop"'}),
    "e11": (ALICE2, "list", "/api/v1/nodes?limit=500", ("nodes", "", "", "", ""),
            "ResponseComplete", "Metadata", 200, 660, 180, {}),
    "e12": (BOB, "delete", "/apis/apps/v1/namespaces/shop/deployments/web",
            ("deployments", "shop", "web", "apps", ""), "ResponseComplete", "Metadata", 403,
            720, 3, {"decision": "forbid"}),
    "e13": (BOB, "get", f"/api/v1/namespaces/shop/pods/{WEB_POD}/log?container=app&follow=true",
            ("pods", "shop", WEB_POD, "", "log"),
            "ResponseComplete", "Metadata", 200, 780, 2500, {}),
    "e14": (ANON, "get", "/healthz", None, "ResponseComplete", "Metadata", 200, 840, 1, {}),
    "e15": (ANON, "list", "/api/v1/namespaces/kube-system/secrets",
            ("secrets", "kube-system", "", "", ""), "ResponseComplete", "Metadata", 403,
            900, 1, {"decision": "forbid"}),
    "e16": (NOBODY, "list", "/api/v1/pods", ("pods", "", "", "", ""),
            "ResponseStarted", "Metadata", 401, 960, 0, {"decision": None}),
    "e17": (ARGO, "patch", "/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=argocd",
            ("deployments", "shop", "web", "apps", ""), "ResponseComplete", "RequestResponse",
            200, 1020, 520, {}),
    "e18": (ARGO, "list", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
            ("applications", "argocd", "", "argoproj.io", ""),
            "ResponseComplete", "Metadata", 200, 1080, 35, {}),
    "e19": (RS, "delete", "/api/v1/namespaces/shop/pods/web-6f5d8-qq7lm",
            ("pods", "shop", "web-6f5d8-qq7lm", "", ""),
            "ResponseComplete", "Metadata", 200, 1140, 60, {}),
    "e20": (KUBELET, "create", "/api/v1/namespaces/shop/serviceaccounts/default/token",
            ("serviceaccounts", "shop", "default", "", "token"),
            "ResponseComplete", "Metadata", 201, 1200, 8, {}),
    "e21": (ALICE, "get", "/api/v1/namespaces/shop", ("namespaces", "shop", "shop", "", ""),
            "ResponseComplete", "Metadata", 200, 1260, 5, {}),
    "e22": (ALICE, "delete", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/temp-admin",
            ("clusterrolebindings", "", "temp-admin", "rbac.authorization.k8s.io", ""),
            "ResponseComplete", "RequestResponse", 200, 1320, 15, {}),
    "e23": (RS, "create", "/api/v1/namespaces/shop/pods", ("pods", "shop", "", "", ""),
            "RequestReceived", "Request", None, 1439.97, 0, {"pair": "e24"}),
    "e24": (RS, "create", "/api/v1/namespaces/shop/pods",
            ("pods", "shop", "web-7d4b9c-k8s2q", "", ""),
            "ResponseComplete", "Request", 201, 1440, 30, {}),
    "e25": (ALICE, "get",
            "/api/v1/namespaces/monitoring/services/http:grafana:3000/proxy/api/health",
            ("services", "monitoring", "http:grafana:3000", "", "proxy"),
            "ResponseComplete", "Metadata", 503, 1500, 3000,
            {"message": "error trying to reach service: dial tcp 10.96.12.7:3000: connect: "
             "Connection refused"}),
    "e26": (PROM, "get", "/metrics", None, "ResponseComplete", "Metadata", 200, 1560, 120, {}),
}  # fmt: skip
BATCH = {
    "e27": (BOB, "get", "/api/v1/namespaces/shop/configmaps/app-settings",
            ("configmaps", "shop", "app-settings", "", ""),
            "ResponseComplete", "Metadata", 200, 1620, 4, {}),
    "e28": (SCHED, "update",
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler",
            ("leases", "kube-system", "kube-scheduler", "coordination.k8s.io", ""),
            "ResponseComplete", "Metadata", 200, 1680, 7, {}),
}  # fmt: skip
ALL = {**EVENTS, **BATCH}


def audit_id(key: str) -> str:
    """The auditID of an event: stable, UUID-shaped; both stages of one request share it."""
    key = ALL[key][-1].get("pair", key)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kaudit-tui/query-test/{key}"))


def stamp(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_event(key: str) -> dict:
    who, verb, uri, ref, stage, level, code, at, latency_ms, extra = ALL[key]
    fields: dict = {}
    if ref is not None:
        resource, ns, name, group, sub = ref
        fields.update(resource=resource or None, namespace=ns or None, name=name or None,
                      api_group=group or None, api_version="v1" if not group else "v1alpha1",
                      subresource=sub or None)  # fmt: skip
    if code is not None and "message" in extra:
        fields["responseStatus"] = {"metadata": {}, "code": code, "status": "Failure",
                                    "message": extra["message"]}  # fmt: skip
    decision = extra.get("decision", "allow")
    if decision is not None:
        fields["annotations"] = {
            "authorization.k8s.io/decision": decision,
            "authorization.k8s.io/reason": ""
            if decision == "forbid"
            else 'RBAC: allowed by ClusterRoleBinding "cluster-admin"',
        }
    if "impersonatedUser" in extra:
        fields["impersonatedUser"] = extra["impersonatedUser"]
    return audit_event(
        level=level,
        audit_id=audit_id(key),
        stage=stage,
        uri=uri,
        verb=verb,
        user=who["username"] or {},
        groups=who["groups"],
        ips=who["ips"],
        agent=who["ua"],
        object_ref=ref is not None,
        code=code,
        received=stamp(at - latency_ms / 1000),
        stage_time=stamp(at),
        **fields,
    )


def go_json(value: object) -> str:
    """JSON the way Go's encoding/json writes it: compact, HTML characters escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    folder = tmp_path_factory.mktemp("cluster")
    log = folder / "kube-apiserver-audit.log"
    log.write_text("".join(go_json(make_event(key)) + "\n" for key in EVENTS))
    batch = folder / "webhook-batch-0001.json"
    items = [make_event(key) for key in BATCH]
    batch.write_text(go_json({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                              "metadata": {}, "items": items}) + "\n")  # fmt: skip
    return index_files(log, batch)


def matching_ids(store: EventStore, text: str, rows: np.ndarray | None = None) -> list[str]:
    found = parse_query(text).filter(store, rows)
    assert found.dtype == np.int64
    assert np.all(np.diff(found) > 0), "row ids must be ascending"
    return [str(store.row(int(row))["id"]) for row in found]


def ids(keys: str) -> list[str]:
    return [audit_id(key) for key in keys.split()]


def test_the_log_indexes_every_event(cluster: EventStore) -> None:
    assert len(cluster) == len(ALL)
    assert matching_ids(cluster, "") == ids(" ".join(ALL))


CASES = [
    # users, impersonation, groups: whole value, case-insensitive, wildcards
    ("user:alice@example.com", "e07 e08 e09 e10 e21 e22 e25"),
    ("user:ALICE@Example.COM", "e07 e08 e09 e10 e21 e22 e25"),
    ("user:alice*", "e07 e08 e09 e10 e11 e21 e22 e25"),
    ("user:system:serviceaccount:kube-system:*", "e03 e19 e23 e24"),
    ("user:*replicaset*,system:node:*", "e03 e04 e05 e06 e19 e20 e23 e24"),
    ('user:""', "e16"),
    ("as:bob@example.com", "e10"),
    ('-as:""', "e10"),
    # who: the identity acted as (the impersonated user, else the user)
    ("who:bob@example.com", "e10 e12 e13 e27"),
    ("who:alice@example.com", "e07 e08 e09 e21 e22 e25"),
    ("who:BOB@*,nobody", "e10 e12 e13 e27"),
    ('who:""', "e16"),
    ("-who:alice*,bob*", "e01 e02 e03 e04 e05 e06 e14 e15 e16 e17 e18 e19 e20 e23 e24 e26 e28"),
    ("who:bob\\*", ""),
    ("who:bob* code:403", "e10 e12"),
    ("group:developers", "e11 e12 e13 e27"),
    ("group:system:serviceaccounts:*", "e03 e17 e18 e19 e23 e24 e26"),
    ("-group:system:authenticated", "e14 e15 e16"),
    # verbs, lists and negation
    ("verb:delete", "e12 e19 e22"),
    ("verb:get,list", "e01 e04 e07 e10 e11 e13 e14 e15 e16 e18 e21 e25 e26 e27"),
    ("-verb:get,list,watch", "e02 e03 e05 e08 e09 e12 e17 e19 e20 e22 e23 e24 e28"),
    ("verb:*ate", "e02 e03 e08 e09 e20 e23 e24 e28"),
    # resource and subresource
    ("resource:pods", "e03 e04 e05 e07 e08 e09 e13 e16 e19 e23 e24"),
    ("resource:pods/exec", "e08 e09"),
    ("resource:pods/*", "e05 e08 e09 e13"),
    ("resource:pods/", "e03 e04 e07 e16 e19 e23 e24"),
    ("resource:pods/log,serviceaccounts/token", "e13 e20"),
    ('resource:""', "e14 e26"),
    ("resource:*s/proxy", "e25"),
    ("sub:exec,log", "e08 e09 e13"),
    ('-sub:""', "e05 e08 e09 e13 e20 e25"),
    # namespaces, names, API groups
    ("ns:kube-system", "e01 e02 e15 e28"),
    ('ns:""', "e11 e14 e16 e22 e26"),
    ("ns:shop -resource:pods", "e06 e10 e12 e17 e20 e21 e27"),
    ("name:web", "e12 e17"),
    ("name:web-*", "e03 e04 e05 e06 e08 e09 e13 e19 e24"),
    ('name:"http:grafana:3000"', "e25"),
    ("apigroup:apps", "e12 e17"),
    ('apigroup:"" resource:secrets', "e10 e15"),
    ("apigroup:*.k8s.io", "e01 e02 e22 e28"),
    # stage, level, decision
    ("stage:ResponseStarted", "e06 e08 e16"),
    ("stage:requestreceived,responsestarted", "e06 e08 e16 e23"),
    ("level:RequestResponse", "e17 e22"),
    ("level:request*", "e03 e05 e17 e22 e23 e24"),
    ("decision:forbid", "e10 e12 e15"),
    ('decision:""', "e16"),
    # status codes
    ("code:403", "e10 e12 e15"),
    ("code:4xx", "e10 e12 e15 e16"),
    ("code:>=400", "e10 e12 e15 e16 e25"),
    ("code:<200", "e08 e09"),
    (
        "code:<=201 -code:101",
        "e01 e02 e03 e04 e05 e06 e07 e11 e13 e14 e17 e18 e19 e20 e21 e22 e24 e26 e27 e28",
    ),
    ("code:none", "e23"),
    ("code:0,5xx", "e23 e25"),
    ("code:401,503", "e16 e25"),
    ("-code:2xx", "e08 e09 e10 e12 e15 e16 e23 e25"),
    # source IPs, user agents, URIs, audit IDs
    ("ip:10.0.0.2", "e07 e08 e09 e10 e21 e22 e25"),
    ("ip:10.0.0.*", "e01 e02 e03 e07 e08 e09 e10 e19 e21 e22 e23 e24 e25 e28"),
    (
        "ip:10.0.*",
        "e01 e02 e03 e04 e05 e06 e07 e08 e09 e10 e17 e18 e19 e20 e21 e22 e23 e24 e25 e26 e28",
    ),
    ("ip:10.0.0.0/23", "e01 e02 e03 e04 e05 e06 e07 e08 e09 e10 e19 e20 e21 e22 e23 e24 e25 e28"),
    ("ip:2001:DB8:4::17", "e11"),
    ("ip:2001:db8::/32,192.0.2.0/24", "e11 e14 e15 e16"),
    ("ua:kubectl/*", "e07 e08 e09 e10 e11 e12 e13 e21 e22 e25 e27"),
    ("ua:kubectl/v1.31.1*", "e07 e08 e09 e10 e12 e13 e21 e22 e25 e27"),
    ("ua:prometheus*", "e26"),
    ("uri:/healthz,/metrics", "e14 e26"),
    ("uri:*watch=true", "e06"),
    ("uri:/api/v1/namespaces/shop/pods", "e03 e23 e24"),
    ("uri:/API/V1/namespaces/shop/pods*", "e03 e04 e05 e07 e08 e09 e13 e19 e23 e24"),
    (f"id:{audit_id('e12')}", "e12"),
    (f"id:{audit_id('e12').upper()},{audit_id('e21')}", "e12 e21"),
    (f"id:{audit_id('e24')}", "e23 e24"),
    (f"id:{audit_id('e05')[:8]}*", "e05"),
    (f"id:{audit_id('e05')[:15]}*", "e05"),
    (f"id:*{audit_id('e26')[-6:]}", "e26"),
    (f"-id:{audit_id('e01')},{audit_id('e02')} ns:kube-system", "e15 e28"),
    # latency = stage time - received time
    ("latency:>500ms", "e09 e13 e17 e25"),
    ("latency:>=2.5s", "e09 e13 e25"),
    ("latency:<2ms", "e06 e14 e15 e16 e23"),
    ("latency:>=3ms latency:<=6ms", "e01 e02 e10 e12 e21 e27"),
    ("latency:>1m", "e09"),
    ("-latency:<1s", "e09 e13 e25"),
    # time bounds: absolute (inclusive), a bare date, or relative to the newest event
    ("until:2026-11-26T09:03:00Z", "e01 e02 e03"),
    ("since:2026-11-26T09:20:00Z until:2026-11-26T09:22:00Z", "e20 e21 e22"),
    ("since:2026-11-26T10:20:00+01:00 until:2026-11-26T10:22:00+01:00", "e20 e21 e22"),
    ('since:"2026-11-26 09:26:00Z"', "e26 e27 e28"),
    ("since:2026-11-26T09:24:00.000001Z", "e25 e26 e27 e28"),
    ("since:5m", "e23 e24 e25 e26 e27 e28"),
    ("since:300s user:alice*", "e25"),
    ("until:26m", "e01 e02"),
    ("-since:2026-11-26", ""),
    ("since:2026-11-27", ""),
    # the source file an event came from
    ("source:webhook-batch-*.json", "e27 e28"),
    ("source:KUBE-APISERVER-AUDIT.LOG user:bob*", "e12 e13"),
    ("source:*/kube-apiserver-audit.log verb:update", "e02"),
    # several fields together, aliases, case of field names
    ("user:bob@example.com verb:get resource:configmaps", "e27"),
    ("namespace:monitoring status:503", "e25"),
    ("User:bob* Verb:DELETE", "e12"),
    # free text: case-insensitive substring of the raw event, phrases, wildcards, JSON escapes
    ("refused", "e25"),
    ('"connection refused"', "e25"),
    ('"CONNECTION REFUSED" code:5xx', "e25"),
    ("-refused code:5xx", ""),
    ("db-credentials", "e10"),
    ('"User \\"bob@example.com\\" cannot get"', "e10"),
    ("fieldSelector=metadata.name%3Dweb-config&resourceVersion", "e06"),
    ("command=sh&stdin=true", "e08 e09"),
    ("dial*refused", "e25"),
    ("app-settings", "e27"),
    ("kube-scheduler", "e28"),
    ("leader-election -kube-scheduler", "e01 e02"),
    # regex search of the raw text
    ("/connect(ion)?: connection refused/", "e25"),
    ('/"code":40[13]/', "e10 e12 e15 e16"),
    ('/^\\{"kind":"Event"/ verb:delete', "e12 e19 e22"),
    ("/leases\\/kube-(scheduler|controller-manager)/ -verb:get", "e02 e28"),
    ("/APP-SETTINGS/", "e27"),
    ('-/"stage":"Response(Started|Complete)"/', "e23"),
    # OR, NOT and groups
    ("verb:delete OR resource:pods/exec", "e08 e09 e12 e19 e22"),
    ("verb:get OR verb:list", "e01 e04 e07 e10 e11 e13 e14 e15 e16 e18 e21 e25 e26 e27"),
    ("NOT verb:get,list,watch", "e02 e03 e05 e08 e09 e12 e17 e19 e20 e22 e23 e24 e28"),
    (
        "NOT (verb:get OR verb:list OR verb:watch)",
        "e02 e03 e05 e08 e09 e12 e17 e19 e20 e22 e23 e24 e28",
    ),
    ("(verb:delete)", "e12 e19 e22"),
    ("verb:delete OR /APP-SETTINGS/", "e12 e19 e22 e27"),
    ("(resource:pods OR sub:log) (verb:delete OR resource:pods/exec)", "e08 e09 e19"),
    ('-(resource:pods OR resource:"") verb:get,list', "e01 e10 e11 e15 e18 e21 e25 e27"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_query_matches_exactly(cluster: EventStore, text: str, expected: str) -> None:
    assert matching_ids(cluster, text) == ids(expected)


def test_or_not_and_groups_combine_the_rows_of_their_parts(cluster: EventStore) -> None:
    """Every case ORed with, grouped with and negated against its neighbour's rows."""

    def rows(text: str) -> set[int]:  # row ids: an audit ID can be on several rows (stages)
        return set(parse_query(text).filter(cluster).tolist())

    texts = [text for text, _ in CASES if " OR " not in text and "NOT" not in text]
    alone = {text: rows(text) for text in texts}
    everything = rows("")
    for a, b in zip(texts, texts[1:] + texts[:1], strict=True):
        assert rows(f"{a} OR {b}") == alone[a] | alone[b], (a, b)
        assert rows(f"({a}) OR ({b})") == alone[a] | alone[b], (a, b)
        assert rows(f"({a} {b})") == alone[a] & alone[b], (a, b)
        assert rows(f"NOT ({a})") == everything - alone[a], a
        assert rows(f"-({a} OR {b})") == everything - (alone[a] | alone[b]), (a, b)


def test_candidate_rows_restrict_or_and_not_too(cluster: EventStore) -> None:
    text = "(user:alice* code:2xx) OR NOT (verb:get OR resource:pods) OR refused"
    full = parse_query(text).filter(cluster)
    assert full.size
    for start in range(0, len(cluster), 5):
        rows = np.arange(start, min(start + 5, len(cluster)), dtype=np.int64)
        assert parse_query(text).filter(cluster, rows).tolist() == [
            row for row in full.tolist() if start <= row < start + 5
        ]


def test_candidate_rows_restrict_the_result(cluster: EventStore) -> None:
    """Appended rows are filtered alone: the result is the full result restricted to them."""
    full = parse_query("user:alice* code:2xx").filter(cluster)
    for start in range(0, len(cluster), 7):
        rows = np.arange(start, min(start + 7, len(cluster)), dtype=np.int64)
        assert parse_query("user:alice* code:2xx").filter(cluster, rows).tolist() == [
            row for row in full.tolist() if start <= row < start + 7
        ]
    assert parse_query("refused").filter(cluster, np.array([0, 1, 2], np.int64)).size == 0


def test_incremental_filter_equals_full_filter_as_the_log_grows(tmp_path: Path) -> None:
    from kaudit_tui.core.ingest import Ingestor
    from kaudit_tui.core.segments import FileReader

    log = tmp_path / "audit.log"
    lines = [(go_json(make_event(key)) + "\n").encode() for key in EVENTS]
    log.write_bytes(b"".join(lines))
    store = EventStore()
    ingestor = Ingestor(store)
    reader = FileReader(str(log))
    query = parse_query("-user:system:* verb:get,create kubectl")
    view: list[int] = []
    offset = 0
    for start in range(0, len(lines), 5):  # new users, verbs and names appear batch by batch
        batch = b"".join(lines[start : start + 5])
        rows = ingestor.feed(reader, offset, batch)
        offset += len(batch)
        view += query.filter(store, np.arange(rows.start, rows.stop)).tolist()
    assert view == query.filter(store).tolist()
    assert [store.row(row)["id"] for row in view] == ids("e08 e09 e10 e13 e21 e25")


def test_evicted_rows_keep_their_ids(cluster: EventStore, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text("".join(go_json(make_event(key)) + "\n" for key in EVENTS))
    store = index_files(log)
    store.evict_to(10)
    rows = parse_query("verb:get").filter(store)
    assert rows.min() >= store.first_id
    assert [store.row(int(r))["id"] for r in rows] == ids("e21 e25 e26")
    assert parse_query("verb:get").filter(store, np.arange(0, 20)).tolist() == [
        r for r in rows.tolist() if r < 20
    ]


def test_cancelled_filter_raises(cluster: EventStore) -> None:
    with pytest.raises(QueryCancelled):
        parse_query("verb:get").filter(cluster, cancelled=lambda: True)
    with pytest.raises(QueryCancelled):
        parse_query("refused").filter(cluster, cancelled=lambda: True)


def test_fields_used_by_a_query() -> None:
    query = parse_query('user:a -namespace:b,c code:4xx "some text" /re/ since:1h')
    assert query.fields == {"user", "ns", "code", "since"}
    assert query.has_text
    assert not parse_query("verb:get").has_text
    assert query.text == 'user:a -namespace:b,c code:4xx "some text" /re/ since:1h'


def test_extra_fields_come_from_a_callable(cluster: EventStore) -> None:
    """The policy layer's hook: values per row from a callable, matched after parsing."""
    calls: list[np.ndarray] = []

    def rule_of(store: EventStore, rows: np.ndarray) -> np.ndarray:
        calls.append(rows)
        codes = store.column("code")[rows - store.first_id]
        return np.where(codes >= 400, 2, np.where(codes == 0, -1, 0))

    def parse_rule(text: str) -> int:
        return -1 if text == "none" else int(text)

    extra = {"rule": FieldSpec(rule_of, parse_rule, "a rule number or none")}
    assert matching_ids_extra(cluster, "rule:2 -user:system:*", extra) == ids("e10 e12 e16 e25")
    assert matching_ids_extra(cluster, "rule:NONE,2 code:<500", extra) == ids("e10 e12 e15 e16")
    assert matching_ids_extra(cluster, "-rule:0 ns:shop", extra) == ids("e10 e12 e23")
    assert all(rows.dtype == np.int64 for rows in calls)
    query = parse_query("rule:none verb:create", extra_fields=extra)
    assert query.fields == {"rule", "verb"}


def matching_ids_extra(store: EventStore, text: str, extra: dict[str, FieldSpec]) -> list[str]:
    rows = parse_query(text, extra_fields=extra).filter(store)
    return [str(store.row(int(row))["id"]) for row in rows]


@pytest.mark.parametrize(
    ("window", "gap", "sparse"),
    [(1, 0, 0.0), (1 << 20, 1 << 20, 2.0), (3000, 100, 0.0), (3000, 100, 2.0)],
    ids=["window per record", "one window, record by record", "small windows", "small, sparse"],
)
def test_text_results_do_not_depend_on_how_the_file_is_read(
    cluster: EventStore, monkeypatch: pytest.MonkeyPatch, window: int, gap: int, sparse: float
) -> None:
    """Windows split records, merge gaps and switch search strategy: results stay the same."""
    from kaudit_tui.core.query import textscan

    monkeypatch.setattr(textscan, "WINDOW", window)
    monkeypatch.setattr(textscan, "GAP", gap)
    monkeypatch.setattr(textscan, "SPARSE", sparse)
    for text, expected in CASES:
        if parse_query(text).has_text:
            assert matching_ids(cluster, text) == ids(expected), text


def test_cancellation_is_polled_between_blocks(
    cluster: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaudit_tui.core.query import query as query_module

    monkeypatch.setattr(query_module, "BLOCK", 4)
    polls: list[int] = []

    def cancel_on_third_poll() -> bool:
        polls.append(1)
        return len(polls) >= 3

    with pytest.raises(QueryCancelled):
        parse_query("verb:get").filter(cluster, cancelled=cancel_on_third_poll)
    assert len(polls) == 3
    polls.clear()
    assert matching_ids(cluster, "verb:get") == ids("e01 e04 e10 e13 e14 e21 e25 e26 e27")
    assert parse_query("verb:get").filter(cluster, cancelled=lambda: False).size == 9


def test_non_ascii_text_is_found_as_typed(tmp_path: Path) -> None:
    event = make_event("e25")
    event["responseStatus"]["message"] = "Zugriff verweigert: Übergabe für Café-Dienst"
    log = tmp_path / "audit.log"
    log.write_text(go_json(event) + "\n" + go_json(make_event("e26")) + "\n", encoding="utf-8")
    store = index_files(log)
    for text in ("Übergabe", "café-dienst", "ZUGRIFF", "/Übergabe .+ CAFé/", '"für Café"'):
        assert matching_ids(store, text) == ids("e25"), text


def test_one_query_serves_several_stores(tmp_path: Path) -> None:
    """Masks are cached per store table: the same values get other codes in another store."""
    forward, backward = tmp_path / "forward.log", tmp_path / "backward.log"
    forward.write_text("".join(go_json(make_event(key)) + "\n" for key in EVENTS))
    backward.write_text("".join(go_json(make_event(key)) + "\n" for key in reversed(EVENTS)))
    query = parse_query("user:bob*,system:anonymous -verb:list name:web*,db-*")
    first, second = index_files(forward), index_files(backward)
    for store in (first, second, first):
        found = {store.row(int(row))["id"] for row in query.filter(store)}
        assert found == set(ids("e12 e13"))
