"""Backup names of kube-apiserver's log rotation (lumberjack), and the order they read in.

``audit.log`` is renamed to ``audit-<UTC time>.log`` (time as ``YYYY-MM-DDTHH-MM-SS.mmm``, the
extension being what follows the last dot, as Go's ``filepath.Ext`` has it), optionally compressed
later to ``audit-<time>.log.gz``, and a new ``audit.log`` is created. Backups are ordered by the
time in their names (never by the name itself), the active file comes last, and when a plain
backup and its ``.gz`` both exist the plain one wins: the ``.gz`` may still be being written.
Both the live sources and node discovery use this one reading of the names.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

import msgspec

_BACKUP = re.compile(
    r"^(?P<prefix>.+)-(?P<time>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3})(?P<ext>\.[^.]*)?$"
)
_TIME_FORMAT = "%Y-%m-%dT%H-%M-%S.%f"


class Backup(msgspec.Struct, frozen=True):
    """One rotated backup, possibly present both plain and compressed."""

    active: str
    """Path of the active file it was rotated from (as spelled with the backup's directory)."""
    time: datetime
    """Rotation time from the name: every event inside is older."""
    plain: str | None
    gzip: str | None

    @property
    def preferred(self) -> str:
        """The plain file if there is one, else the ``.gz``."""
        return self.plain or self.gzip or ""


def parse_backup(path: str) -> tuple[str, datetime, bool] | None:
    """``(active path, rotation time, is gzip)`` if ``path`` is named like a backup."""
    directory, base = os.path.split(path)
    compressed = base.endswith(".gz")
    if compressed:
        base = base[:-3]
    match = _BACKUP.match(base)
    if match is None:
        return None
    try:
        time = datetime.strptime(match["time"], _TIME_FORMAT)
    except ValueError:
        return None
    active = os.path.join(directory, match["prefix"] + (match["ext"] or ""))
    return active, time, compressed


def merge_backups(paths: list[str]) -> list[Backup]:
    """Backups of one active file, oldest first, a plain file and its ``.gz`` paired."""
    found: dict[datetime, dict[str, str]] = {}
    actives: dict[datetime, str] = {}
    for path in paths:
        parsed = parse_backup(path)
        if parsed is None:
            continue
        active, time, compressed = parsed
        found.setdefault(time, {})["gzip" if compressed else "plain"] = path
        actives[time] = active
    return [
        Backup(actives[time], time, kinds.get("plain"), kinds.get("gzip"))
        for time, kinds in sorted(found.items())
    ]


def list_backups(active: str) -> list[Backup]:
    """The backups of ``active`` that exist on disk now, oldest first."""
    directory = os.path.dirname(active) or "."
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    key = os.path.normpath(active)
    paths = [os.path.join(os.path.dirname(active), name) for name in names]
    matching = [p for p in paths if (b := parse_backup(p)) and os.path.normpath(b[0]) == key]
    return merge_backups(matching)
