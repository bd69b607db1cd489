"""Which backups a follower never held open: files rotated past it between two polls."""

from __future__ import annotations

import os
from datetime import datetime

from .rotated import Backup, list_backups


def missed_backups(
    active: str, known_until: datetime | None, old_fd: int, new_fd: int
) -> tuple[list[Backup], datetime | None]:
    """Backups of ``active`` after ``known_until`` that are neither held file, oldest first,
    and how far backups are now accounted for.

    The newest-but-one backup is normally the old file (found by inode); if it is already
    compressed it is recognised as the oldest new backup.
    """
    old, new = _fd_identity(old_fd), _fd_identity(new_fd)
    fresh = [b for b in list_backups(active) if known_until is None or b.time > known_until]
    missed: list[Backup] = []
    for index, backup in enumerate(fresh):
        identity = _identity(backup.plain) if backup.plain else None
        if identity == new:
            break  # the file just opened was itself rotated: read through its descriptor
        known_until = backup.time
        if identity == old:
            continue
        if identity is None and index == 0 and not _plain_identity_in(fresh, old):
            continue  # our old file, already compressed
        missed.append(backup)
    return missed, known_until


def _fd_identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _plain_identity_in(backups: list[Backup], identity: tuple[int, int]) -> bool:
    return any(b.plain and _identity(b.plain) == identity for b in backups)
