"""Discovery from static pod manifests: kubeadm and kops nodes, hostPath resolution."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kaudit_tui.discovery import Discovery, DiscoveryError, discover

from .discovery_nodes import manifest, write


def names(paths: list[str]) -> list[str]:
    return [os.path.basename(p) for p in paths]


def test_kubeadm_log_and_policy_resolved_through_hostpath_volumes(node) -> None:
    root = node("kubeadm")
    found = discover(root=str(root))
    # inside the pod: /var/log/audit/audit.log and /etc/kubernetes/audit-policy.yaml
    assert found.log_path == str(root / "var/log/kubernetes/audit/audit.log")
    assert found.policy_path == str(root / "etc/kubernetes/audit/policy.yaml")
    assert found.log_path_in_apiserver == "/var/log/audit/audit.log"
    assert (
        found.origin == f"static pod manifest {root}/etc/kubernetes/manifests/kube-apiserver.yaml"
    )
    assert (found.log_format, found.max_size_mb, found.max_backups) == ("json", 100, 10)
    assert (found.max_age_days, found.compress) == (30, True)
    assert found.notes == []


def test_kubeadm_rotated_backups_oldest_first_plain_file_beats_partial_gzip(node) -> None:
    found = discover(root=str(node("kubeadm")))
    assert names(found.log_paths) == [
        "audit-2026-11-25T09-12-44.118.log.gz",
        "audit-2026-11-26T03-40-07.552.log",
        "audit.log",
    ]
    assert found.readable_log_paths == found.log_paths


def test_kops_go_runner_flags_sidecar_and_directory_mount(node) -> None:
    root = node("kops")
    found = discover(root=str(root))
    assert found.origin.endswith("/etc/kubernetes/manifests/kube-apiserver.manifest")
    assert found.log_path == str(root / "var/log/kube-apiserver-audit.log")
    assert names(found.log_paths) == [
        "kube-apiserver-audit-2026-11-26T11-00-00.000.log",
        "kube-apiserver-audit.log",
    ]
    assert found.policy_path == str(root / "srv/kubernetes/kube-apiserver/audit-policy-config.yaml")
    assert found.max_size_mb == 0
    # the image is 1.36: maxsize 0 means no rotation at all
    assert found.notes == [
        "--audit-log-maxsize=0: the log is never rotated and grows without limit"
    ]


def test_kubelet_static_pod_path_is_searched_first(tmp_path: Path) -> None:
    write(tmp_path, "/var/lib/kubelet/config.yaml", "staticPodPath: /opt/pods\n")
    write(tmp_path, "/opt/pods/kube-apiserver.yaml", manifest(["--audit-log-path=/a/one.log"]))
    write(
        tmp_path,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        manifest(["--audit-log-path=/a/two.log"]),
    )
    found = discover(root=str(tmp_path))
    assert found.log_path_in_apiserver == "/a/one.log"


def test_subpath_mount_and_longest_mount_wins(tmp_path: Path) -> None:
    mounts = (
        "    - {name: logs, mountPath: /var/log}\n"
        "    - {name: audit, mountPath: /var/log/audit, subPath: cluster-a}\n"
    )
    volumes = (
        "  - {name: logs, hostPath: {path: /var/log}}\n"
        "  - {name: audit, hostPath: {path: /data/audit}}\n"
    )
    write(
        tmp_path,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        manifest(["--audit-log-path=/var/log/audit/kube.log"], mounts, volumes),
    )
    found = discover(root=str(tmp_path))
    assert found.log_path == str(tmp_path / "data/audit/cluster-a/kube.log")


def test_log_not_on_a_hostpath_volume_is_explained(tmp_path: Path) -> None:
    mounts = "    - {name: scratch, mountPath: /audit}\n"
    volumes = "  - {name: scratch, emptyDir: {}}\n"
    write(
        tmp_path,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        manifest(
            ["--audit-log-path=/audit/audit.log", "--audit-policy-file=/p.yaml"], mounts, volumes
        ),
    )
    found = discover(root=str(tmp_path))
    assert found.log_path is None and found.log_paths == []
    assert found.policy_path is None
    assert found.notes[0].startswith("/audit/audit.log is on a emptyDir volume, not on a hostPath")
    assert "the container's own filesystem" in found.notes[1]


def test_path_in_flags_cannot_climb_out_of_root(tmp_path: Path) -> None:
    mounts = "    - {name: logs, mountPath: /logs}\n"
    volumes = "  - {name: logs, hostPath: {path: /../../../etc}}\n"
    write(
        tmp_path,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        manifest(["--audit-log-path=/logs/../../logs/shadow"], mounts, volumes),
    )
    found = discover(root=str(tmp_path))
    assert found.log_path == str(tmp_path / "etc/shadow")


def test_explicit_manifest_is_used_instead_of_searching(node, tmp_path: Path) -> None:
    root = node("kubeadm")
    other = write(tmp_path, "/elsewhere/apiserver.yaml", manifest(["--audit-log-path=-"]))
    found = discover(root=str(root), manifest=str(other))
    assert found.origin == f"static pod manifest {other}"
    assert found.log_path_in_apiserver == "-" and found.log_path is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "kind: Pod\nspec: {containers: [{name: x, command: [etcd]}]}\n",
            "no container in it runs kube-apiserver",
        ),
        ("spec: [unclosed\n", "not valid YAML"),
    ],
)
def test_explicit_manifest_that_is_not_an_apiserver_pod(tmp_path: Path, text, reason) -> None:
    path = write(tmp_path, "/m.yaml", text)
    with pytest.raises(DiscoveryError) as err:
        discover(root=str(tmp_path), manifest=str(path))
    assert str(err.value).startswith(f"kaudit-tui: {path}: {reason}")


def test_explicit_manifest_missing(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match=r"kaudit-tui: .*/nope.yaml does not exist"):
        discover(root=str(tmp_path), manifest=str(tmp_path / "nope.yaml"))


def test_broken_manifest_is_skipped_with_a_note(node) -> None:
    root = node("kubeadm")
    write(root, "/etc/kubernetes/manifests/kube-apiserver.yaml", "spec: [unclosed\n")
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.manifest",
        manifest(
            ["--audit-log-path=/var/log/kubernetes/audit/audit.log"],
            "    - {name: l, mountPath: /var/log}\n",
            "  - {name: l, hostPath: {path: /var/log}}\n",
        ),
    )
    found = discover(root=str(root))
    assert found.origin.endswith("kube-apiserver.manifest")
    assert found.notes[0].startswith(f"Skipped {root}/etc/kubernetes/manifests/kube-apiserver.yaml")
    assert len(found.log_paths) == 3


def test_render_lists_paths_rotation_policy(node) -> None:
    root = node("kubeadm")
    text = discover(root=str(root)).render()
    assert text.splitlines() == [
        "kube-apiserver audit settings",
        f"  from      static pod manifest {root}/etc/kubernetes/manifests/kube-apiserver.yaml",
        f"  log       {root}/var/log/kubernetes/audit/audit.log",
        "            (the apiserver writes it as /var/log/audit/audit.log)",
        "  files     active log + 2 rotated backups (1 compressed)",
        "  format    json",
        "  rotation  maxsize 100 MB, maxbackup 10, maxage 30 days, compress on",
        f"  policy    {root}/etc/kubernetes/audit/policy.yaml",
        "            (the apiserver reads it as /etc/kubernetes/audit-policy.yaml)",
    ]


def test_discovery_is_a_plain_dataclass_the_cli_can_use() -> None:
    found = Discovery(origin="x", log_path="/l", log_paths=["/l"])
    assert found.log_format == "json" and found.notes == [] and found.compress is False
