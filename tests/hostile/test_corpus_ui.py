"""The hostile corpus through the real widgets (Pilot): every view draws it escaped.

For each view (the table, every event's detail, the panels, the request view, the skipped
lines, the policy rules, a query built from a hostile facet value) a full redraw is rendered
to the sequences Textual would write, and everything in it besides the app's own colour and
cursor sequences must be plain, visible text.
"""

from __future__ import annotations

from pathlib import Path

from kaudit_tui.core.policy import load_policy
from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.panels.facets import FacetsPanel
from tests.hostile.corpus import CORPUS
from tests.hostile.terminal import foreign, screen_output, screen_text
from tests.ui.support import loaded, make_app, wait_until

SIZE = (200, 60)
EVENTS = 20


def corpus_app(*panels: str) -> KauditApp:
    return make_app(
        CORPUS / "events.jsonl",
        CORPUS / "legacy.log",
        CORPUS / "skipped.log",
        policy=load_policy(CORPUS / "policy.yaml"),
        panels=panels,
    )


def assert_safe(app: KauditApp, where: str) -> str:
    output = screen_output(app)
    assert not foreign(output), (where, sorted(set(foreign(output))))
    return screen_text(app)


async def test_the_table_and_every_detail_view(tmp_path: Path) -> None:
    app = corpus_app("histogram", "policy")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, EVENTS)
        shown = assert_safe(app, "table")
        assert "\\x1b]52;c;" in shown or "\\x1b]52" in shown
        await pilot.press("g")
        for index in range(EVENTS):
            if index:
                await pilot.press("j")
            await wait_until(pilot, lambda i=index: app.table.cursor == i)
            assert_safe(app, f"table, cursor on row {index}")
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "compact", "")))
            assert_safe(app, f"detail of row {index}")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is app.screen_stack[0])


async def test_panels_screens_and_queries(tmp_path: Path) -> None:
    app = corpus_app("facets", "histogram", "policy")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.pause(0.3)  # facets and histogram are refreshed a few times a second
        assert "\\u202e" in assert_safe(app, "panels")
        for key, name in (
            ("exclamation_mark", "skipped"),
            ("P", "rules"),
            ("question_mark", "help"),
        ):
            await pilot.press(key)
            await pilot.pause(0.2)
            assert_safe(app, name)
            await pilot.press("escape")
            await pilot.pause(0.1)
        await pilot.press("r")
        await pilot.pause(0.3)
        assert_safe(app, "request view")
        await pilot.press("r")
        facets = app.query_one(FacetsPanel)
        excluded: set[str | None] = set()
        for count in range(1, 11):  # the top user values: most carry a payload
            await wait_until(pilot, lambda: _first_user(facets) not in excluded)
            excluded.add(_first_user(facets))
            facets.focus()
            facets.highlighted = 1
            await pilot.press("x")  # exclude it
            await wait_until(pilot, lambda n=count: app.query_text.count("-user:") == n)
            await pilot.pause(0.3)
            assert_safe(app, f"query {app.query_text!r}")
            assert app.query_text.isprintable()
        assert app.query_text.count("-user:alice\\x1b") >= 5  # written as the table shows them
        assert len(app.live.rows) == EVENTS - 10
        await pilot.press("slash")
        await pilot.pause(0.1)
        assert_safe(app, "query bar focused")


def _first_user(facets: FacetsPanel) -> str | None:
    """The id of the first user value in the facets panel (option 0 is the title)."""
    return facets.get_option_at_index(1).id if facets.option_count > 1 else None


async def test_skipped_lines_are_counted_as_lines(tmp_path: Path) -> None:
    """A document cut short counts every line it swallowed, as the headless modes say."""
    log = tmp_path / "audit.log"
    pretty = b'{\n  "kind": "Event",\n  "apiVersion": "audit.k8s.io/v1",\n'
    log.write_bytes(pretty + (CORPUS / "events.jsonl").read_bytes().splitlines()[15] + b"\n")
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        await wait_until(pilot, lambda: "3 skipped" in screen_text(app))
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: "3 lines held no audit event" in screen_text(app))
        assert_safe(app, "skipped lines")
