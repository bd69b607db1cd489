"""Find the audit log and policy the kube-apiserver on this node really uses.

Sources, in order: a static pod manifest (kubeadm, kops, RKE2), a running kube-apiserver
process, k3s or RKE2 server configuration, a systemd unit. The first that names an
apiserver wins; what it says is then resolved to files on the node.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.discovery import rancher
from kaudit_tui.discovery.access import readable, unlistable, unreadable
from kaudit_tui.discovery.flags import AuditFlags, apiserver_argv, parse_audit_flags
from kaudit_tui.discovery.manifest import ApiserverPod, ManifestError, load_manifest
from kaudit_tui.discovery.model import Discovery, DiscoveryError
from kaudit_tui.discovery.node import load_yaml, read_text, under
from kaudit_tui.discovery.notes import (
    flag_notes,
    off_the_node,
    policy_notes,
    stdout_note,
    webhook_server,
)
from kaudit_tui.discovery.procscan import Process, find_apiservers, find_servers
from kaudit_tui.discovery.rotation import rotated_set
from kaudit_tui.discovery.systemd import find_unit, unit_argv

MANIFESTS = (
    "/etc/kubernetes/manifests/kube-apiserver.yaml",
    "/etc/kubernetes/manifests/kube-apiserver.yml",
    "/etc/kubernetes/manifests/kube-apiserver.manifest",
    "/etc/kubernetes/manifests/kube-apiserver.json",
    "/var/lib/rancher/rke2/agent/pod-manifests/kube-apiserver.yaml",
)
KUBELET_CONFIG = "/var/lib/kubelet/config.yaml"
CRICTL = "crictl logs -f $(crictl ps -q --name kube-apiserver) | kaudit-tui -"


@dataclass
class Found:
    """An apiserver command line and how to map the paths in it to this machine."""

    kind: str
    origin: str
    flags: AuditFlags
    resolve: Callable[[str], str | None]
    """Apiserver path -> real path here, or None when the file is not on the node."""
    pipe_commands: list[str] = field(default_factory=list)
    volume_kind: Callable[[str], str | None] = lambda _path: None
    version: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)


def discover(root: str = "/", manifest: str | None = None, proc: str | None = None) -> Discovery:
    """Find the audit settings of the kube-apiserver of the node whose ``/`` is ``root``.

    Args:
        root: the node's root directory; a copied node filesystem can be inspected too.
        manifest: a static pod manifest to read instead of searching (a real path).
        proc: the proc directory to scan; defaults to ``<root>/proc``.

    Raises:
        DiscoveryError: nothing was found; its text lists what was looked for.
    """
    search = _Search(root, proc if proc is not None else under(root, "/proc"))
    if manifest is not None:
        found = search.explicit(manifest)
    else:
        found = search.static_pods() or search.process() or search.rancher() or search.unit()
    if found is None:
        raise DiscoveryError(search.usage())
    result = _build(found, search.notes)
    result.root = root
    return result


class _Search:
    """One discovery run: where to look, and what went wrong on the way."""

    def __init__(self, root: str, proc: str) -> None:
        self.root = root
        self.proc = proc
        self.notes: list[str] = []

    def explicit(self, path: str) -> Found:
        try:
            pod = load_manifest(read_text(path))
        except OSError as exc:
            raise DiscoveryError(f"kaudit-tui: {unreadable(path, exc)}") from None
        except ManifestError as exc:
            raise DiscoveryError(f"kaudit-tui: {sanitize(path)}: {sanitize(str(exc))}") from None
        return self._from_pod(pod, f"static pod manifest {path}")

    def static_pods(self) -> Found | None:
        for node_path in self._manifest_candidates():
            real = under(self.root, node_path)
            if not os.path.lexists(real):
                continue
            try:
                pod = load_manifest(read_text(real))
            except OSError as exc:
                self.notes.append(unreadable(real, exc))
                continue
            except ManifestError as exc:
                self.notes.append(f"Skipped {sanitize(real)}: {sanitize(str(exc))}")
                continue
            return self._from_pod(pod, f"static pod manifest {real}")
        return None

    def _manifest_candidates(self) -> list[str]:
        """kubelet's own staticPodPath first, then the usual places."""
        found: list[str] = []
        try:
            config: Any = load_yaml(read_text(under(self.root, KUBELET_CONFIG)))
        except (OSError, yaml.YAMLError):
            config = None
        pod_dir = config.get("staticPodPath") if isinstance(config, dict) else None
        if isinstance(pod_dir, str) and pod_dir:
            found = [f"{pod_dir}/kube-apiserver{ext}" for ext in (".yaml", ".yml", ".manifest")]
        return found + [m for m in MANIFESTS if m not in found]

    def _from_pod(self, pod: ApiserverPod, origin: str) -> Found:
        flags = parse_audit_flags(pod.argv)
        live = self._live_container()

        def resolve(path: str) -> str | None:
            node_path = pod.node_path(path)
            if node_path is not None:
                return under(self.root, node_path)
            return live.root_path(path) if live is not None else None

        node = self._node_name()
        kubectl = f"kubectl -n {pod.namespace} logs -f {pod.pod_name}-{node} -c {pod.container}"
        found = Found(
            "manifest",
            origin,
            flags,
            resolve,
            [f"{kubectl} | kaudit-tui -", CRICTL],
            pod.volume_kind,
            pod.version,
        )
        if live is not None:
            found.notes.extend(_mismatch(flags, live))
        return found

    @cached_property
    def _apiservers(self) -> list[tuple[Process, list[str]]]:
        return find_apiservers(self.proc)

    def _live_container(self) -> Process | None:
        return next((p for p, _argv in self._apiservers if p.in_container), None)

    def process(self) -> Found | None:
        if not self._apiservers:
            return None
        proc, argv = self._apiservers[0]
        contained = proc.in_container

        def resolve(path: str) -> str | None:
            return proc.root_path(path) if contained else under(self.root, path)

        commands = [CRICTL] if contained else []
        if proc.unit and not contained:
            commands = [f"journalctl -u {proc.unit} -f -o cat | kaudit-tui -"]
        return Found(
            "process", f"{proc.describe()} command line", parse_audit_flags(argv), resolve, commands
        )

    def rancher(self) -> Found | None:
        for distro in (rancher.RKE2, rancher.K3S):
            found = self._rancher(distro)
            if found is not None:
                return found
        return None

    def _rancher(self, distro: rancher.Distro) -> Found | None:
        servers = find_servers(self.proc, distro.name)
        unit = find_unit(self.root, distro.unit)
        if not (servers or unit or rancher.config_paths(self.root, distro)):
            return None
        cli, told = _server_args(servers, self.root, unit)
        config = rancher.load_config(self.root, distro, cli)
        self.notes.extend(config.notes)
        data_dir = config.data_dir or distro.data_dir
        if distro is rancher.RKE2:
            pod_manifest = under(self.root, f"{data_dir}/agent/pod-manifests/kube-apiserver.yaml")
            if os.path.isfile(pod_manifest):
                try:
                    return self._from_pod(
                        load_manifest(read_text(pod_manifest)),
                        f"RKE2 static pod manifest {pod_manifest}",
                    )
                except (OSError, ManifestError):
                    pass
        args = config.apiserver_args
        if distro is rancher.RKE2:
            args = _rke2_defaults(config.audit_policy_file, data_dir) + args
        where = [under(self.root, f) for f in config.files] + ([told] if told else [])
        origin = f"{distro.name} server settings in {', '.join(where) or 'its defaults'}"
        journal = f"journalctl -u {distro.unit} -f -o cat | kaudit-tui -"
        found = Found(
            distro.name, origin, parse_audit_flags(args), lambda p: under(self.root, p), [journal]
        )
        if not found.flags.log_path and not found.flags.webhook_config:
            found.notes.append(
                "To turn auditing on, add kube-apiserver-arg entries audit-log-path=... and "
                f"audit-policy-file=... to {distro.config_dir}/config.yaml, "
                f"then restart {distro.name}"
            )
        return found

    def unit(self) -> Found | None:
        unit = find_unit(self.root, "kube-apiserver.service")
        if unit is None:
            return None
        real = under(self.root, unit)
        try:
            argv = unit_argv(self.root, unit)
        except OSError as exc:
            self.notes.append(unreadable(real, exc))
            return None
        flags = parse_audit_flags(apiserver_argv(argv) or argv)
        journal = "journalctl -u kube-apiserver -f -o cat | kaudit-tui -"
        return Found(
            "systemd", f"systemd unit {real}", flags, lambda p: under(self.root, p), [journal]
        )

    def _node_name(self) -> str:
        try:
            name = read_text(under(self.root, "/etc/hostname")).strip()
        except OSError:
            name = ""
        if not name and self.root in ("", "/"):
            name = socket.gethostname()
        return (name.split(".")[0] or "NODE").lower()

    def usage(self) -> str:
        on = "" if self.root in ("", "/") else f" under {self.root}"
        lines = [
            f"kaudit-tui: no kube-apiserver audit configuration found{on}. Looked for:",
            "  - a static pod manifest kube-apiserver.{yaml,yml,manifest,json} in "
            "/etc/kubernetes/manifests, /var/lib/rancher/rke2/agent/pod-manifests or "
            f"kubelet's staticPodPath ({KUBELET_CONFIG})",
            f"  - a running kube-apiserver process in {self.proc}",
            "  - k3s or RKE2 server settings: /etc/rancher/{k3s,rke2}/config.yaml(.d), "
            "their units and processes",
            "  - a systemd unit kube-apiserver.service",
            *(f"  ! {note}" for note in self.notes),
            "Open a log instead (kaudit-tui FILE, ... | kaudit-tui -, or --demo), or point "
            "discovery at a node's files with --root DIR or --manifest PATH.",
        ]
        return "\n".join(sanitize(line) for line in lines)


