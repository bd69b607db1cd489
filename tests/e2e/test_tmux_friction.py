"""In a real terminal: keys typed in a burst scroll the help screen; find's marker leaves TIME
whole and the status says which match is shown; the histogram's cursor; a theme picked in the
command palette restyles the policy panel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, kaudit, needs_tmux
from tests.ui.support import lines, ui_event

pytestmark = [pytest.mark.e2e, needs_tmux]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    events = [ui_event(n, verb="delete" if n % 10 == 5 else "get") for n in range(300)]
    path.write_bytes(lines(*events))
    return path


@pytest.fixture
def term(tmp_path: Path, log: Path) -> Iterator[Terminal]:
    terminal = Terminal(kaudit("--no-follow", str(log)), tmp_path, width=120, height=30)
    try:
        terminal.wait_for("300 / 300 events")
        yield terminal
    finally:
        terminal.close()


def test_help_scrolls_with_a_burst_of_j_and_k(term: Terminal) -> None:
    term.keys("?")
    top = term.wait_for("Moving")
    first = next(line for line in top.splitlines() if "Moving" in line)
    term.type("jjjj")
    moved = term.wait_for(lambda s: "Moving" not in s)
    assert first not in moved
    term.type("kkkk")
    term.wait_for("Moving")
    term.type("G")
    term.wait_for("regular expression")


def test_find_keeps_time_whole_and_says_which_match(term: Terminal) -> None:
    term.keys("g", "s")
    term.type("verb:delete")
    term.keys("Enter")
    # The header follows the table's columns one message later: wait for both.
    screen = term.wait_for(
        lambda s: (
            "find: verb:delete (1 of 30)" in s
            and any(line.startswith("  TIME") for line in s.splitlines())
        )
    )
    marked = [line for line in screen.splitlines() if line.startswith("▶")]
    assert marked, screen
    assert all(re.match(r"▶ (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3} ", line) for line in marked), (
        marked
    )
    header = next(line for line in screen.splitlines() if "TIME" in line)
    assert header.startswith("  TIME"), header  # the gutter is over TIME, not in it
    term.type("nnnnnnnnn")
    screen = term.wait_for("find: verb:delete (10 of 30)")
    rows = screen.splitlines()
    table = [n for n, line in enumerate(rows) if re.match(r"[▶ ] \d\d", line)]
    matches = [n for n in table if rows[n].startswith("▶")]
    middle = (table[0] + table[-1]) / 2
    # the highlighted match (the one the status names) is in the middle: matches around it
    assert any(abs(n - middle) <= 2 for n in matches), screen
    term.type("j")
    term.wait_for("find: verb:delete (30 matches)")


def test_histogram_cursor_shows_its_bucket(term: Terminal) -> None:
    term.keys("h")
    term.wait_for("in buckets of")
    term.keys("Tab", "Home")
    screen = term.wait_for("▲")
    info = next(line for line in screen.splitlines() if "▲" in line)
    assert re.search(r"\d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC: \d+ events?", info), info
    term.keys("End")
    term.wait_for(lambda s: "▲" in s and next(x for x in s.splitlines() if "▲" in x) != info)


def test_theme_from_the_palette_restyles_the_policy_panel(tmp_path: Path) -> None:
    from kaudit_tui.demo.replay import demo_files

    log, policy = demo_files()
    command = "COLORTERM=truecolor " + kaudit("--no-follow", "-p", str(policy), str(log))
    terminal = Terminal(command, tmp_path, width=120, height=30)
    try:
        terminal.wait_for(" events")
        terminal.keys("p")
        terminal.wait_for("logged:")
        terminal.keys("C-p")
        terminal.wait_for("Search for commands")
        terminal.type("theme")
        terminal.keys("Enter")
        terminal.wait_for("Search for themes")
        terminal.type("kaudit-light")
        terminal.wait_for(lambda s: s.count("kaudit-light") >= 2 and "kaudit-dark" not in s)
        terminal.keys("Enter")
        styled = terminal.wait_for_styled(lambda s: "48;2;240;243;246" in s)
        line = next(x for x in styled.splitlines() if "logged:" in x)
        before = line[: line.index("logged:")]
        # the last background set before the text is the light panel's, not the dark one's
        backgrounds = re.findall(r"48;2;(\d+;\d+;\d+)", before)
        assert backgrounds and backgrounds[-1] == "240;243;246", line
    finally:
        terminal.close()
