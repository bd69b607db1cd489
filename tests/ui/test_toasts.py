"""A notification that expires while its toast is being mounted must not freeze the screen."""

from __future__ import annotations

import time
from pathlib import Path

from textual.notifications import Notification
from textual.widgets._toast import Toast, ToastHolder, ToastRack

from tests.ui.support import lines, loaded, make_app, ui_event


async def test_a_toast_of_an_expired_notification_goes_away_and_keys_still_work(
    tmp_path: Path,
) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(*(ui_event(i) for i in range(50))))
    app = make_app(log)
    async with app.run_test(notifications=True) as pilot:
        await loaded(pilot, app, 50)
        app.notify("indexed")
        await pilot.pause()
        # What a busy machine does: the notification expires between Textual's check and the
        # toast taking its time left (negative), which made Textual's timer spin for ever.
        expired = Notification("copied", timeout=1, raised_at=time.time() - 10)
        rack = app.screen.get_child_by_type(ToastRack)
        await rack.mount(ToastHolder(Toast(expired), id="toast-expired"))
        await pilot.pause(0.2)
        await pilot.press("G")
        await pilot.pause()
        assert not app.screen.query("#toast-expired")
        assert app.table.cursor == 49  # the key was answered
