"""Find running kube-apiserver, k3s and RKE2 server processes through ``/proc``.

``/proc/PID/cmdline`` and ``/proc/PID/cgroup`` are readable by every user, so this works
without sudo; the files the flags name may still need it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from kaudit_tui.discovery.flags import apiserver_argv

_UNIT = re.compile(r"/([^/\n]+\.service)(?:/|$)", re.MULTILINE)
_CONTAINER_HINTS = ("kubepods", "/docker/", "docker-", "cri-containerd", "crio-", "libpod")


@dataclass
class Process:
    """One process of a proc directory; owner and cgroup are read only when asked for."""

    pid: int
    argv: list[str]
    proc_dir: str

    @cached_property
    def uid(self) -> int | None:
        """The owner of the process (of its ``/proc/PID`` directory)."""
        try:
            return os.stat(os.path.join(self.proc_dir, str(self.pid))).st_uid
        except OSError:
            return None

    @cached_property
    def cgroup(self) -> str:
        """The text of ``/proc/PID/cgroup``."""
        return os.fsdecode(_read(os.path.join(self.proc_dir, str(self.pid), "cgroup")))

    @property
    def unit(self) -> str | None:
        """The systemd service that started the process, from its cgroup path."""
        found = _UNIT.findall(self.cgroup)
        return found[-1] if found else None

    @property
    def in_container(self) -> bool:
        """True when the process has its own mount namespace (a container)."""
        try:
            own = os.readlink(os.path.join(self.proc_dir, str(self.pid), "ns", "mnt"))
            mine = os.readlink(os.path.join(self.proc_dir, "self", "ns", "mnt"))
        except OSError:
            return any(hint in self.cgroup for hint in _CONTAINER_HINTS)
        return own != mine

    def root_path(self, path: str) -> str:
        """``path`` as seen by this process, through ``/proc/PID/root``."""
        rooted = posixpath.normpath(posixpath.join("/", path))
        return os.path.join(self.proc_dir, str(self.pid), "root") + rooted

    def describe(self) -> str:
        """E.g. ``process 1234 (kube-apiserver, user root)``."""
        name = posixpath.basename(self.argv[0]) if self.argv else "?"
        return f"process {self.pid} ({name}, user {_user(self.uid)})"


def processes(proc_dir: str) -> Iterator[Process]:
    """Yield the processes of ``proc_dir`` that still exist and have a command line."""
    try:
        pids = sorted(int(n) for n in os.listdir(proc_dir) if n.isdigit())
    except OSError:
        return
    for pid in pids:
        base = os.path.join(proc_dir, str(pid))
        raw = _read(os.path.join(base, "cmdline"))
        if not raw:
            continue
        argv = [os.fsdecode(part) for part in raw.rstrip(b"\0").split(b"\0")]
        yield Process(pid, argv, proc_dir)


def find_apiservers(proc_dir: str) -> list[tuple[Process, list[str]]]:
    """Return kube-apiserver processes with their apiserver argv, the likeliest first.

    A wrapper (go-runner, a shell) carries the same flags as its child; the process that
    is kube-apiserver itself, owned by root, comes first.
    """
    found = []
    for proc in processes(proc_dir):
        argv = apiserver_argv(proc.argv)
        if argv is not None:
            found.append((proc, argv))
    found.sort(key=lambda pa: (pa[1] != pa[0].argv, pa[0].uid != 0, pa[0].pid))
    return found


def find_servers(proc_dir: str, program: str) -> list[Process]:
    """Return ``k3s server`` or ``rke2 server`` processes (their title may hide the flags)."""
    found = []
    for proc in processes(proc_dir):
        words = proc.argv[0].split() + proc.argv[1:]
        if posixpath.basename(words[0]) == program and "server" in words[1:2]:
            found.append(proc)
    return found


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _user(uid: int | None) -> str:
    if uid is None:
        return "unknown"
    if uid == 0:
        return "root"
    return str(uid)
