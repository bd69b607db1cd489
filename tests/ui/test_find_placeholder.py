"""The find bar says what find does, not how to filter."""

from __future__ import annotations

from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.conftest import LOGS
from tests.ui.support import SIZE, loaded, make_app, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


async def test_the_find_bar_placeholder_is_about_find() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        bar = app.query_one(QueryBar)
        assert "to filter" in bar.input.placeholder
        await pilot.press("s")
        await wait_until(pilot, lambda: bar.mode == "find")
        assert "to filter" not in bar.input.placeholder
        assert "n/N" in bar.input.placeholder
        await pilot.press("escape", "slash")
        await wait_until(pilot, lambda: bar.mode == "filter")
        assert "to filter" in bar.input.placeholder