def _server_args(servers: list[Process], root: str, unit: str | None) -> tuple[list[str], str]:
    """The ``server`` options from the running process, else from its unit file."""
    for proc in servers:
        words = proc.argv[0].split() + proc.argv[1:]
        args = words[words.index("server") + 1 :]
        if args:
            return args, f"{proc.describe()} command line"
    if unit is not None:
        try:
            words = unit_argv(root, unit)
        except OSError:
            return [], ""
        if "server" in words:
            return words[words.index("server") + 1 :], f"systemd unit {under(root, unit)}"
    return [], ""


def _rke2_defaults(policy: str | None, data_dir: str) -> list[str]:
    """The audit flags RKE2 puts before the user's own kube-apiserver-arg values."""
    return [
        f"--audit-policy-file={policy or rancher.RKE2_POLICY}",
        "--audit-log-maxage=30",
        "--audit-log-maxbackup=10",
        "--audit-log-maxsize=100",
        f"--audit-log-path={data_dir}/server/logs/audit.log",
    ]


def _mismatch(flags: AuditFlags, live: Process) -> list[str]:
    argv = apiserver_argv(live.argv) or []
    running = parse_audit_flags(argv)
    if (running.log_path, running.policy_file) == (flags.log_path, flags.policy_file):
        return []
    return [
        f"The running apiserver ({live.describe()}) uses --audit-log-path="
        f"{sanitize(str(running.log_path))} and "
        f"--audit-policy-file={sanitize(str(running.policy_file))}"
        ", not what the manifest says: it has not restarted since the manifest changed"
    ]


