"""Starting the indexing helper process (see :mod:`parallel`), early when that pays.

The helper spends a few tenths of a second importing numpy, msgspec and the indexing code
before it takes any work. Started when indexing reaches a large batch, that is time the whole
backlog is indexed by this process alone. When the command line names large files, the helper
is started at once instead (:func:`start_early`), so that its start-up runs beside this
process's own and it takes its first part as soon as indexing begins. Standard library only:
this runs before the rest of the program is imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:  # imported where a helper starts: most runs start none
    import subprocess

MODULE = "kaudit_tui.core.parallel"
"""The module whose ``serve`` the helper runs."""
HELPER_FLAG = "--index-helper"
"""The hidden first argument that makes a standalone executable run the helper's ``serve``
(``kaudit_tui.__main__`` looks for it before anything else is imported)."""
EARLY_BYTES = 4 << 20
"""Bytes of regular files named on the command line from which the helper starts at once."""

Started = tuple["subprocess.Popen[bytes]", BinaryIO]
"""A helper process and the memory it shares with this process (an anonymous file)."""
_early: Started | None = None


def helper_command(shared_fd: int) -> list[str]:
    """The helper's command line: its module under this Python, or, in a standalone executable
    (which has no ``-m``), the executable itself with :data:`HELPER_FLAG`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, HELPER_FLAG, str(shared_fd)]
    return [sys.executable, "-m", MODULE, str(shared_fd)]


def spawn() -> Started:
    """Start a helper process now (it says when it is ready on its stdout).

    Raises:
        OSError, AttributeError: it cannot run here (no ``memfd_create``: not Linux).
    """
    early = take_early()
    if early is not None:
        return early
    import subprocess

    fd = os.memfd_create("kaudit-tui-part", os.MFD_CLOEXEC)
    shared = open(fd, "r+b", buffering=0)  # noqa: SIM115 (lives with the helper)
    try:
        helper = subprocess.Popen(
            helper_command(fd),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
            start_new_session=True,  # the terminal's signals are for this process alone
        )
    except BaseException:
        shared.close()
        raise
    return helper, shared


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_early(paths: Iterable[str]) -> None:
    """Start the helper now if ``paths`` hold at least :data:`EARLY_BYTES` of regular files
    and two cores are free to use; the first indexer to start a helper takes it over. One not
    taken ends when this process does (its pipe closes)."""
    global _early
    if _early is not None or usable_cores() < 2 or compiled_scanner():
        return
    size = 0
    for path in paths:
        try:
            stat = os.stat(path)
        except (OSError, ValueError):
            continue
        if os.path.stat.S_ISREG(stat.st_mode):
            size += stat.st_size
    if size < EARLY_BYTES:
        return
    try:
        _early = spawn()
    except (OSError, AttributeError):  # no memfd_create (not Linux), no processes left
        _early = None


def compiled_scanner() -> bool:
    """Was the compiled line scanner built? Indexing then uses two threads, not a helper
    (see parallel.py); looked up without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec("kaudit_tui.core._linescan") is not None
    except (ImportError, ValueError):
        return False


def has_early() -> bool:
    """Is a helper started early waiting to be taken over?"""
    return _early is not None


def take_early() -> Started | None:
    """The helper started early, if any (once: it is then the caller's)."""
    global _early
    early, _early = _early, None
    return early
