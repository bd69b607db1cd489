"""How panels behave: they never take the keyboard, the policy panel follows the event cursor,
Tab and Esc move the keyboard in and out, facet values stay on one line, the table keeps its
main columns beside a panel at 80x24, and TIME shows dates unless the view is all today."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.cells import cell_len

from kaudit_tui.core.policy import load_policy
from kaudit_tui.demo.replay import demo_files
from kaudit_tui.ui.panels import FacetsPanel, PolicyPanel
from kaudit_tui.ui.panels.policy import verdict_text
from kaudit_tui.view.timing import shows_date
from tests.conftest import LOGS
from tests.ui.support import BASE, SIZE, lines, loaded, make_app, ui_event, wait_until

DEMO_LOG, DEMO_POLICY = demo_files()
DEMO_EVENTS = len(DEMO_LOG.read_bytes().splitlines())
LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
MAIN_COLUMNS = ("time", "user", "verb", "resource", "code")


def panel_text(app) -> str:  # noqa: ANN001
    return app.query_one("#policy-text").render().plain


def expected_verdict(app) -> str:  # noqa: ANN001
    verdict = app.policy.verdict(app.store, app.table.highlighted_row)
    return verdict_text(verdict).plain


async def test_the_policy_panel_takes_no_keyboard_and_follows_the_cursor() -> None:
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=(100, 20)) as pilot:  # the verdict is taller than the panel
        await loaded(pilot, app, DEMO_EVENTS)
        panel = app.query_one(PolicyPanel)
        await pilot.press("p")
        assert panel.display and app.focused is app.table
        await wait_until(pilot, lambda: panel_text(app) == expected_verdict(app))
        for key in ("up", "up", "k", "up"):
            before = app.table.cursor
            await pilot.press(key)
            assert app.table.cursor == before - 1  # the arrows still move the event cursor
            await wait_until(pilot, lambda: panel_text(app) == expected_verdict(app))

        await pilot.press("tab")  # the keyboard goes into the panel: the arrows scroll it
        assert app.focused is panel and panel.max_scroll_y > 3
        cursor = app.table.cursor
        await pilot.press("down", "down", "down")
        await wait_until(pilot, lambda: panel.scroll_y == 3)
        assert app.table.cursor == cursor

        await pilot.press("escape")  # and comes back
        assert app.focused is app.table
        await pilot.press("up")
        assert app.table.cursor == cursor - 1
        await wait_until(pilot, lambda: panel_text(app) == expected_verdict(app))


async def test_tab_visits_the_open_panels_then_the_table() -> None:
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, DEMO_EVENTS)
        await pilot.press("c", "h", "p")
        assert app.focused is app.table
        visited = []
        for _ in range(4):
            await pilot.press("tab")
            visited.append(app.focused.id)
        assert visited == ["facets", "histogram", "policy", "events"]
        await pilot.press("shift+tab")
        assert app.focused.id == "policy"
        await pilot.press("p")  # hiding the focused panel gives the keyboard back
        assert app.focused is app.table


async def test_facet_values_stay_on_one_line_and_the_highlighted_one_is_whole(
    tmp_path: Path,
) -> None:
    long_user = "system:serviceaccount:very-long-namespace-name:a-rather-long-account-name"
    log = tmp_path / "audit.log"
    log.write_bytes(
        lines(*(ui_event(i, user=long_user if i % 2 else f"u{i % 3}") for i in range(30)))
    )
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 30)
        await pilot.press("c")
        facets = app.query_one(FacetsPanel)
        await wait_until(pilot, lambda: bool(facets.counts))
        await pilot.pause(0.1)
        width = facets.scrollable_content_region.width
        options = [facets.get_option_at_index(i) for i in range(facets.option_count)]
        long_option = facets.get_option(f"user\x00{long_user}")
        assert "…" in long_option.prompt.plain and long_user not in long_option.prompt.plain
        for option in options:
            assert cell_len(option.prompt.plain) <= width, option.prompt.plain
        assert facets.virtual_size.height == len(options)  # one line each

        await pilot.press("tab")
        facets.highlighted = facets.get_option_index(f"user\x00{long_user}")
        await pilot.pause()
        assert long_user in facets.get_option(f"user\x00{long_user}").prompt.plain
        await wait_until(pilot, lambda: facets.virtual_size.height > len(options))
        facets.highlighted = facets.get_option_index("verb\x00get")
        await pilot.pause()
        assert "…" in facets.get_option(f"user\x00{long_user}").prompt.plain
        await wait_until(pilot, lambda: facets.virtual_size.height == len(options))


def _line(app, y: int) -> str:  # noqa: ANN001
    return "".join(segment.text for segment in app.table.render_line(y))


async def test_a_log_from_another_day_shows_dates() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:  # 2017, all within one day
        await loaded(pilot, app, 757)
        assert app.table.with_date
        assert _line(app, 0).startswith("2017-09-11 20:0")
        assert app.query_one("ColumnHeader").render().plain.startswith("TIME (UTC)")


async def test_a_log_of_today_shows_times_only(tmp_path: Path) -> None:
    now = time.time()
    seconds = now - BASE.timestamp() - 0.5
    log = tmp_path / "audit.log"
    log.write_bytes(lines(ui_event(0, seconds=seconds), ui_event(1, seconds=seconds + 0.2)))
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 2)
        today = datetime.fromtimestamp(now, UTC)
        if today.date() == datetime.fromtimestamp(now - 1, UTC).date():  # not at midnight
            assert not app.table.with_date
            assert _line(app, 0).startswith(f"{today:%H}:")


def test_shows_date_when_not_today_or_several_days() -> None:
    class Store:
        first_id = 0

        def __init__(self, ts: list[int]) -> None:
            self.ts = np.array(ts, dtype=np.int64)

        def column(self, name: str) -> np.ndarray:
            return self.ts

    day = 86_400_000_000
    today = 20_000 * day
    now = (today + 3_600_000_000) / 1_000_000
    rows = np.arange(2)
    assert not shows_date(Store([today, today + 10]), rows, now)
    assert shows_date(Store([today - day, today - day + 10]), rows, now)  # yesterday, one day
    assert shows_date(Store([today - 10, today + 10]), rows, now)  # spans midnight
    assert not shows_date(Store([]), rows[:0], now)


async def test_at_80x24_a_panel_leaves_the_main_columns_readable() -> None:
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, DEMO_EVENTS)
        for keys in (["p"], ["p", "c"], ["c", "h"], ["h", "p"]):
            await pilot.press(*keys)
            await pilot.pause(0.1)
            columns = {column.key: column for column in app.table.columns}
            assert set(MAIN_COLUMNS) <= set(columns), (keys, list(columns))
            assert columns["user"].width >= 12 and columns["resource"].width >= 12
            assert columns["time"].width >= 19  # the demo log is from another day: dated
            assert sum(c.width + 1 for c in columns.values()) - 1 <= app.table.size.width
            cells = app.table.cells.cells(app.table.highlighted_row, app.table.with_date)
            for key in ("verb", "code"):  # shown whole
                assert len(cells[key][0]) <= columns[key].width
            assert (
                _line(app, app.table.cursor - round(app.table.scroll_y))[:19]
                == (cells["time"][0][:19])
            )
            await pilot.press(*keys)  # close them again
