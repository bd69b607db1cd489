"""k3s, RKE2 and hand-made systemd installs: flags written in config files and units."""

from __future__ import annotations

import os
from pathlib import Path

from kaudit_tui.discovery import discover
from kaudit_tui.discovery.systemd import unit_argv

from .discovery_nodes import manifest, write


def test_k3s_config_dropin_and_unit_options_merge(node) -> None:
    root = node("k3s")
    found = discover(root=str(root))
    assert found.kind == "k3s"
    assert found.origin == (
        f"k3s server settings in {root}/etc/rancher/k3s/config.yaml, "
        f"{root}/etc/rancher/k3s/config.yaml.d/90-legacy.yaml, "
        f"systemd unit {root}/etc/systemd/system/k3s.service"
    )
    assert found.log_path == str(root / "srv/k3s/server/logs/audit.log")
    assert found.policy_path == str(root / "srv/k3s/server/audit.yaml")
    assert found.log_format == "legacy"  # from the kube-apiserver-arg+ drop-in
    assert found.max_backups == 5  # the unit's --kube-apiserver-arg comes last
    assert (found.max_size_mb, found.max_age_days) == (100, 30)
    assert found.notes == [
        "Legacy log format: one text line per event, without level, API group, resource or "
        "bodies; resource and name are rebuilt from the URI and the level stays empty"
    ]


def test_k3s_without_audit_flags_says_how_to_turn_it_on(tmp_path: Path) -> None:
    write(tmp_path, "/etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: '0644'\n")
    found = discover(root=str(tmp_path))
    assert found.log_path is None and found.log_paths == []
    assert found.notes[0] == "Auditing is off: the apiserver has no --audit-log-path and no webhook"
    assert (
        "kube-apiserver-arg" in found.notes[1] and "/etc/rancher/k3s/config.yaml" in found.notes[1]
    )


def test_k3s_dropin_without_plus_replaces_the_list(tmp_path: Path) -> None:
    write(
        tmp_path,
        "/etc/rancher/k3s/config.yaml",
        "kube-apiserver-arg: [audit-log-path=/a.log, audit-log-maxage=3]\n",
    )
    write(
        tmp_path,
        "/etc/rancher/k3s/config.yaml.d/10-x.yaml",
        "kube-apiserver-arg: [audit-log-path=/b.log]\n",
    )
    found = discover(root=str(tmp_path))
    assert found.log_path_in_apiserver == "/b.log"
    assert found.max_age_days is None


def test_rke2_adds_its_own_audit_defaults(node) -> None:
    root = node("rke2")
    found = discover(root=str(root))
    assert found.kind == "rke2"
    assert found.log_path == str(root / "var/lib/rancher/rke2/server/logs/audit.log")
    assert found.log_paths == [found.log_path]
    assert found.policy_path == str(root / "etc/rancher/rke2/audit-policy.yaml")
    # RKE2 sets maxage 30, maxbackup 10, maxsize 100; the user's args come after them
    assert (found.max_age_days, found.max_backups, found.max_size_mb) == (7, 3, 100)
    assert found.notes == [
        f"The policy {root}/etc/rancher/rke2/audit-policy.yaml records nothing: every rule is "
        "at level None (RKE2 installs such a policy until it is edited)"
    ]


def test_rke2_custom_data_dir_finds_its_pod_manifest(tmp_path: Path) -> None:
    write(tmp_path, "/etc/rancher/rke2/config.yaml", "data-dir: /data/rke2\n")
    mounts = "    - {name: dir1, mountPath: /data/rke2/server/logs}\n"
    volumes = "  - {name: dir1, hostPath: {path: /data/rke2/server/logs}}\n"
    write(
        tmp_path,
        "/data/rke2/agent/pod-manifests/kube-apiserver.yaml",
        manifest(
            [
                "--audit-log-path=/data/rke2/server/logs/audit.log",
                "--audit-policy-file=/etc/rancher/rke2/audit-policy.yaml",
            ],
            mounts,
            volumes,
        ),
    )
    found = discover(root=str(tmp_path))
    assert found.origin.startswith("RKE2 static pod manifest ")
    assert found.log_path == str(tmp_path / "data/rke2/server/logs/audit.log")


def test_hand_made_unit_with_environment_file_webhook_only(node) -> None:
    root = node("systemd")
    found = discover(root=str(root))
    assert found.kind == "systemd"
    assert found.log_path is None and found.log_paths == []
    assert found.policy_path == str(root / "etc/kubernetes/audit-policy.yaml")
    assert found.webhook_config == str(root / "etc/kubernetes/audit-webhook.kubeconfig")
    assert found.notes == [
        "Webhook only: events go to https://audit-collector.example.com:8443/k8s-audit (from "
        "/etc/kubernetes/audit-webhook.kubeconfig) and nothing is written on this node; read "
        "them where the webhook receiver stores them, or add --audit-log-path"
    ]


def test_unit_dropin_replaces_exec_start(node) -> None:
    root = node("systemd")
    write(
        root,
        "/etc/systemd/system/kube-apiserver.service.d/20-audit.conf",
        "[Service]\nExecStart=\nExecStart=/usr/bin/kube-apiserver --audit-log-path=/var/a.log "
        '"${KUBE_API_ARGS}"\n',
    )
    argv = unit_argv(str(root), "/etc/systemd/system/kube-apiserver.service")
    assert argv[:2] == ["/usr/bin/kube-apiserver", "--audit-log-path=/var/a.log"]
    assert argv[2].startswith("--audit-policy-file=/etc/kubernetes/audit-policy.yaml --audit")
    assert len(argv) == 3  # ${VAR} stays one word


def test_unit_in_usr_lib_is_found_when_etc_has_none(tmp_path: Path) -> None:
    write(
        tmp_path,
        "/usr/lib/systemd/system/kube-apiserver.service",
        "[Service]\nExecStart=/usr/bin/kube-apiserver --audit-log-path=- "
        "--audit-policy-file=/p.yaml\n",
    )
    found = discover(root=str(tmp_path))
    assert found.origin == f"systemd unit {tmp_path}/usr/lib/systemd/system/kube-apiserver.service"
    assert found.log_path_in_apiserver == "-"
    assert "journalctl -u kube-apiserver -f -o cat | kaudit-tui -" in found.notes[0]
    assert os.path.basename(found.notes[-1]) == "p.yaml does not exist"
