"""``--rbac-for USER`` as a real process on the audit2rbac demo logs: YAML documents on stdout
(parsed back here), the header of counts, ``-q`` and ``--rbac-skip-denied``, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import LOGS
from tests.core.rbac_authorizer import Attributes, allows

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
CLEANED = LOGS / "liggitt-audit2rbac-demo-v1-cleaned.log"
RBAC = "rbac.authorization.k8s.io"


def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def rbac(*argv: str | Path) -> tuple[list[str], list[dict]]:
    """(the header comment lines, the YAML documents) of a successful run."""
    result = run(*argv)
    assert result.returncode == 0, result.stderr
    header = [line for line in result.stdout.splitlines() if line.startswith("#")]
    return header, list(yaml.safe_load_all(result.stdout))


@pytest.mark.parametrize("log", [LIGGITT, CLEANED], ids=lambda p: p.name)
def test_bob_gets_a_cluster_role_and_a_role_per_namespace(log: Path) -> None:
    header, documents = rbac("--rbac-for", "bob", log)
    assert header[0] == "# kaudit-tui: 29 requests by bob (4 of them denied)"
    assert [(d["kind"], d["metadata"].get("namespace")) for d in documents] == [
        ("ClusterRole", None), ("ClusterRoleBinding", None),
        ("Role", "default"), ("RoleBinding", "default"),
        ("Role", "ns1"), ("RoleBinding", "ns1"),
    ]  # fmt: skip
    for document in documents:
        assert document["apiVersion"] == f"{RBAC}/v1"
        assert document["metadata"]["name"] == "kaudit:bob"
        assert document["metadata"]["labels"] == {"kaudit-tui/rbac-for": "kaudit-bob"}
    cluster_role, cluster_binding, role, binding = documents[:4]
    assert cluster_role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]
    assert cluster_binding["roleRef"] == {
        "apiGroup": RBAC,
        "kind": "ClusterRole",
        "name": "kaudit:bob",
    }
    assert binding["roleRef"] == {"apiGroup": RBAC, "kind": "Role", "name": "kaudit:bob"}
    assert binding["subjects"] == [{"kind": "User", "apiGroup": RBAC, "name": "bob"}]
    assert allows(documents, Attributes("bob", "list", resource="pods", namespace="ns1"))
    assert not allows(documents, Attributes("bob", "list", resource="pods", namespace="ns2"))
    assert not allows(documents, Attributes("alice", "list", resource="nodes"))


def test_a_service_account_is_bound_as_one_in_its_namespace() -> None:
    _, documents = rbac("--rbac-for", "system:serviceaccount:ns1:sa1", LIGGITT)
    bindings = [d for d in documents if d["kind"].endswith("Binding")]
    assert bindings
    for binding in bindings:
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "sa1", "namespace": "ns1"}
        ]
        assert binding["metadata"]["name"] == "kaudit:system:serviceaccount:ns1:sa1"


def test_the_admin_who_impersonated_is_not_given_what_it_did_as_others() -> None:
    _, documents = rbac("--rbac-for", "system:admin", LIGGITT)
    resources = {
        r for d in documents for rule in d.get("rules", ()) for r in rule.get("resources", ())
    }
    assert resources == {"clusterrolebindings", "clusterroles", "rolebindings", "roles"}


def test_the_query_narrows_and_denied_requests_are_counted_when_left_out() -> None:
    header, documents = rbac("--rbac-for", "alice", "-q", "ns:ns1", "--rbac-skip-denied", LIGGITT)
    assert header == [
        "# kaudit-tui: 0 requests by alice; 3 denied requests left out",
        "# nothing to grant",
    ]
    assert documents == []
    header, documents = rbac("--rbac-for", "bob", "-q", "ns:ns1 -code:403", LIGGITT)
    assert header[0] == "# kaudit-tui: 0 requests by bob"
    header, documents = rbac(
        "--rbac-for", "bob", "--rbac-skip-denied", "--rbac-name", "bob-reader", LIGGITT
    )
    assert header[0] == "# kaudit-tui: 25 requests by bob; 4 denied requests left out"
    assert {d["metadata"]["name"] for d in documents} == {"bob-reader"}
    assert [d["metadata"].get("namespace") for d in documents if d["kind"] == "Role"] == ["default"]


def test_nobody_gets_a_header_and_a_note() -> None:
    result = run("--rbac-for", "nobody", LIGGITT)
    assert result.returncode == 0
    assert result.stdout == "# kaudit-tui: 0 requests by nobody\n# nothing to grant\n"
    assert "no request by nobody" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rbac-name", "x"], "go with --rbac-for"),
        (["--rbac-skip-denied"], "go with --rbac-for"),
        (["--rbac-for", "bob", "--rbac-name", "a/b"], "cannot contain '/'"),
        (["--rbac-for", "bob", "--stats"], "without the other modes"),
        (["--rbac-for", ""], "needs a user name"),
    ],
)
def test_usage_errors(argv: list[str], message: str) -> None:
    result = run(*argv, LIGGITT)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
