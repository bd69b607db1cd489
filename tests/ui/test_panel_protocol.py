"""The panel protocol, as a template: a new panel is one class, registered, and the App gives it
a key, a place, a line in the help screen and the palette, and runs its computation off the UI
thread over the current view. Copy this test when adding a panel."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Static

from kaudit_tui.ui.panels import Panel, PanelView, register, unregister
from kaudit_tui.ui.screens.help import HelpScreen
from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, ui_event, wait_until


class TallyPanel(Panel, Static):
    """A tiny panel: how many events the view holds."""

    KEY = "z"
    NAME = "tally"
    TITLE = "Tally"
    DESCRIPTION = "how many events the view holds"
    WIDTH = 24

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.runs: list[tuple[threading.Thread, np.ndarray]] = []
        self.times: list[float] = []

    def compute(self, view: PanelView) -> int:
        self.times.append(time.monotonic())
        self.runs.append((threading.current_thread(), view.rows.copy()))
        return len(view.rows)

    def show(self, result: object) -> None:
        self.update(f"{result:,} events")


@pytest.fixture
def tally() -> Iterator[type[TallyPanel]]:
    register(TallyPanel)
    yield TallyPanel
    unregister(TallyPanel.NAME)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    path.write_bytes(
        lines(*(ui_event(i, user="bob" if i % 10 == 0 else "alice") for i in range(30)))
    )
    return path


def shown(panel: Static) -> str:
    return str(panel.render())


async def test_a_registered_panel_gets_a_key_help_palette_and_a_worker(tally, log) -> None:  # noqa: ANN001
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 30)
        panel = app.query_one(f"#{tally.NAME}", TallyPanel)
        assert not panel.display

        await pilot.press("z")
        assert panel.display and app.focused is app.table  # opening takes no keyboard
        await wait_until(pilot, lambda: shown(panel) == "30 events")
        thread, rows = panel.runs[-1]
        assert thread is not threading.main_thread()
        assert np.array_equal(rows, app.live.rows)

        await pilot.press("slash")
        app.query_one(QueryBar).input.value = "user:bob"
        await pilot.press("enter")
        await filtered(pilot, app, "user:bob")
        await wait_until(pilot, lambda: shown(panel) == "3 events")
        thread, rows = panel.runs[-1]
        assert thread is not threading.main_thread()
        assert np.array_equal(rows, app.live.rows) and len(rows) == 3

        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = dict(next(rows for title, _, rows in app.screen.sections() if title == "Keys"))
        assert keys["z"] == "tally panel: how many events the view holds"
        await pilot.press("escape")

        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert commands["Tally"].help == "Tally panel: how many events the view holds (z)"
        commands["Tally"].callback()
        assert not panel.display
        await pilot.press("z")
        assert panel.display


async def test_panels_are_computed_at_most_twice_a_second(tally, tmp_path: Path) -> None:  # noqa: ANN001
    log = tmp_path / "audit.log"
    log.write_bytes(b"")
    app = make_app(log, follow=True, panels=[tally.NAME])
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(TallyPanel)
        with log.open("ab") as out:
            for n in range(30):  # a stream of appends over about 1.5 s
                out.write(lines(ui_event(n)))
                out.flush()
                await pilot.pause(0.05)
        await wait_until(pilot, lambda: shown(panel) == "30 events")
        gaps = np.diff(panel.times)
        assert len(gaps) and gaps.min() > 0.3, gaps  # PANEL_INTERVAL less thread start jitter


def test_a_panel_key_taken_by_another_panel_is_refused(tally) -> None:  # noqa: ANN001
    class Clash(TallyPanel):
        NAME = "clash"

    with pytest.raises(ValueError, match="taken by 'tally'"):
        register(Clash)
