"""The result of discovery and its text form, what ``kaudit-tui --where`` prints."""

from __future__ import annotations

import os

import msgspec

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.discovery.node import under


class DiscoveryError(Exception):
    """No apiserver audit configuration was found; ``str()`` is the usage message to print."""


class Discovery(msgspec.Struct):
    """The audit settings of the kube-apiserver on this node, with node paths to open.

    Paths are real paths on this machine: node paths under ``--root``, resolved through
    the pod's hostPath volumes. ``notes`` are one line each and already escaped.
    """

    origin: str
    """Where the settings came from, e.g. ``static pod manifest /etc/kubernetes/...``."""
    log_path: str | None = None
    log_paths: list[str] = msgspec.field(default_factory=list)
    """The active log and its rotated backups on disk, oldest backup first."""
    policy_path: str | None = None
    log_format: str = "json"
    max_size_mb: int | None = None
    max_backups: int | None = None
    max_age_days: int | None = None
    compress: bool = False
    notes: list[str] = msgspec.field(default_factory=list)
    kind: str = "manifest"
    """``manifest``, ``process``, ``k3s``, ``rke2`` or ``systemd``."""
    log_path_in_apiserver: str | None = None
    """The ``--audit-log-path`` value as the apiserver sees it (``-``: stdout)."""
    policy_path_in_apiserver: str | None = None
    webhook_config: str | None = None
    root: str = "/"
    """The directory treated as the node's ``/`` (``--root``)."""

    @property
    def readable_log_paths(self) -> list[str]:
        """The files of ``log_paths`` this process can open: what a viewer can read now."""
        return [p for p in self.log_paths if os.access(p, os.R_OK)]

    def render(self) -> str:
        """Describe the findings in a few aligned lines, safe to print to a terminal."""
        lines = ["kube-apiserver audit settings", *self._rows()]
        if self.notes:
            lines.append("notes")
            lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines) + "\n"

    def _rows(self) -> list[str]:
        rows = [("from", self.origin), ("log", self._log_text())]
        if self.log_path and self._moved(self.log_path_in_apiserver, self.log_path):
            rows.append(("", f"(the apiserver writes it as {self.log_path_in_apiserver})"))
        if self.log_path:
            rows.append(("files", self._files_text()))
            rows.append(("format", self.log_format))
            rows.append(("rotation", self._rotation_text()))
        elif self.log_path_in_apiserver == "-":
            rows.append(("format", self.log_format))
        rows.append(("policy", self.policy_path or "none (no --audit-policy-file)"))
        if self.policy_path and self._moved(self.policy_path_in_apiserver, self.policy_path):
            rows.append(("", f"(the apiserver reads it as {self.policy_path_in_apiserver})"))
        if self.webhook_config:
            rows.append(("webhook", self.webhook_config))
        return [f"  {name:<9} {sanitize(value)}".rstrip() for name, value in rows]

    def _moved(self, in_apiserver: str | None, real: str) -> bool:
        """True when the apiserver's own path is not where the file is on the node."""
        return in_apiserver is not None and under(self.root, in_apiserver) != real

    def _log_text(self) -> str:
        if self.log_path:
            return self.log_path
        if self.log_path_in_apiserver == "-":
            return "standard output of the apiserver (--audit-log-path=-)"
        if self.log_path_in_apiserver:
            return f"{self.log_path_in_apiserver} (not on this node's disk)"
        return "none (no --audit-log-path)"

    def _files_text(self) -> str:
        backups = [p for p in self.log_paths if p != self.log_path]
        gz = sum(p.endswith(".gz") for p in backups)
        active = "active log" if self.log_path in self.log_paths else "no active log"
        text = f"{active} + {len(backups)} rotated backup{'s' * (len(backups) != 1)}"
        return text + (f" ({gz} compressed)" if gz else "")

    def _rotation_text(self) -> str:
        def num(value: int | None, unit: str) -> str:
            return "default" if value is None else f"{value}{unit}"

        return (
            f"maxsize {num(self.max_size_mb, ' MB')}, maxbackup {num(self.max_backups, '')}, "
            f"maxage {num(self.max_age_days, ' days')}, compress {'on' if self.compress else 'off'}"
        )
