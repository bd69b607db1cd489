"""One-line notes: stdout logging, legacy format, maxsize 0, webhook-only, no policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaudit_tui.discovery import DiscoveryError, discover

from .discovery_nodes import manifest, write

MOUNTS = "    - {name: logs, mountPath: /var/log/kubernetes}\n"
VOLUMES = "  - {name: logs, hostPath: {path: /var/log/kubernetes}}\n"
POLICY = "--audit-policy-file=/var/log/kubernetes/policy.yaml"


def node_with(root: Path, args: list[str], image: str = "") -> Path:
    write(root, "/etc/hostname", "CP-7.example.com\n")
    write(root, "/var/log/kubernetes/policy.yaml", "rules: [{level: Metadata}]\n")
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        manifest(args, MOUNTS, VOLUMES, image),
    )
    return root


def test_stdout_logging_gives_the_commands_that_pipe_it_in(tmp_path: Path) -> None:
    found = discover(root=str(node_with(tmp_path, ["--audit-log-path=-", POLICY])))
    assert found.log_path is None and found.log_paths == []
    assert found.notes == [
        "Audit events go to the apiserver's standard output (--audit-log-path=-), mixed with "
        "its other output; pipe them in: kubectl -n kube-system logs -f kube-apiserver-cp-7 "
        "-c kube-apiserver | kaudit-tui -; or crictl logs -f $(crictl ps -q --name "
        "kube-apiserver) | kaudit-tui -"
    ]
    assert "standard output of the apiserver" in found.render()


def test_legacy_format(tmp_path: Path) -> None:
    root = node_with(
        tmp_path,
        ["--audit-log-path=/var/log/kubernetes/a.log", POLICY, "--audit-log-format=legacy"],
    )
    found = discover(root=str(root))
    assert found.log_format == "legacy"
    assert found.notes == [
        f"{root}/var/log/kubernetes/a.log does not exist yet: the apiserver creates it with its "
        "first event",
        "Legacy log format: one text line per event, without level, API group, resource or "
        "bodies; resource and name are rebuilt from the URI and the level stays empty",
    ]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            "registry.k8s.io/kube-apiserver:v1.36.0",
            "--audit-log-maxsize=0: the log is never rotated and grows without limit",
        ),
        (
            "registry.k8s.io/kube-apiserver:v1.35.4",
            "--audit-log-maxsize=0 before Kubernetes 1.36 means the default: rotation at 100 MB",
        ),
        (
            "my-registry/apiserver:latest",
            "--audit-log-maxsize=0: from Kubernetes 1.36 the log is never rotated and grows "
            "without limit; before 1.36 it is rotated at 100 MB",
        ),
    ],
)
def test_maxsize_zero_depends_on_the_version(tmp_path: Path, image: str, expected: str) -> None:
    write(tmp_path, "/var/log/kubernetes/a.log", "")
    root = node_with(
        tmp_path,
        ["--audit-log-path=/var/log/kubernetes/a.log", POLICY, "--audit-log-maxsize=0"],
        image,
    )
    assert discover(root=str(root)).notes == [expected]


def test_no_policy_file_means_no_events(tmp_path: Path) -> None:
    write(tmp_path, "/var/log/kubernetes/a.log", "")
    found = discover(root=str(node_with(tmp_path, ["--audit-log-path=/var/log/kubernetes/a.log"])))
    assert found.notes == ["No --audit-policy-file: the apiserver records no audit events at all"]
    assert "policy    none (no --audit-policy-file)" in found.render()


def test_auditing_off(tmp_path: Path) -> None:
    found = discover(root=str(node_with(tmp_path, ["--v=2"])))
    assert found.notes == ["Auditing is off: the apiserver has no --audit-log-path and no webhook"]
    assert "log       none (no --audit-log-path)" in found.render()


def test_invalid_values_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "/var/log/kubernetes/a.log", "")
    root = node_with(
        tmp_path,
        [
            "--audit-log-path=/var/log/kubernetes/a.log",
            POLICY,
            "--audit-log-format=xml",
            "--audit-log-maxage=soon",
        ],
    )
    found = discover(root=str(root))
    assert found.log_format == "json"
    assert found.notes == [
        "Ignored --audit-log-maxage=soon: kube-apiserver would reject it",
        "--audit-log-format=xml is not json or legacy: kube-apiserver would refuse to start "
        "with it",
    ]


def test_policy_without_rules(tmp_path: Path) -> None:
    write(tmp_path, "/var/log/kubernetes/a.log", "")
    root = node_with(tmp_path, ["--audit-log-path=/var/log/kubernetes/a.log", POLICY])
    write(root, "/var/log/kubernetes/policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\n")
    assert discover(root=str(root)).notes == [
        f"The policy {root}/var/log/kubernetes/policy.yaml has no rules: kube-apiserver "
        "refuses to load it"
    ]


def test_nothing_found_lists_what_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError) as err:
        discover(root=str(tmp_path))
    text = str(err.value)
    assert text.startswith(
        f"kaudit-tui: no kube-apiserver audit configuration found under {tmp_path}"
    )
    for looked_for in (
        "/etc/kubernetes/manifests",
        "staticPodPath",
        f"{tmp_path}/proc",
        "/etc/rancher/{k3s,rke2}/config.yaml",
        "kube-apiserver.service",
        "--root DIR",
        "--manifest PATH",
    ):
        assert looked_for in text
    assert len(text.splitlines()) <= 10


def test_skipped_files_are_listed_when_nothing_is_found(tmp_path: Path) -> None:
    write(tmp_path, "/etc/kubernetes/manifests/kube-apiserver.yaml", "kind: Pod\nspec: {}\n")
    with pytest.raises(DiscoveryError) as err:
        discover(root=str(tmp_path))
    assert (
        f"  ! Skipped {tmp_path}/etc/kubernetes/manifests/kube-apiserver.yaml: no container "
        "in it runs kube-apiserver"
    ) in str(err.value).splitlines()
