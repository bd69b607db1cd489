"""Impersonated requests in the UI: the facets count the users acted as (``as``) whenever the
view holds such requests, and the detail header names both the user and the one it acted as."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
from textual.widgets import Static

from kaudit_tui.core.stats import summary_counts
from kaudit_tui.ui.panels.facets import FacetsPanel
from kaudit_tui.ui.screens.detail import DetailScreen
from kaudit_tui.ui.widgets.query_bar import QueryBar
from kaudit_tui.view.derived import FACET_TITLES
from tests.conftest import LOGS
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, ui_event, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
EVENTS = [orjson.loads(line) for line in LIGGITT.read_bytes().splitlines()]


def impersonated(event: dict) -> str:
    return (event.get("impersonatedUser") or {}).get("username", "")


async def submit(pilot, app, text: str) -> None:  # noqa: ANN001
    await pilot.press("slash")
    app.query_one(QueryBar).input.value = text
    await pilot.press("enter")


def headings(facets: FacetsPanel) -> list[str]:
    options = [facets.get_option_at_index(i) for i in range(facets.option_count)]
    return [str(option.prompt) for option in options if option.disabled]


async def test_facets_show_the_impersonated_users_and_enter_adds_as() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await submit(pilot, app, "code:403")
        await filtered(pilot, app, "code:403")
        await pilot.press("c")
        facets = app.query_one(FacetsPanel)
        denied = [e for e in EVENTS if (e.get("responseStatus") or {}).get("code") == 403]
        expected = Counter(impersonated(e) for e in denied if impersonated(e))
        assert expected
        await wait_until(pilot, lambda: dict(facets.counts.get("as", [])) == dict(expected))
        # the same numbers as --stats, from the same function
        assert facets.counts == summary_counts(app.store, app.live.rows, 8)
        titles = headings(facets)
        assert titles[:3] == [FACET_TITLES["user"], FACET_TITLES["as"], FACET_TITLES["verb"]]
        await pilot.press("tab")
        assert app.focused is facets
        facets.highlighted = facets.get_option_index("as\x00alice")
        await pilot.press("enter")
        await filtered(pilot, app, "code:403 as:alice")
        await wait_until(pilot, lambda: dict(facets.counts["as"]) == {"alice": expected["alice"]})
        # a view without impersonated requests has no such facet
        app.query_one(QueryBar).input.value = ""
        await submit(pilot, app, 'as:""')
        await filtered(pilot, app, 'as:""')
        await wait_until(pilot, lambda: "as" not in facets.counts)
        assert FACET_TITLES["as"] not in headings(facets)


async def test_the_detail_header_names_the_user_and_the_one_it_acted_as(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(
        lines(
            ui_event(1, user="system:admin", impersonated="alice", code=403),
            ui_event(2, user="system:admin", impersonated="evil\x1b[31m"),
            ui_event(3, user="bob"),
        )
    )
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 3)

        async def header(row: int) -> str:
            await pilot.press("g", *["j"] * row, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
            text = str(app.screen.query_one("#detail-summary", Static).render())
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, DetailScreen))
            return text

        first = await header(0)
        assert "user=system:admin as=alice" in first
        second = await header(1)
        assert "user=system:admin as=evil\\x1b[31m" in second
        assert "\x1b" not in second
        third = await header(2)
        assert "user=bob" in third and "as=" not in third
