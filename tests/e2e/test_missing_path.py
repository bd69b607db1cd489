"""A mistyped path in the UI is said at once, never shown as an empty log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, kaudit, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


def test_a_missing_file_ends_the_ui_like_the_headless_modes(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    missing = tmp_path / "nope.log"
    term = Terminal(kaudit(str(missing)), tmp_path, width=100, height=20)
    terminals.append(term)
    assert term.exit_code() == 1
    assert f"kaudit-tui: {missing}: no such file" in term.screen()


def test_a_followed_missing_file_says_what_it_waits_for(
    tmp_path: Path, terminals: list[Terminal]
) -> None:
    command = f"cd {tmp_path} && {kaudit('--follow', 'nope.log')}"
    term = Terminal(command, tmp_path, width=160, height=20)
    terminals.append(term)
    expected = "nope.log: no such file — waiting for it to appear"
    term.wait_for("0 / 0 events")
    term.wait_for(lambda s: s.count(expected) >= 2)  # status line and notification
    term.keys("q")
    assert term.exit_code() == 0
