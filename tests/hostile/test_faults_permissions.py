"""A followed log whose permissions change under it, read by an unprivileged process.

``kaudit-tui`` runs as ``nobody`` (root ignores file modes). Once open, the file stays
readable through its descriptor whatever its mode becomes; a directory that can no longer
be searched is reported and retried; a rotated-in file that cannot be read yet is waited
for, and read from its start once its mode allows.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.events import numbered_line, numbered_lines
from tests.hostile.process import Running


@pytest.fixture
def shared_log(shared_dir: Path) -> Iterator[Path]:
    """An audit log in a directory ``nobody`` may enter, readable by everyone at first."""
    directory = shared_dir / "audit"
    directory.mkdir(mode=0o755)
    log = directory / "audit.log"
    log.write_bytes(numbered_lines(0, 2))
    log.chmod(0o644)
    yield log
    directory.chmod(0o755)


def append(log: Path, *numbers: int) -> None:
    with log.open("ab") as writer:
        writer.write(b"".join(numbered_line(n) for n in numbers))


def test_a_followed_log_survives_permission_changes(shared_log: Path) -> None:
    directory = shared_log.parent
    with Running("--print", "--follow", shared_log, unprivileged=True) as running:
        running.wait_for_lines(2)
        shared_log.chmod(0o000)  # the open descriptor still reads
        append(shared_log, 2, 3)
        running.wait_for_lines(4)
        directory.chmod(0o000)  # rotation can no longer be checked
        running.wait_for(lambda _, err: b"cannot check for rotation (permission denied" in err)
        append(shared_log, 4)
        running.wait_for_lines(5)
        directory.chmod(0o755)
        os.rename(shared_log, directory / "audit-2026-11-26T10-00-00.000.log")
        fd = os.open(shared_log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # root's only
        os.write(fd, numbered_line(5))
        os.close(fd)
        running.wait_for(lambda _, err: err.count(b"permission denied") >= 2)
        shared_log.chmod(0o644)
        lines = running.wait_for_lines(6)
        assert lines == [numbered_line(n).rstrip(b"\n") for n in range(6)]
        assert running.finish(signal.SIGTERM) == 0
        assert b"Traceback" not in running.err
