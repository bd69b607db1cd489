"""Turn failures to read node files into one clear line, suggesting sudo when it would help."""

from __future__ import annotations

import os
import pwd
import stat

from kaudit_tui.core.sanitize import sanitize


def readable(path: str) -> str | None:
    """Return None if ``path`` can be opened for reading, else a note saying why not.

    Opening is the real test: mode bits do not stop root, and ACLs can allow others.
    """
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return unreadable(path, exc)


def unreadable(path: str, exc: OSError) -> str:
    """Describe an error reading ``path`` in one line."""
    if isinstance(exc, PermissionError):
        return f"Cannot read {sanitize(path)}: permission denied{_owner(path)}; {_SUDO}"
    if isinstance(exc, FileNotFoundError):
        return f"{sanitize(path)} does not exist"
    return f"Cannot read {sanitize(path)}: {exc.strerror or exc}"


def unlistable(directory: str, exc: OSError) -> str:
    """Describe an error listing ``directory`` (rotated backups are looked up there)."""
    if isinstance(exc, PermissionError):
        return (
            f"Cannot list {sanitize(directory)} for rotated backups: permission denied"
            f"{_owner(directory)}; {_SUDO}"
        )
    return f"Cannot list {sanitize(directory)} for rotated backups: {exc.strerror or exc}"


_SUDO = "audit files are usually readable only by root: run kaudit-tui with sudo"


def _owner(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return ""
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    return f" (owner {sanitize(owner)}, mode {stat.S_IMODE(st.st_mode):04o})"