def _build(found: Found, search_notes: list[str]) -> Discovery:
    flags = found.flags
    result = Discovery(
        origin=sanitize(found.origin),
        kind=found.kind,
        log_format=flags.log_format if flags.log_format in ("json", "legacy") else "json",
        max_size_mb=flags.max_size,
        max_backups=flags.max_backup,
        max_age_days=flags.max_age,
        compress=flags.compress,
        log_path_in_apiserver=flags.log_path,
        policy_path_in_apiserver=flags.policy_file,
    )
    notes = list(search_notes)
    if flags.log_path == "-":
        notes.append(stdout_note(found.pipe_commands))
    elif flags.log_path:
        notes.extend(_attach_log(result, found, flags.log_path))
    if flags.policy_file:
        notes.extend(_attach_policy(result, found, flags.policy_file))
    server = None
    if flags.webhook_config:
        result.webhook_config = found.resolve(flags.webhook_config) or flags.webhook_config
        server = webhook_server(result.webhook_config)
    notes.extend(flag_notes(flags, found.version, server))
    result.notes = notes + found.notes
    return result


def _attach_log(result: Discovery, found: Found, path: str) -> list[str]:
    real = found.resolve(path)
    if real is None:
        return [off_the_node(path, found.volume_kind(path))]
    result.log_path = real
    try:
        result.log_paths = rotated_set(real)
    except OSError as exc:
        result.log_paths = [real] if os.path.exists(real) else []
        return [unlistable(os.path.dirname(real), exc)]
    if not result.log_paths:
        return [
            f"{sanitize(real)} does not exist yet: the apiserver creates it with its first event"
        ]
    blocked = [n for n in (readable(p) for p in result.log_paths) if n]
    if not blocked:
        return []
    more = f" ({len(blocked) - 1} more files too)" if len(blocked) > 1 else ""
    return [blocked[0] + more]


def _attach_policy(result: Discovery, found: Found, path: str) -> list[str]:
    real = found.resolve(path)
    if real is None:
        return [off_the_node(path, found.volume_kind(path))]
    result.policy_path = real
    problem = readable(real)
    return [problem] if problem else policy_notes(real)
