"""The query bar in the app: keys typed in one burst land in order; OR and groups apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, status, ui_event, wait_until

CHARACTERS = {
    "enter": "\r",
    "backspace": "\x7f",
    "ctrl+u": "\x15",
    "ctrl+w": "\x17",
    "escape": "\x1b",
}


def burst(app: KauditApp, *keys: str) -> None:
    """Queue ``keys`` at once, as the driver does for one read of the terminal.

    ``pilot.press`` lets the app go idle after every key, which hides ordering bugs.
    """
    driver = app._driver
    assert driver is not None
    for key in keys:
        if len(key) == 1:
            name = key if key.isalnum() else _character_to_key(key)
            message = events.Key(name, key)
        else:
            message = events.Key(key, CHARACTERS.get(key))
        message.set_sender(app)
        driver.send_message(message)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    path.write_bytes(
        lines(*(ui_event(i, code=403 if i % 10 == 0 else 200,
                      verb="delete" if i % 4 == 0 else "get") for i in range(200)))
    )  # fmt: skip
    return path


async def applied(pilot: Pilot, app: KauditApp, query: str, shown: int) -> None:
    await filtered(pilot, app, query)
    assert f"{shown:,} / 200 events" in status(app)


async def test_a_burst_after_ctrl_u_replaces_the_query(log: Path) -> None:
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 200)
        await pilot.press("slash", *"verb:get", "enter")
        await applied(pilot, app, "verb:get", 150)
        burst(app, "slash", "ctrl+u", *"code:403", "enter")
        await applied(pilot, app, "code:403", 20)


async def test_a_burst_after_backspaces_edits_the_query(log: Path) -> None:
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 200)
        await pilot.press("slash", *"verb:get", "enter")
        await applied(pilot, app, "verb:get", 150)
        burst(app, "slash", "end", *["backspace"] * 3, *"delete code:403", "enter")
        await applied(pilot, app, "verb:delete code:403", 10)


async def test_a_burst_with_history_and_cursor_keys(log: Path) -> None:
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 200)
        await pilot.press("slash", *"verb:get", "enter")
        await applied(pilot, app, "verb:get", 150)
        burst(app, "slash", "ctrl+u", *"code:403", "enter")
        await applied(pilot, app, "code:403", 20)
        burst(app, "slash", "up", "up", "home", *"-", "end", *" code:200", "enter")
        await applied(pilot, app, "-verb:get code:200", 40)
        assert app.query_one(QueryBar).input.value == "-verb:get code:200"


async def test_or_and_groups_apply_from_the_query_bar(log: Path) -> None:
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 200)
        burst(app, "slash", *"code:403 OR (verb:delete -code:403)", "enter")
        await applied(pilot, app, "code:403 OR (verb:delete -code:403)", 20 + 40)
        burst(app, "slash", "ctrl+u", *"(verb:get OR code:403", "enter")
        bar = app.query_one(QueryBar)
        await wait_until(pilot, lambda: bar.has_class("-error"))
        error_line = bar.query_one(".error").render().plain
        assert error_line.index("^") == len("filter ›") + 2
        assert "unclosed '('" in error_line
        assert app.query_text == "code:403 OR (verb:delete -code:403)"
