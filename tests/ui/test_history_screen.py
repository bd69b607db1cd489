"""Key ``o``: the history of the highlighted event's object on a screen of its own, coloured
diffs, ``n`` for the noise fields, Esc back; in the footer, the help and the palette."""

from __future__ import annotations

import io
from pathlib import Path

from rich.segment import Segment

from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.screens.help import HelpScreen
from kaudit_tui.ui.screens.history import HistoryScreen
from tests.conftest import index_files
from tests.lifecycle import write_lifecycle
from tests.ui.support import SIZE, loaded, make_app, wait_until

EVENTS = 28
"""Events the generated lifecycle writes (13 requests, all but the get with a RequestReceived
stage, and 3 around them)."""


def shown(app: KauditApp) -> str:
    return app.export_screenshot().replace("&#160;", " ")


def highlight(app: KauditApp, user: str, verb: str) -> None:
    store = app.store
    row = next(
        r for r in range(store.first_id, store.next_id)
        if store.row(r)["user"] == user and store.row(r)["verb"] == verb
    )  # fmt: skip
    app.table.go_to_row(row)


async def open_history(pilot, app: KauditApp) -> HistoryScreen:  # noqa: ANN001
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    screen = app.screen
    assert isinstance(screen, HistoryScreen)
    await wait_until(pilot, lambda: screen.rendered >= 1)
    await pilot.pause(0.1)
    return screen


async def test_o_opens_the_history_of_the_highlighted_events_object(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    write_lifecycle(path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, EVENTS)
        highlight(app, "mallory", "update")  # the denied request: any event of the object
        screen = await open_history(pilot, app)
        assert screen.history.spec.label() == "deployments.apps/shop/frontend"
        assert len(screen.history.entries) == 13
        text = shown(app)
        assert "history of deployments.apps/shop/frontend (the whole log)" in text
        assert "13 requests (9 changes, 1 denied, 1 dry run)" in text
        assert "create  alice  201  ResponseComplete  7ms" in text
        # the diff is coloured: added lines in green, removed in red (Rich's diff lexer)
        static = screen.query_one("#history-text")
        segments = [s for line in static.render_lines(static.region.reset_offset) for s in line]
        styles = {seg.text.strip(): seg.style for seg in Segment.simplify(segments) if seg.style}
        added = next(style for text, style in styles.items() if text.startswith("+  labels"))
        assert added.color is not None
        assert "resourceVersion" not in text

        await pilot.press("n")  # the noise fields
        await wait_until(pilot, lambda: screen.rendered >= 2)
        await pilot.pause(0.1)
        assert "resourceVersion" in shown(app)
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.rendered >= 3)
        await pilot.pause(0.1)
        assert "resourceVersion" not in shown(app)

        await pilot.press("end")  # the end: who deleted it
        await pilot.pause(0.2)
        assert "deleted by alice at 2026-11-26T09:13:00.091000Z" in shown(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HistoryScreen))


async def test_a_generated_name_and_an_event_without_an_object(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    write_lifecycle(path)
    with path.open("ab") as file:
        from tests.events import event_line

        file.write(event_line(verb="list", user="zed", name=None, audit_id="a-list"))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, EVENTS + 1)
        highlight(app, "system:serviceaccount:kube-system:deployment-controller", "create")
        screen = await open_history(pilot, app)
        assert screen.history.spec.name.startswith("frontend-")
        assert [e.verb for e in screen.history.entries] == ["create"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HistoryScreen))
        highlight(app, "zed", "list")
        await pilot.press("o")
        await wait_until(pilot, lambda: any(
            "names no object" in str(n.message) for n in app._notifications))  # fmt: skip
        assert not isinstance(app.screen, HistoryScreen)


async def test_the_key_is_in_the_footer_the_help_and_the_palette(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    write_lifecycle(path)
    app = make_app(path)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot, app, EVENTS)
        footer = app.screen.query_one("Footer")
        keys = {(k.key, k.description) for k in footer.query("FooterKey")}
        assert ("o", "History") in keys
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert "History" in commands and "(o)" in commands["History"]
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.2)
        keys = dict(next(rows for title, _, rows in app.screen.sections() if title == "Keys"))
        assert keys["o"].startswith("every request on the highlighted event's object")
        await pilot.press("escape")
        # from the palette
        highlight(app, "carol", "patch")
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"History")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))


def test_a_long_history_shows_its_latest_requests(tmp_path: Path) -> None:
    from rich.console import Console

    from kaudit_tui.core.answers.history import object_history, parse_spec
    from kaudit_tui.ui.screens.history import history_renderable

    path = tmp_path / "audit.log"
    write_lifecycle(path)
    history = object_history(index_files(path), parse_spec("deployments/shop/frontend"))
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(history_renderable(history, limit=2))
    text = console.export_text()
    assert "the first 11 requests are not shown here: kaudit-tui --history prints them all" in text
    assert "  delete  alice  200  " in text and "  create  alice  " not in text
    assert "deleted by alice" in text
