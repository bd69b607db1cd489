"""The stdin spool on a full disk, or with no directory that takes it: real mounts and pipes.

Whatever was spooled before the fault stays indexed and printable, reading stops with a
message that names the directory and what to do, the exit code says a source failed, and no
traceback is printed.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.events import numbered_lines
from tests.hostile.run import COMMAND, ROOT

INPUT = numbered_lines(0, 6000)  # about 2.5 MB


def spool_env(directory: Path | str, **more: str) -> dict[str, str]:
    return {**os.environ, "KAUDIT_TUI_SPOOL_DIR": str(directory), **more}


def test_a_full_spool_disk_stops_reading_and_keeps_what_came_before(tmpfs) -> None:
    full = tmpfs("64k")
    done = subprocess.run(
        [*COMMAND, "--print"], input=INPUT, capture_output=True, env=spool_env(full), cwd=ROOT
    )
    assert done.returncode == 1
    message = done.stderr.decode()
    assert f"the spool file in {full} cannot grow (No space left on device)" in message
    assert "KAUDIT_TUI_SPOOL_DIR" in message and "Traceback" not in message
    printed = done.stdout.splitlines()
    assert 10 < len(printed) < 6000
    assert printed == INPUT.splitlines()[: len(printed)]
    assert os.listdir(full) == []
    assert shutil.disk_usage(full).used == 0  # the anonymous spool is gone with the process


def test_spool_directories_that_refuse_files_are_passed_over(tmpfs) -> None:
    read_only = tmpfs("64k", read_only=True)
    env = spool_env(read_only, TMPDIR=str(read_only / "missing"))
    done = subprocess.run(
        [*COMMAND, "--print"], input=INPUT, capture_output=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == INPUT


def test_no_directory_for_a_spool_is_a_clear_error() -> None:
    """In a private mount namespace where /var/tmp and /tmp are read-only.

    They are re-mounted read-only in place rather than covered, so a checkout or interpreter
    that lives under /tmp stays reachable.
    """
    script = (
        "for d in /var/tmp /tmp; do mount --bind $d $d && mount -o remount,ro,bind $d $d"
        ' || exit 99; done && exec "$@"'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TMPDIR", "KAUDIT_TUI_SPOOL_DIR")}
    argv = ["unshare", "--mount", "sh", "-c", script, "sh", *COMMAND, "--stats"]
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.decode().strip()}")
    done = subprocess.run(argv, input=INPUT, capture_output=True, env=env, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "kaudit-tui: stdin: cannot create a spool file (/var/tmp: Read-only file system; "
        "/tmp: Read-only file system); set KAUDIT_TUI_SPOOL_DIR to a writable directory\n"
    )


def test_a_gzip_backup_that_fills_the_spool_disk_is_reported(tmpfs, tmp_path: Path) -> None:
    backup = tmp_path / "audit-2026-11-26T10-00-00.000.log.gz"
    backup.write_bytes(gzip.compress(INPUT))
    full = tmpfs("64k")
    done = subprocess.run(
        [*COMMAND, "--stats", backup], capture_output=True, env=spool_env(full), cwd=ROOT
    )
    assert done.returncode == 1
    message = done.stderr.decode()
    assert "No space left on device" in message and str(full) in message
    assert "Traceback" not in message
    assert int(done.stdout.split(b" ")[0].replace(b",", b"")) > 10  # read before it filled


def test_the_spool_of_a_finished_pipe_leaves_nothing_behind(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    done = subprocess.run(
        [*COMMAND, "--stats"], input=INPUT, capture_output=True, env=spool_env(spool), cwd=ROOT
    )
    assert done.returncode == 0
    assert done.stdout.startswith(b"6,000 / 6,000 events (0 lines skipped)")
    assert os.listdir(spool) == []
