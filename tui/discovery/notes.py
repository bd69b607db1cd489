"""One-line explanations of audit settings that change what the viewer can show."""

from __future__ import annotations

from typing import Any

import yaml

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.discovery.flags import AuditFlags
from kaudit_tui.discovery.node import load_yaml, read_text

_NEW_ROTATION = (1, 36)


def flag_notes(
    flags: AuditFlags, version: tuple[int, int] | None, webhook_server: str | None = None
) -> list[str]:
    """Notes on the format, rotation and backends the flags select."""
    notes = [f"Ignored {sanitize(p)}: kube-apiserver would reject it" for p in flags.problems]
    if flags.log_format not in (None, "json", "legacy"):
        notes.append(
            f"--audit-log-format={sanitize(flags.log_format)} is not json or legacy: "
            "kube-apiserver would refuse to start with it"
        )
    if flags.log_format == "legacy":
        notes.append(
            "Legacy log format: one text line per event, without level, API group, resource "
            "or bodies; resource and name are rebuilt from the URI and the level stays empty"
        )
    if flags.log_path and flags.log_path != "-" and flags.max_size == 0:
        notes.append(_maxsize_zero(version))
    if flags.webhook_config and not flags.log_path:
        target = sanitize(flags.webhook_config)
        if webhook_server:
            target = f"{sanitize(webhook_server)} (from {target})"
        notes.append(
            f"Webhook only: events go to {target}"
            " and nothing is written on this node; read them where the webhook receiver "
            "stores them, or add --audit-log-path"
        )
    if not flags.log_path and not flags.webhook_config:
        notes.append("Auditing is off: the apiserver has no --audit-log-path and no webhook")
    elif not flags.policy_file:
        notes.append("No --audit-policy-file: the apiserver records no audit events at all")
    return notes


def _maxsize_zero(version: tuple[int, int] | None) -> str:
    if version is not None and version >= _NEW_ROTATION:
        return "--audit-log-maxsize=0: the log is never rotated and grows without limit"
    if version is not None:
        return "--audit-log-maxsize=0 before Kubernetes 1.36 means the default: rotation at 100 MB"
    return (
        "--audit-log-maxsize=0: from Kubernetes 1.36 the log is never rotated and grows "
        "without limit; before 1.36 it is rotated at 100 MB"
    )


def stdout_note(commands: list[str]) -> str:
    """Where ``--audit-log-path=-`` events go, and the commands that pipe them in."""
    how = "; or ".join(commands) if commands else "pipe the apiserver's output into kaudit-tui -"
    return (
        "Audit events go to the apiserver's standard output (--audit-log-path=-), "
        f"mixed with its other output; pipe them in: {how}"
    )


def off_the_node(path: str, volume_kind: str | None) -> str:
    """The apiserver writes ``path`` somewhere that is not a hostPath volume."""
    where = f"a {volume_kind} volume" if volume_kind else "the container's own filesystem"
    return (
        f"{sanitize(path)} is on {sanitize(where)}, not on a hostPath, so it is not on this node's "
        "disk; run kaudit-tui with sudo on the node while the apiserver runs to read it "
        "through /proc"
    )


def policy_notes(path: str) -> list[str]:
    """Notes on a readable policy file that records nothing."""
    try:
        doc: Any = load_yaml(read_text(path))
    except (OSError, yaml.YAMLError):
        return []
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list) or not rules:
        return [f"The policy {sanitize(path)} has no rules: kube-apiserver refuses to load it"]
    levels = {r.get("level") for r in rules if isinstance(r, dict)}
    if levels == {"None"}:
        return [
            f"The policy {sanitize(path)} records nothing: every rule is at level None "
            "(RKE2 installs such a policy until it is edited)"
        ]
    return []


def webhook_server(path: str) -> str | None:
    """The ``server`` URL of the first cluster in a webhook kubeconfig, if readable."""
    try:
        doc: Any = load_yaml(read_text(path))
    except (OSError, yaml.YAMLError):
        return None
    clusters = doc.get("clusters") if isinstance(doc, dict) else None
    for entry in clusters if isinstance(clusters, list) else []:
        cluster = entry.get("cluster") if isinstance(entry, dict) else None
        if isinstance(cluster, dict) and isinstance(cluster.get("server"), str):
            return str(cluster["server"])
    return None
