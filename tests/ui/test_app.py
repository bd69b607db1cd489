"""The app over real files: counts, filtering with the query bar, errors, history, follow."""

from __future__ import annotations

from pathlib import Path

import orjson

from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.conftest import LOGS
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, status, ui_event, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


def count(path: Path, **fields: str) -> int:
    """How many events of ``path`` have all the given top-level fields (computed directly)."""
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return sum(all(e.get(k) == v for k, v in fields.items()) for e in events)


async def test_status_shows_shown_and_total_events() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        assert "757 / 757 events" in status(app)
        assert len(app.table.rows) == 757


async def test_query_bar_filters_the_view() -> None:
    deletes = count(LIGGITT, verb="delete")
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("slash", *"verb:delete", "enter")
        await filtered(pilot, app, "verb:delete")
        assert f"{deletes:,} / 757 events" in status(app)
        assert {app.store.row(int(r))["verb"] for r in app.table.rows} == {"delete"}
        assert app.table.has_focus


async def test_query_errors_are_shown_at_their_column_and_keep_the_view() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("slash", *"verb:get nosuchfield:x", "enter")
        bar = app.query_one(QueryBar)
        await wait_until(pilot, lambda: bar.has_class("-error"))
        error_line = bar.query_one(".error").render().plain
        assert error_line.index("^") == len("filter ›") + 2 + len("verb:get ")
        assert app.query_text == ""
        assert "757 / 757 events" in status(app)
        await pilot.press("escape")
        assert app.table.has_focus and not bar.has_class("-error")


async def test_query_history_recalls_earlier_queries() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("slash", *"verb:get", "enter")
        await filtered(pilot, app, "verb:get")
        await pilot.press("slash", "ctrl+u", *"verb:list", "enter")
        await filtered(pilot, app, "verb:list")
        await pilot.press("slash", "up", "up")
        assert app.query_one(QueryBar).input.value == "verb:get"
        await pilot.press("down")
        assert app.query_one(QueryBar).input.value == "verb:list"
        await pilot.press("enter")
        await filtered(pilot, app, "verb:list")


async def test_initial_query_is_applied(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(*(ui_event(i, user="bob" if i % 3 else "alice") for i in range(30))))
    app = make_app(log, query="user:alice")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 30)
        await filtered(pilot, app, "user:alice")
        assert "10 / 30 events" in status(app)
        assert app.query_one(QueryBar).input.value == "user:alice"


async def test_follow_shows_new_events_and_pauses_when_moving_up(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(*(ui_event(i) for i in range(100))))
    app = make_app(log, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 100)
        table = app.table
        assert table.follow and table.cursor == 99
        with log.open("ab") as out:
            out.write(lines(ui_event(100, user="carol", verb="delete")))
        await loaded(pilot, app, 101)
        await wait_until(pilot, lambda: table.cursor == 100)
        assert app.store.row(table.highlighted_row)["user"] == "carol"
        assert table.scroll_offset.y == table.max_scroll_y

        await pilot.press("k")
        assert not table.follow and "paused" in status(app)
        paused_on = table.highlighted_row
        with log.open("ab") as out:
            out.write(lines(*(ui_event(i) for i in range(101, 120))))
        await loaded(pilot, app, 120)
        assert table.highlighted_row == paused_on

        await pilot.press("end")
        assert table.follow and table.cursor == 119
        await pilot.press("g")
        assert not table.follow and table.cursor == 0
        await pilot.press("f")
        assert table.follow and table.cursor == 119
        assert "paused" not in status(app)
