"""End to end in a real terminal: open a file or a pipe, filter, follow, quit cleanly."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, kaudit, needs_tmux
from tests.ui.support import lines, ui_event

pytestmark = [pytest.mark.e2e, needs_tmux]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """200 events; every tenth one a delete by bob."""
    path = tmp_path / "audit.log"
    path.write_bytes(
        lines(*(ui_event(i, user="bob" if i % 10 == 0 else "alice",
                      verb="delete" if i % 10 == 0 else "get") for i in range(200)))
    )  # fmt: skip
    return path


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


def start(terminals: list[Terminal], command: str, tmp_path: Path) -> Terminal:
    term = Terminal(command, tmp_path)
    terminals.append(term)
    return term


def assert_restored(term: Terminal) -> None:
    """After quitting: the shell's screen is back, the cursor shows, mouse reporting is off."""
    assert term.exit_code() == 0
    assert term.pane("#{alternate_on}") == "0"
    assert term.pane("#{cursor_flag}") == "1"
    assert term.pane("#{mouse_any_flag}") == "0"


def test_file_filter_follow_and_quit(log: Path, tmp_path: Path, terminal) -> None:  # noqa: ANN001
    term = start(terminal, kaudit(str(log)), tmp_path)
    term.wait_for("200 / 200 events")
    term.keys("/")
    term.type("verb:delete")
    term.keys("Enter")
    screen = term.wait_for("20 / 200 events")
    rows = [
        line
        for line in screen.splitlines()
        if re.match(r"(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3} ", line)
    ]
    assert rows and all(" bob " in row and " delete " in row for row in rows)

    with log.open("ab") as out:
        out.write(lines(ui_event(200, user="newcomer", verb="delete")))
    # The status line and the table are drawn in the same frame, but a capture can land
    # between the two on a loaded machine: wait for both.
    term.wait_for(lambda screen: "21 / 201 events" in screen and "newcomer" in screen)

    term.keys("q")
    assert_restored(term)


def test_piped_stdin_and_keyboard(log: Path, tmp_path: Path, terminal) -> None:  # noqa: ANN001
    command = f"cat {shlex.quote(str(log))} | {kaudit()}"
    term = start(terminal, command, tmp_path)
    term.wait_for("200 / 200 events")
    term.wait_for("ended")
    term.keys("/")
    term.type("user:alice")
    term.keys("Enter")
    term.wait_for("180 / 200 events")
    term.keys("q")
    assert_restored(term)


def test_no_input_is_a_clear_error_not_a_traceback(tmp_path: Path, terminal) -> None:  # noqa: ANN001
    term = start(terminal, kaudit(str(tmp_path / "missing.log"), "--no-follow"), tmp_path)
    screen = term.wait_for("kaudit-tui:")
    assert "Traceback" not in screen and "missing.log" in screen
    assert term.exit_code() == 1


def test_demo_streams_with_its_policy(tmp_path: Path, terminal) -> None:  # noqa: ANN001
    term = start(terminal, kaudit("--demo"), tmp_path)
    screen = term.wait_for(
        lambda s: "RULE" in s and re.search(r"\b[1-9][\d,]* / [\d,]+ events", s) is not None
    )
    assert "policy" in screen
    first = int(re.search(r"([\d,]+) events", screen).group(1).replace(",", ""))
    term.wait_for(lambda s: int(re.search(r"([\d,]+) events", s).group(1).replace(",", "")) > first)
    term.keys("q")
    assert_restored(term)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_ends_the_app_and_restores_the_terminal(
    log: Path,
    tmp_path: Path,
    terminal,
    sig: signal.Signals,  # noqa: ANN001
) -> None:
    term = start(terminal, kaudit(str(log)), tmp_path)
    term.wait_for("200 / 200 events")
    os.kill(int(term.pane("#{pane_pid}")), 0)  # the shell is there
    children = subprocess.run(
        ["pgrep", "-P", term.pane("#{pane_pid}")], capture_output=True, text=True, check=True
    )
    os.kill(int(children.stdout.split()[0]), sig)
    assert_restored(term)


def test_a_broken_policy_is_refused_before_the_screen_is_taken(
    log: Path,
    tmp_path: Path,
    terminal,  # noqa: ANN001
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n")
    term = start(terminal, kaudit("--policy", str(policy), str(log)), tmp_path)
    assert term.exit_code() == 2
    screen = term.screen()
    assert "kaudit-tui: bad policy:" in screen and "policy.yaml" in screen
    assert term.pane("#{alternate_on}") == "0"
