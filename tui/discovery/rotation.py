"""The rotated set of an audit log on a node: its backups on disk, then the active file."""

from __future__ import annotations

import os

from kaudit_tui.core.rotation import list_backups


def rotated_set(active: str) -> list[str]:
    """Return the backups of ``active``, oldest first, then ``active`` itself if present.

    Raises:
        OSError: the directory cannot be listed (PermissionError when not allowed).
    """
    os.listdir(os.path.dirname(active) or ".")  # surface permission problems to the caller
    paths = [backup.preferred for backup in list_backups(active)]
    if os.path.exists(active):
        paths.append(active)
    return paths
