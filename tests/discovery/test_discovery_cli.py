"""The real program: ``kaudit-tui --where``, ``--root`` with the headless modes, exit codes."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from .test_discovery_process import fake_apiserver, running


def kaudit(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_where_prints_the_settings(node) -> None:
    root = node("kubeadm")
    done = kaudit("--where", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "kube-apiserver audit settings",
        f"  from      static pod manifest {root}/etc/kubernetes/manifests/kube-apiserver.yaml",
        f"  log       {root}/var/log/kubernetes/audit/audit.log",
    ]
    assert done.stderr == ""


def test_where_with_nothing_found_exits_2(tmp_path: Path) -> None:
    done = kaudit("--where", "--root", str(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("kaudit-tui: no kube-apiserver audit configuration found under")
    assert "Traceback" not in done.stderr


def needs_headless_modes() -> None:
    """The headless modes need the query language, which may land on main after this test."""
    pytest.importorskip("kaudit_tui.core.query", reason="the query language is not built yet")


def test_root_with_stats_reads_the_discovered_rotated_set(node) -> None:
    needs_headless_modes()
    root = node("kops")
    done = kaudit("--root", str(root), "--stats", "--json")
    assert done.returncode == 0, done.stderr
    # the backup holds 8 events and the active log 12
    assert json.loads(done.stdout)["total"] == 20
    assert done.stderr.splitlines() == [
        f"kaudit-tui: reading 2 files of {root}/var/log/kube-apiserver-audit.log "
        f"(static pod manifest {root}/etc/kubernetes/manifests/kube-apiserver.manifest)",
        "kaudit-tui: --audit-log-maxsize=0: the log is never rotated and grows without limit",
    ]


def test_nothing_to_open_exits_2_and_says_why(node) -> None:
    root = node("systemd")
    done = kaudit("--root", str(root), "--stats")
    assert done.returncode == 2
    assert "  - Webhook only: events go to https://audit-collector.example.com" in done.stderr
    assert done.stderr.rstrip().endswith(
        f"no audit log to open from systemd unit {root}/etc/systemd/system/kube-apiserver.service"
    )


def test_root_and_a_source_together_is_a_usage_error(node) -> None:
    done = kaudit("--root", str(node("kubeadm")), "--print", "some.log")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "kaudit-tui: --root and --manifest find the audit log themselves: give no SOURCE"
    )


@pytest.mark.skipif(
    os.path.exists("/etc/kubernetes/manifests/kube-apiserver.yaml"),
    reason="this machine is a control-plane node: its own apiserver would be found",
)
def test_bare_command_on_a_terminal_finds_the_running_apiserver(tmp_path: Path) -> None:
    needs_headless_modes()
    log = tmp_path / "kube-apiserver-audit.log"
    sample = Path(__file__).parent.parent / "data/nodes/kops/var/log/kube-apiserver-audit.log"
    log.write_text(sample.read_text())
    controller, terminal = pty.openpty()
    try:
        with running(fake_apiserver([f"--audit-log-path={log}"])) as proc:
            done = kaudit("--stats", "--json", stdin=terminal)
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == len(sample.read_text().splitlines())
    assert f"(process {proc.pid} (kube-apiserver, user " in done.stderr.splitlines()[0]
    assert "No --audit-policy-file" in done.stderr
