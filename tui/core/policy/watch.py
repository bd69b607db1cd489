"""Re-reading the policy file when it changes on disk, keeping the last good one.

Polling, not inotify: it is one ``stat`` per call, works on every filesystem (including
the network mounts and ConfigMap volumes policies often live on), and the caller decides
how often to look. A change is any change of (mtime, size, inode), which also catches an
editor that saves by writing a new file and renaming it over the old one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .errors import PolicyError
from .loader import LoadedPolicy, load_policy

__all__ = ["PolicyWatcher", "file_stamp"]

_Stamp = tuple[int, int, int]


def file_stamp(path: str) -> _Stamp | None:
    """(mtime, size, inode) of ``path``, None when it cannot be read: a change of any of them
    is a change of the file (also the rename an editor saves with)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class PolicyWatcher:
    """Keeps a policy in step with its file.

    Attributes:
        policy: the last policy that loaded without error (None until one has).
        error: the error of the latest attempt, None when the file currently loads.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        policy: LoadedPolicy | None = None,
        *,
        loader: Callable[[str], LoadedPolicy] = load_policy,
    ) -> None:
        """Watch ``path``. Pass the already-loaded ``policy`` to skip the first load."""
        self.path = os.fspath(path)
        self.policy = policy
        self.error: str | None = None
        self._loader = loader
        self._stamp: _Stamp | None = file_stamp(self.path) if policy is not None else None
        self._seen_once = policy is not None

    def poll(self) -> tuple[bool, str | None]:
        """Re-read the file if it changed since the last look.

        Returns:
            (changed, error): ``changed`` is True when a new policy replaced the current
            one; ``error`` is the message of the latest failed attempt (the last good
            policy stays in force), or None when the file loads.
        """
        stamp = file_stamp(self.path)
        if self._seen_once and stamp == self._stamp:
            return False, self.error
        self._seen_once = True
        self._stamp = stamp
        if stamp is None:
            self.error = f"{self.path}: cannot read: the file is missing or not readable"
            return False, self.error
        try:
            policy = self._loader(self.path)
        except PolicyError as exc:
            self.error = str(exc)
            return False, self.error
        self.policy = policy
        self.error = None
        return True, None
