"""detach_stdin: piped events move to a new descriptor, the terminal takes over fd 0."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import os, sys
    from kaudit_tui.sources import SourceError, detach_stdin
    try:
        fd = detach_stdin()
    except SourceError as exc:
        print("error:", exc, "| stdin still a pipe:", not os.isatty(0))
        raise SystemExit(1)
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    print(os.isatty(0), len(data), data[:5].decode())
    """
)


def run_child(*, with_terminal: bool) -> subprocess.CompletedProcess[str]:
    master, slave = os.openpty()
    slave_name = os.ttyname(slave)
    os.close(slave)

    def become_session_leader_with_terminal() -> None:
        os.setsid()
        if with_terminal:
            os.close(os.open(slave_name, os.O_RDWR))  # a session leader's first tty is its own

    try:
        return subprocess.run(
            [sys.executable, "-c", CHILD],
            input="hello" * 10000,
            capture_output=True,
            text=True,
            timeout=20,
            preexec_fn=become_session_leader_with_terminal,
        )
    finally:
        os.close(master)


def test_pipe_moves_off_fd0_and_terminal_takes_its_place() -> None:
    result = run_child(with_terminal=True)
    assert result.returncode == 0, result.stderr
    is_tty, size, head = result.stdout.split()
    assert is_tty == "True"
    assert (size, head) == ("50000", "hello")


def test_without_a_terminal_it_says_so_and_leaves_stdin_alone() -> None:
    result = run_child(with_terminal=False)
    assert result.returncode == 1
    assert result.stdout.startswith("error: stdin: no terminal for the keyboard")
    assert result.stdout.strip().endswith("stdin still a pipe: True")
    assert "Traceback" not in result.stderr


def test_ui_with_piped_events_and_no_keyboard_exits_1_with_a_message() -> None:
    """Output on a terminal but no controlling terminal to read keys from: a clear error."""
    master, slave = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kaudit_tui", "-"],
            input=b'{"kind":"Event"}\n',
            stdout=slave,
            stderr=subprocess.PIPE,
            timeout=20,
            start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
        )
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("kaudit-tui: stdin: no terminal for the keyboard")
