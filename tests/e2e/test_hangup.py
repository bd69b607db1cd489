"""A dropped terminal (the SSH session gone, tmux killed) ends the program: it never lingers
with its index in memory after a hang-up, even mid-burst of keys and redraws."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import LOGS
from tests.e2e.tmux import TMUX, kaudit, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
BURST = ["/", "C-u", *"code:403", "Enter", "/", "End", "BSpace", "BSpace", "BSpace",
         *"200", "Enter", "j", "j", "k", "G", "g", "c", "h", "p"]  # fmt: skip


def tmux(socket: str, *args: str) -> None:
    subprocess.run([TMUX or "tmux", "-L", socket, "-f", os.devnull, *args],
                   capture_output=True, timeout=20, check=False)  # fmt: skip


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("attempt", range(3))
def test_the_program_ends_when_its_terminal_is_gone(tmp_path: Path, attempt: int) -> None:
    pid_file = tmp_path / "pid"
    command = f"echo $$ > {shlex.quote(str(pid_file))}; exec {kaudit(str(LIGGITT))}"
    socket = f"kaudit-hangup-{os.getpid()}-{attempt}"
    env_note = "the terminal is killed while the app is busy redrawing"
    tmux(socket, "new-session", "-d", "-s", "h", "-x", "160", "-y", "45", "bash", "-c", command)
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the program did not start"
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    time.sleep(1.5)
    tmux(socket, "send-keys", "-t", "h", *BURST)
    tmux(socket, "kill-server")
    deadline = time.monotonic() + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    still = alive(pid)
    if still:
        os.kill(pid, 9)
    assert not still, f"the program outlived its terminal ({env_note})"
