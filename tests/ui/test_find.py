"""Find: the marker in a gutter, each match in the middle of the screen, "k of N"."""

from __future__ import annotations

from pathlib import Path

from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.ui.support import SIZE, lines, loaded, make_app, status, ui_event, wait_until


async def submit(pilot, app, text: str, key: str = "slash") -> None:  # noqa: ANN001
    await pilot.press(key)
    app.query_one(QueryBar).input.value = text
    await pilot.press("enter")


def line_text(app, y: int) -> str:  # noqa: ANN001
    return "".join(segment.text for segment in app.table.render_line(y))


def screen_line_of(app, row: int) -> int:  # noqa: ANN001
    index = int(list(app.table.rows).index(row))
    return index - round(app.table.scroll_offset.y)


def every_tenth_deletes(tmp_path: Path, count: int = 300) -> Path:
    log = tmp_path / "audit.log"
    events = [ui_event(n, verb="delete" if n % 10 == 5 else "get") for n in range(count)]
    log.write_bytes(lines(*events))
    return log


async def test_find_marker_keeps_the_whole_time_cell(tmp_path: Path) -> None:
    app = make_app(every_tenth_deletes(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 300)
        await submit(pilot, app, "verb:delete", key="s")
        await wait_until(pilot, lambda: len(app.marks) == 30)
        y = screen_line_of(app, app.table.highlighted_row)
        text = line_text(app, y)
        assert "03:" in text
        time_cell = text[text.index("03:") : text.index("03:") + 12]
        assert len(time_cell.rstrip()) == 12 and time_cell[-4] == "."  # milliseconds kept
        assert text.lstrip().startswith("▶")  # the marker sits in a gutter before TIME
        unmarked = line_text(app, y + 1)
        assert "▶" not in unmarked
        assert unmarked.index("03:") == text.index("03:")  # columns stay aligned
        await pilot.press("r")  # the request view too
        await wait_until(pilot, lambda: app.requests is not None and len(app.table.rows) == 300)
        await pilot.pause(0.6)
        y = screen_line_of(app, app.table.highlighted_row)
        text = line_text(app, y)
        assert "▶" in text and text[text.index("03:") + 8] == "."


async def test_n_puts_the_match_in_the_middle_and_status_says_which(tmp_path: Path) -> None:
    app = make_app(every_tenth_deletes(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 300)
        await pilot.press("g")
        await submit(pilot, app, "verb:delete", key="s")
        await wait_until(pilot, lambda: len(app.marks) == 30)
        await wait_until(pilot, lambda: "find: verb:delete (1 of 30)" in status(app))
        height = app.table.size.height
        for k in range(2, 8):
            await pilot.press("n")
            wanted = f"find: verb:delete ({k} of 30)"
            await wait_until(pilot, lambda wanted=wanted: wanted in status(app))
        line = screen_line_of(app, app.table.highlighted_row)
        assert abs(line - height // 2) <= 1, (line, height)
        await pilot.press("j")  # off the match: the count alone
        await wait_until(pilot, lambda: "find: verb:delete (30 matches)" in status(app))
        assert "n/N" not in status(app)
