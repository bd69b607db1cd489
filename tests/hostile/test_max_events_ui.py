"""``--max-events`` in the terminal UI: the oldest events leave, the view stays coherent.

A followed file grows past the cap while the operator looks at older events: the cursor stays
on the event it was on (or on the oldest kept one if that event left), the status bar counts
what was dropped, and screens opened on an event that has since left say so instead of failing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from textual.widgets import Static

from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.screens.detail import DetailScreen
from kaudit_tui.ui.screens.export import export_rows
from tests.conftest import index_files
from tests.ui.support import SIZE, lines, make_app, status, ui_event, wait_until

CAP = 30


def append(log: Path, start: int, stop: int) -> None:
    with log.open("ab") as writer:
        writer.write(lines(*(ui_event(n) for n in range(start, stop))))


async def kept(pilot, app: KauditApp, first: int, last: int) -> None:  # noqa: ANN001
    """Wait until the view holds exactly the events ``first``..``last``."""

    def settled() -> bool:
        rows = app.table.rows
        return len(rows) == last - first + 1 and int(rows[0]) == first and int(rows[-1]) == last

    await wait_until(pilot, settled)


async def test_the_cursor_stays_on_its_event_as_older_ones_leave(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    append(log, 0, 20)
    app = make_app(log, follow=True, max_events=CAP)
    async with app.run_test(size=SIZE) as pilot:
        await kept(pilot, app, 0, 19)
        await pilot.press("g", "j", "j")
        assert app.table.highlighted_row == 2 and not app.table.follow
        append(log, 20, 50)  # 20 oldest leave, among them the highlighted one
        await kept(pilot, app, 20, 49)
        assert app.table.highlighted_row == 20  # the oldest kept, not whatever is at index 2
        await pilot.press("j", "j", "j", "j", "j")
        assert app.table.highlighted_row == 25
        append(log, 50, 55)
        await kept(pilot, app, 25, 54)
        assert app.table.highlighted_row == 25
        assert "25 oldest dropped (--max-events)" in status(app)


async def test_a_detail_view_of_an_event_that_left_says_so(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    request = "0badc0de-0000-4000-8000-000000000000"
    log.write_bytes(
        lines(ui_event(0, stage="RequestReceived", audit_id=request), ui_event(1, audit_id=request))
    )
    append(log, 2, 10)
    app = make_app(log, follow=True, max_events=CAP)
    async with app.run_test(size=SIZE) as pilot:
        await kept(pilot, app, 0, 9)
        await pilot.press("g", "enter")
        await wait_until(pilot, lambda: bool(getattr(app.screen, "compact", "")))
        append(log, 10, 60)  # both stages of the request leave
        await wait_until(pilot, lambda: app.store.first_id == 30)
        await pilot.press("shift+tab", "down", "enter")  # the other stage, from the list
        await wait_until(pilot, lambda: "no longer in memory" in _detail_text(app))
        await pilot.press("y", "escape")
        assert app.is_running
        await kept(pilot, app, 30, 59)
        app.push_screen(DetailScreen(app.store, 5))  # the row left while the screen opened
        await wait_until(pilot, lambda: "no longer in memory" in _detail_text(app))
        await pilot.press("escape", "g", "enter")
        await wait_until(pilot, lambda: '"auditID"' in getattr(app.screen, "compact", ""))


def test_an_export_leaves_out_events_that_left(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    append(log, 0, 50)
    store = index_files(log)
    view = np.arange(store.first_id, store.next_id)
    store.evict_to(20)
    written = asyncio.run(export_rows(store, view, tmp_path / "export.jsonl"))
    assert written == 20
    exported = (tmp_path / "export.jsonl").read_bytes()
    assert exported == b"".join(log.read_bytes().splitlines(keepends=True)[30:])


def _detail_text(app: KauditApp) -> str:
    shown = app.screen.query("#detail-json") if isinstance(app.screen, DetailScreen) else []
    return "".join(str(widget.render()) for widget in shown if isinstance(widget, Static))
