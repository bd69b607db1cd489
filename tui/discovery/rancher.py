"""k3s and RKE2: the apiserver flags written in their config files and server options.

k3s runs the apiserver inside its own process; its title hides the flags, so they are
read from ``config.yaml``, its ``config.yaml.d`` drop-ins and the unit's ``ExecStart``.
RKE2 writes a static pod manifest, and turns audit on by itself: it adds
``--audit-policy-file``, ``--audit-log-path=<data-dir>/server/logs/audit.log`` and
rotation flags before the user's ``kube-apiserver-arg`` values.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from kaudit_tui.discovery.flags import dashed
from kaudit_tui.discovery.node import load_yaml, read_text, under


@dataclass(frozen=True)
class Distro:
    """Where one distribution keeps its files."""

    name: str
    config_dir: str
    data_dir: str
    unit: str


K3S = Distro("k3s", "/etc/rancher/k3s", "/var/lib/rancher/k3s", "k3s.service")
RKE2 = Distro("rke2", "/etc/rancher/rke2", "/var/lib/rancher/rke2", "rke2-server.service")
RKE2_POLICY = "/etc/rancher/rke2/audit-policy.yaml"


@dataclass
class ServerConfig:
    """The server options that matter here, merged from files and command line."""

    apiserver_args: list[str] = field(default_factory=list)
    data_dir: str | None = None
    audit_policy_file: str | None = None
    files: list[str] = field(default_factory=list)
    """Node paths of the config files read, in order."""
    notes: list[str] = field(default_factory=list)


def config_paths(root: str, distro: Distro, config: str | None = None) -> list[str]:
    """Node paths of the config file and its drop-ins that exist, in the order k3s reads them."""
    main = config or f"{distro.config_dir}/config.yaml"
    found = [main] if os.path.isfile(under(root, main)) else []
    dropins = glob.glob(glob.escape(under(root, main)) + ".d/*.yaml")
    found.extend(f"{main}.d/{os.path.basename(p)}" for p in sorted(dropins))
    return found


def load_config(root: str, distro: Distro, cli_args: list[str]) -> ServerConfig:
    """Merge the config files with the server's own command line (which comes last)."""
    cli = _cli_options(cli_args)
    merged: dict[str, Any] = {}
    result = ServerConfig()
    for path in config_paths(root, distro, _last(cli.get("config"))):
        try:
            data = load_yaml(read_text(under(root, path)))
        except (OSError, yaml.YAMLError) as exc:
            result.notes.append(f"Skipped {path}: {getattr(exc, 'strerror', None) or exc}")
            continue
        result.files.append(path)
        if isinstance(data, dict):
            _merge(merged, data)
    for key, values in cli.items():
        merged[key] = _as_list(merged.get(key)) + values if key.endswith("-arg") else values
    result.apiserver_args = dashed(str(a) for a in _as_list(merged.get("kube-apiserver-arg")))
    result.data_dir = _last(merged.get("data-dir"))
    result.audit_policy_file = _last(merged.get("audit-policy-file"))
    return result


def _merge(merged: dict[str, Any], data: dict[str, Any]) -> None:
    """Later files replace a key; ``key+`` appends to it (k3s drop-in rules)."""
    for raw_key, value in data.items():
        key = str(raw_key)
        if key.endswith("+"):
            merged[key[:-1]] = _as_list(merged.get(key[:-1])) + _as_list(value)
        else:
            merged[key] = value


def _cli_options(args: list[str]) -> dict[str, list[str]]:
    """``--name=value`` / ``--name value`` options of ``k3s server`` (repeatable)."""
    wanted = {"kube-apiserver-arg", "data-dir", "audit-policy-file", "config"}
    short = {"-d": "data-dir", "-c": "config"}
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        name, has_value, value = token.lstrip("-").partition("=")
        name = short.get(token, name) if token.startswith("-") else ""
        if name not in wanted:
            continue
        if not has_value and i < len(args):
            value, i = args[i], i + 1
        options.setdefault(name, []).append(value)
    return options


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _last(value: Any) -> str | None:
    items = _as_list(value)
    return str(items[-1]) if items else None
