"""Panels in a real 80x24 terminal with the demo: the table keeps its main columns beside a
panel, and a panel never takes the keyboard until Tab gives it (Esc gives it back)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, kaudit, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

ROW = re.compile(r"^(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3}")
BORDER = "▊"
"""The left edge of the side panels' column."""


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(kaudit("--demo"), tmp_path, width=80, height=24)
    try:
        term.wait_for(lambda s: "policy" in s and drawn(s))
        yield term
    finally:
        term.close()


def drawn(screen: str) -> bool:
    """The table has its header and a screenful of rows."""
    lines = table_part(screen)
    return (
        any(line.startswith("TIME") for line in lines)
        and sum(bool(ROW.match(line)) for line in lines) >= 10
    )


def table_part(screen: str) -> list[str]:
    """The table's side of each line, without the alert gutter (shown once a rule fires)."""
    lines = [line.split(BORDER)[0] for line in screen.splitlines()]
    gutter = next((line.index("TIME") for line in lines if line.lstrip().startswith("TIME")), 0)
    return [line[gutter:] for line in lines]


def panel_part(screen: str) -> list[str]:
    return [line.split(BORDER, 1)[1] for line in screen.splitlines() if BORDER in line]


def assert_main_columns_readable(screen: str) -> None:
    lines = table_part(screen)
    header = next(line for line in lines if line.startswith("TIME"))
    for title in ("TIME", "USER", "VERB", "RESOURCE", "CODE"):
        assert re.search(rf"\b{title}\b", header), (title, screen)
    rows = [line for line in lines if ROW.match(line)]
    assert rows, screen
    code = header.index("CODE")
    codes = [row[code : code + 4].strip() for row in rows]
    assert any(re.fullmatch(r"[1-5]\d\d", c) for c in codes), screen
    verbs = r"\b(get|list|watch|create|update|patch|delete)\b"
    assert sum(bool(re.search(verbs, row)) for row in rows) >= len(rows) // 2, screen


def test_at_80x24_the_table_keeps_its_main_columns_beside_panels(demo: Terminal) -> None:
    assert_main_columns_readable(demo.screen())  # --demo opens the histogram and policy panels
    demo.keys("c")  # facets too: they share the side column
    screen = demo.wait_for(lambda s: "facets" in s and drawn(s))
    assert_main_columns_readable(screen)
    demo.keys("p", "h")  # facets alone
    screen = demo.wait_for(lambda s: "policy" not in s and "facets" in s and drawn(s))
    assert_main_columns_readable(screen)


def test_a_panel_takes_the_keyboard_only_with_tab(demo: Terminal) -> None:
    demo.keys("h", "p")  # the histogram closed, so that Tab leads to the policy panel
    demo.wait_for(lambda s: "policy" not in s)
    demo.keys("p")  # opened again: the keyboard stays with the table
    demo.wait_for("policy")
    demo.keys("Up")  # moves the event cursor, which pauses following
    demo.wait_for("paused")
    time.sleep(1.0)  # the panel has followed the cursor to its event
    before = demo.screen()

    demo.keys("Tab", "End")  # into the panel: End scrolls the panel, not the table
    after = demo.wait_for(lambda s: panel_part(s)[1:-1] != panel_part(before)[1:-1])
    assert "paused" in after

    demo.keys("Escape", "End")  # back to the table: End goes to the newest event and follows
    demo.wait_for(lambda s: "paused" not in s)
    demo.keys("q")
    assert demo.exit_code() == 0
