"""Rotated sets: which command-line paths are backups of which active file, in what order.

kube-apiserver rotates with lumberjack: ``audit.log`` is renamed to
``audit-<UTC time>.log`` (time as ``YYYY-MM-DDTHH-MM-SS.mmm``), optionally compressed later to
``audit-<time>.log.gz``, and a new ``audit.log`` is created. Backups are ordered by the time in
their names (never by the name itself), the active file comes last, and when a plain backup and
its ``.gz`` both exist the plain one wins: the ``.gz`` may still be being written.
"""

from __future__ import annotations

import os

import msgspec

from kaudit_tui.core.rotation import Backup, list_backups, merge_backups, parse_backup

__all__ = [
    "Backup",
    "FileGroup",
    "group_paths",
    "gzip_path",
    "list_backups",
    "merge_backups",
    "parse_backup",
]


class FileGroup(msgspec.Struct):
    """One logical source made of files: its backups, then the active file (if given)."""

    label: str
    backups: list[Backup] = msgspec.field(default_factory=list)
    active: str | None = None
    members: list[str] = msgspec.field(default_factory=list)
    """Every given path that belongs to this group, as spelled."""


def group_paths(paths: list[str]) -> list[FileGroup]:
    """Group command-line paths into logical sources, in order of first appearance.

    A path that is a backup joins the group of its active file; any other path is an active
    file of its own. ``"-"`` must already have been removed.
    """
    groups: dict[str, FileGroup] = {}
    backup_paths: dict[str, list[str]] = {}
    for path in dict.fromkeys(paths):
        parsed = parse_backup(path)
        active = parsed[0] if parsed else path
        key = os.path.normpath(active)
        group = groups.setdefault(key, FileGroup(label=active))
        group.members.append(path)
        if parsed:
            backup_paths.setdefault(key, []).append(path)
        elif group.active is None:
            group.label = path
            group.active = path
    for key, members in backup_paths.items():
        groups[key].backups = merge_backups(members)
    return list(groups.values())


def gzip_path(backup: Backup) -> str:
    """Where the backup's ``.gz`` is or will be: it may appear after the backup was listed."""
    return backup.gzip or f"{backup.plain}.gz"
