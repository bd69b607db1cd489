"""A few deliberate SVG snapshots of the main screens (pytest-textual-snapshot).

Fixed data (a real capture and the bundled demo log, both with fixed timestamps), a fixed
terminal size, no events/s figure (it depends on timing) and no blinking cursor. Update with
``pytest tests/snapshots --snapshot-update`` after checking the new images by eye.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kaudit_tui.core.policy import load_policy
from kaudit_tui.demo.replay import demo_files
from kaudit_tui.sources import open_sources
from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.theming import bundled_dir
from tests.conftest import LOGS
from tests.ui.support import filtered, loaded, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
DEMO_LOG, DEMO_POLICY = demo_files()
SIZE = (130, 36)


class SnapshotApp(KauditApp):
    RATE_WINDOW = 0.0  # the events/s figure drops to nothing once loading is done


@pytest.fixture(autouse=True)
def _relative_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open sources by relative path, so no image shows where the checkout lives."""
    monkeypatch.chdir(LOGS.parent)


def app_on(path: Path, **options: object) -> KauditApp:
    options.setdefault("theme_dirs", [bundled_dir()])
    relative = os.path.relpath(path, LOGS.parent)
    return SnapshotApp(open_sources([relative], follow=False), **options)  # type: ignore[arg-type]


async def settle(pilot: Pilot, app: KauditApp, total: int) -> None:
    await loaded(pilot, app, total)
    await wait_until(pilot, lambda: "ev/s" not in app.status_bar.render().plain)
    for field in app.query(Input):
        field.cursor_blink = False
    await pilot.pause(0.6)  # panels are recomputed at most twice a second


def test_main_screen(snap_compare) -> None:  # noqa: ANN001
    app = app_on(LIGGITT)
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda p: settle(p, app, 757))


def test_filtered_with_facets(snap_compare) -> None:  # noqa: ANN001
    app = app_on(LIGGITT, query="verb:delete,patch", panels=("facets",))

    async def run_before(pilot: Pilot) -> None:
        await filtered(pilot, app, "verb:delete,patch")
        await settle(pilot, app, 757)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_query_error_at_its_column(snap_compare) -> None:  # noqa: ANN001
    app = app_on(LIGGITT)

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, app, 757)
        await pilot.press("slash")
        app.bar.input.value = "verb:get cod:403"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.bar.has_class("-error"))
        app.bar.input.cursor_blink = False

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_detail_view(snap_compare) -> None:  # noqa: ANN001
    app = app_on(LIGGITT)

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, app, 757)
        await pilot.press("g", "j", "j", "enter")
        await wait_until(pilot, lambda: bool(getattr(app.screen, "compact", "")))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_policy_panel_light_theme_and_histogram(snap_compare) -> None:  # noqa: ANN001
    app = app_on(
        DEMO_LOG,
        policy=load_policy(str(DEMO_POLICY)),
        theme="kaudit-light",
        panels=("histogram", "policy"),
        query="code:>=400",
    )

    async def run_before(pilot: Pilot) -> None:
        await filtered(pilot, app, "code:>=400")
        await settle(pilot, app, 1162)
        await wait_until(pilot, lambda: "rule" in app.query_one("#policy-text").render().plain)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare) -> None:  # noqa: ANN001
    app = app_on(LIGGITT)

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, app, 757)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
