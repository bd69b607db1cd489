"""Signals and closed pipes: ``| head``, SIGTERM and SIGINT end a run cleanly.

Real processes and real pipes: the reader going away is not an error (exit 0, nothing on
stderr), a followed run stopped by SIGTERM or SIGINT exits 0 after writing what it had, and
the spool of piped input is gone with the process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.events import numbered_line, numbered_lines
from tests.hostile.process import Running
from tests.hostile.run import COMMAND, ROOT

POLICY = DATA / "policies" / "gce.yaml"


@pytest.fixture
def big_log(tmp_path: Path) -> Path:
    log = tmp_path / "audit.log"
    log.write_bytes(numbered_lines(0, 20_000))
    return log


@pytest.mark.parametrize(
    "mode",
    [["--print"], ["--stats"], ["--stats", "--json"], ["--explain", "-p", str(POLICY)],
     ["--policy-report", "-p", str(POLICY)]],
    ids=["print", "stats", "stats-json", "explain", "policy-report"],
)  # fmt: skip
def test_a_reader_that_goes_away_is_not_an_error(big_log: Path, mode: list[str]) -> None:
    process = subprocess.Popen(
        [*COMMAND, *mode, str(big_log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before anything is written: the first write finds no reader
    code = process.wait(timeout=120)
    assert (code, process.stderr.read()) == (0, b"")
    process.stderr.close()


def test_print_into_head_in_a_shell_pipeline(big_log: Path) -> None:
    command = " ".join([*COMMAND, "--print", str(big_log)])
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -n 3"],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stdout.splitlines() == big_log.read_bytes().splitlines()[:3]
    assert done.stderr == b""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_followed_file_stops_cleanly_on_a_signal(tmp_path: Path, sig: int) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(numbered_lines(0, 3))
    with Running("--print", "--follow", log) as running:
        running.wait_for_lines(3)
        with log.open("ab") as writer:
            writer.write(numbered_lines(3, 5))
        assert running.wait_for_lines(5) == log.read_bytes().splitlines()
        assert running.finish(sig) == 0
        assert bytes(running.err) == b""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_followed_stdin_stops_on_a_signal_and_its_spool_is_gone(tmpfs, sig: int) -> None:
    spool = tmpfs("8m")
    env = {"KAUDIT_TUI_SPOOL_DIR": str(spool)}
    with Running("--print", "--follow", "-", stdin=subprocess.PIPE, env=env) as running:
        assert running.process.stdin is not None
        running.process.stdin.write(numbered_lines(0, 2000))
        running.process.stdin.flush()
        running.wait_for_lines(2000)
        assert shutil.disk_usage(spool).used > 0
        assert _open_files_under(running.process.pid, spool)  # the spool, with no name
        assert os.listdir(spool) == []
        assert running.finish(sig) == 0  # the writer is still there
        assert bytes(running.err) == b""
    assert shutil.disk_usage(spool).used == 0


def test_a_followed_run_whose_reader_went_away_ends_at_the_next_event(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(numbered_line(0))
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [*COMMAND, "--print", "--follow", str(log)],
        stdout=write_end,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as reader:
            assert reader.readline() == numbered_line(0)
        with log.open("ab") as writer:  # the reader has gone: this event has nowhere to go
            writer.write(numbered_line(1))
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None and process.stderr.read() == b""
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stderr is not None
        process.stderr.close()


def _open_files_under(pid: int, directory: Path) -> list[str]:
    fds = Path(f"/proc/{pid}/fd")
    targets = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
    return [t for t in targets if t.startswith(str(directory))]
