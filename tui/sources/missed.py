"""Which backups a follower never held open: files rotated past it between two polls.

After a rotation the follower holds the file it read before (old) and the one it just opened
(new). Each backup newer than those already accounted for is one of these two, read through
the held descriptor, or a file it never saw, which must be read now. A plain backup is known
by its inode. lumberjack compresses backups in the background and then removes the plain file,
so a ``.gz`` keeps no link to the file it came from but its bytes: it is known by decompressing
it against the held file. Nothing is inferred from a backup's place in the list, which a backup
compressed early, or a rotation just as following started, would shift.
"""

from __future__ import annotations

import os
from datetime import datetime

from .gz import same_content
from .rotated import Backup, gzip_path, list_backups


def missed_backups(
    active: str, known_until: datetime | None, old_fd: int, new_fd: int
) -> tuple[list[Backup], datetime | None]:
    """Backups of ``active`` after ``known_until`` that are neither held file, oldest first,
    and how far backups are now accounted for.

    The look stops at the new file's own backup (it was rotated too, before this look): that
    one and any later are for the next rotation, when the new file is the old one.
    """
    missed: list[Backup] = []
    for backup in list_backups(active):
        if known_until is not None and backup.time <= known_until:
            continue
        if holds(backup, new_fd):
            break
        known_until = backup.time
        if not holds(backup, old_fd):
            missed.append(backup)
    return missed, known_until


def holds(backup: Backup, fd: int) -> bool:
    """Whether ``backup`` is the file open as ``fd``: by inode while it is plain, by content
    once only its ``.gz`` is left (which may have appeared after the backup was listed).

    Comparing content decompresses the whole ``.gz`` only when it is the held file; another
    file differs within its first line.
    """
    if backup.plain is not None:
        try:
            info = os.stat(backup.plain)
        except OSError:
            pass  # compressed since it was listed, or removed: look for the .gz
        else:
            held = os.fstat(fd)
            return (info.st_dev, info.st_ino) == (held.st_dev, held.st_ino)
    try:
        packed = os.open(gzip_path(backup), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return same_content(packed, fd)
    finally:
        os.close(packed)
