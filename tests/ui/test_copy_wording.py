"""``y`` says where the event went: to the terminal's clipboard, which some terminals ignore."""

from __future__ import annotations

from kaudit_tui.ui.screens.detail import DetailScreen
from tests.conftest import LOGS
from tests.ui.support import SIZE, loaded, make_app, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


async def test_copy_says_it_was_sent_to_the_terminal_and_how_to_export() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("g", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await wait_until(pilot, lambda: bool(app.screen.compact))
        await pilot.press("y")
        await pilot.pause()
        said = [str(note.message) for note in app._notifications]
    assert any("sent to the terminal's clipboard" in note for note in said)
    assert any("exports the view to a file" in note for note in said)
    assert not any(note.startswith("event JSON copied") for note in said)
