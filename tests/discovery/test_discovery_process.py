"""Discovery from a running process: real subprocesses whose command line is kube-apiserver's."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kaudit_tui.discovery import discover

from .discovery_nodes import manifest, write

SLEEP = "import time; time.sleep(120)"


def wait_for_argv0(proc: subprocess.Popen[bytes], argv0: str) -> None:
    """Wait until the child has exec'd into the program named ``argv0``."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{proc.pid}/cmdline", "rb") as handle:
                if handle.read().split(b"\0")[0] == argv0.encode():
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"child exited early: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.02)
    raise TimeoutError("child did not start")


@contextmanager
def running(argv: list[str], argv0: str = "kube-apiserver") -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        wait_for_argv0(proc, argv0)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def fake_apiserver(flags: list[str]) -> list[str]:
    """bash replaces itself with Python under the name kube-apiserver, flags after the script."""
    words = " ".join(shlex.quote(w) for w in [sys.executable, "-c", SLEEP, *flags])
    return ["bash", "-c", f"exec -a kube-apiserver {words}"]


def test_running_kube_apiserver_command_line(node) -> None:
    root = node("kops")
    os.remove(root / "etc/kubernetes/manifests/kube-apiserver.manifest")
    flags = [
        "--audit-log-path=/var/log/kube-apiserver-audit.log",
        "--audit-policy-file",
        "/srv/kubernetes/kube-apiserver/audit-policy-config.yaml",
        "--audit-log-maxbackup=1",
    ]
    with running(fake_apiserver(flags)) as proc:
        found = discover(root=str(root), proc="/proc")
    user = "root" if os.geteuid() == 0 else str(os.geteuid())
    assert found.kind == "process"
    assert found.origin == f"process {proc.pid} (kube-apiserver, user {user}) command line"
    assert found.log_path == str(root / "var/log/kube-apiserver-audit.log")
    assert len(found.log_paths) == 2
    assert found.policy_path == str(root / "srv/kubernetes/kube-apiserver/audit-policy-config.yaml")
    assert found.max_backups == 1


def test_manifest_comes_before_a_running_process(node) -> None:
    root = node("kubeadm")
    with running(fake_apiserver(["--audit-log-path=/elsewhere.log"])):
        found = discover(root=str(root), proc="/proc")
    assert found.kind == "manifest"
    assert found.log_path_in_apiserver == "/var/log/audit/audit.log"


def test_hostile_command_line_is_escaped_in_the_report(tmp_path: Path) -> None:
    hostile = "/tmp/\x1b]0;owned\x07\x1b[2J.log"
    with running(fake_apiserver([f"--audit-log-path={hostile}"])):
        found = discover(root=str(tmp_path), proc="/proc")
    text = found.render() + "\n".join(found.notes)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;owned\\x07\\x1b[2J.log" in text


def unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True
    )
    return probe.returncode == 0


needs_mount_namespace = pytest.mark.skipif(
    not unshare_works(), reason="creating a mount namespace needs root and unshare(1)"
)


@contextmanager
def contained_apiserver(private: Path, flags: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """An apiserver in its own mount namespace whose log lives on a private tmpfs."""
    words = " ".join(shlex.quote(w) for w in [sys.executable, "-c", SLEEP, *flags])
    script = (
        f"mount -t tmpfs kaudit-test {shlex.quote(str(private))} && "
        f"printf '{{}}\\n' > {shlex.quote(str(private))}/audit.log && "
        f"exec -a kube-apiserver {words}"
    )
    argv = ["unshare", "--mount", "--propagation", "private", "bash", "-c", script]
    with running(argv) as proc:
        yield proc


@needs_mount_namespace
def test_process_in_a_container_is_read_through_proc_root(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    with contained_apiserver(private, [f"--audit-log-path={private}/audit.log"]) as proc:
        found = discover(root=str(tmp_path / "node"), proc="/proc")
        expected = f"/proc/{proc.pid}/root{private}/audit.log"
        assert found.log_path == expected
        assert found.log_paths == [expected]
        assert found.readable_log_paths == [expected]
    assert not (private / "audit.log").exists()  # only the process's namespace has it


@needs_mount_namespace
def test_manifest_path_off_hostpath_falls_back_to_the_live_container(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    root = tmp_path / "node"
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        manifest(
            [f"--audit-log-path={private}/audit.log"],
            f"    - {{name: scratch, mountPath: {private}}}\n",
            "  - {name: scratch, emptyDir: {}}\n",
        ),
    )
    with contained_apiserver(private, [f"--audit-log-path={private}/other.log"]) as proc:
        found = discover(root=str(root), proc="/proc")
    assert found.kind == "manifest"
    assert found.log_path == f"/proc/{proc.pid}/root{private}/audit.log"
    assert found.notes[-1].startswith(f"The running apiserver (process {proc.pid} (kube-apiserver")
    assert f"--audit-log-path={private}/other.log" in found.notes[-1]
