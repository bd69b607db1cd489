"""The help screen's keys; panels that follow a theme switch."""

from __future__ import annotations

import tomllib
from pathlib import Path

import orjson
from rich.color import Color

from kaudit_tui.core.policy import load_policy
from kaudit_tui.demo.replay import demo_files
from kaudit_tui.ui.screens.help import HelpScreen
from kaudit_tui.ui.theming import bundled_dir
from tests.ui.support import SIZE, lines, loaded, make_app, ui_event, wait_until

DEMO_LOG, DEMO_POLICY = demo_files()


async def test_help_scrolls_with_j_and_k(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(ui_event(0)))
    app = make_app(log)
    async with app.run_test(size=(100, 20)) as pilot:
        await loaded(pilot, app, 1)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        scroller = app.screen.query_one("#help")
        await pilot.pause()
        assert scroller.max_scroll_y > 0
        await pilot.press("j", "j", "j")
        await wait_until(pilot, lambda: scroller.scroll_y >= 3)
        await pilot.press("k")
        await wait_until(pilot, lambda: scroller.scroll_y == 2)
        await pilot.press("G")
        await wait_until(pilot, lambda: scroller.scroll_y == scroller.max_scroll_y)
        await pilot.press("g")
        await wait_until(pilot, lambda: scroller.scroll_y == 0)


def theme_colour(name: str, variable: str) -> Color:
    data = tomllib.loads((bundled_dir() / f"{name}.toml").read_text())
    return Color.parse(data["variables"][variable])


async def test_policy_panel_follows_a_theme_switch() -> None:
    events = [orjson.loads(line) for line in DEMO_LOG.read_bytes().splitlines()]
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(events))
        await pilot.press("p")
        text_widget = app.query_one("#policy-text")
        await wait_until(pilot, lambda: "logged:" in text_widget.render().plain)
        app.theme = "kaudit-light"
        await pilot.pause(0.2)

        await wait_until(pilot, lambda: logged_segment(text_widget) is not None)
        style = logged_segment(text_widget).style
        # drawn on the light theme's panel background, in its colour for the outcome
        assert style.bgcolor.triplet == Color.parse("#f0f3f6").triplet, style
        outcomes = ("policy-logged", "policy-dropped")
        assert style.color.triplet in {theme_colour("kaudit-light", v).triplet for v in outcomes}


def logged_segment(widget):  # noqa: ANN001, ANN201
    """The drawn segment that starts the policy panel's ``logged:`` line."""
    for y in range(widget.size.height):
        for segment in widget.render_line(y):
            if segment.text.startswith("logged:"):
                return segment
    return None
