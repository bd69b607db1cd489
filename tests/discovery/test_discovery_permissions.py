"""Files only root may read: a clear note that suggests sudo, checked by a real unprivileged user.

The tests run as root in CI, and mode bits do not stop root from reading. So the
unprivileged cases run discovery in a child process as user ``nobody`` (``setpriv``);
run as a normal user, they run in-process instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaudit_tui.discovery import DiscoveryError, discover
from tests.conftest import as_nobody

from .discovery_nodes import NODES

NOBODY = 65534
CHILD = """
import json, sys
from kaudit_tui.discovery import DiscoveryError, discover
try:
    found = discover(root=sys.argv[1])
except DiscoveryError as exc:
    print(json.dumps({"error": str(exc)}))
else:
    print(json.dumps({"notes": found.notes, "log_paths": found.log_paths,
                      "readable": found.readable_log_paths}))
"""


@pytest.fixture
def shared_node() -> Iterator[Path]:
    """The kubeadm node in a directory other users can enter (pytest's tmp_path is 0700)."""
    top = Path(tempfile.mkdtemp(prefix="kaudit-perm-"))
    top.chmod(0o755)
    root = top / "kubeadm"
    shutil.copytree(NODES / "kubeadm", root)
    try:
        yield root
    finally:
        shutil.rmtree(top)


def discover_unprivileged(root: Path) -> dict[str, Any]:
    """Run discovery as a user without root's powers and return what it found."""
    if os.geteuid() != 0:
        try:
            found = discover(root=str(root))
        except DiscoveryError as exc:
            return {"error": str(exc)}
        return {
            "notes": found.notes,
            "log_paths": found.log_paths,
            "readable": found.readable_log_paths,
        }
    argv = as_nobody([sys.executable, "-c", CHILD, str(root)])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def log_dir(root: Path) -> Path:
    return root / "var/log/kubernetes/audit"


def test_log_readable_only_by_root_suggests_sudo(shared_node: Path) -> None:
    for path in log_dir(shared_node).iterdir():
        path.chmod(0o600)
    result = discover_unprivileged(shared_node)
    assert len(result["log_paths"]) == 3
    assert result["readable"] == []
    assert result["notes"] == [
        f"Cannot read {log_dir(shared_node)}/audit-2026-11-25T09-12-44.118.log.gz: permission "
        "denied (owner root, mode 0600); audit files are usually readable only by root: run "
        "kaudit-tui with sudo (2 more files too)"
    ]


def test_log_directory_closed_to_others(shared_node: Path) -> None:
    log_dir(shared_node).chmod(0o700)
    result = discover_unprivileged(shared_node)
    assert result["log_paths"] == []
    assert result["notes"] == [
        f"Cannot list {log_dir(shared_node)} for rotated backups: permission denied "
        "(owner root, mode 0700); audit files are usually readable only by root: run "
        "kaudit-tui with sudo"
    ]


def test_manifest_readable_only_by_root(shared_node: Path) -> None:
    manifest = shared_node / "etc/kubernetes/manifests/kube-apiserver.yaml"
    manifest.chmod(0o600)  # what kubeadm writes
    result = discover_unprivileged(shared_node)
    assert "error" in result
    assert (
        f"  ! Cannot read {manifest}: permission denied (owner root, mode 0600); audit files "
        "are usually readable only by root: run kaudit-tui with sudo"
    ) in result["error"].splitlines()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root reads files whose mode is 000")
def test_root_reads_a_mode_000_log_so_no_permission_note(node) -> None:
    root = node("kubeadm")
    (log_dir(root) / "audit.log").chmod(0)
    found = discover(root=str(root))
    assert found.notes == []
    assert found.readable_log_paths == found.log_paths
