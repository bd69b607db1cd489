"""Exporting the view never replaces a file without asking, and always writes mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.screens.export import ExportScreen, ReplaceScreen
from tests.conftest import LOGS
from tests.ui.support import SIZE, loaded, make_app, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


def notes(app: KauditApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def open_export(pilot, app: KauditApp, target: Path) -> None:  # noqa: ANN001
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
    app.screen.query_one("#export-path").value = str(target)
    await pilot.press("enter")


async def test_an_existing_file_is_kept_unless_the_user_says_y(tmp_path: Path) -> None:
    target = tmp_path / "kaudit-export.jsonl"
    target.write_bytes(b"keep me\n")
    target.chmod(0o644)
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await open_export(pilot, app, target)
        await wait_until(pilot, lambda: isinstance(app.screen, ReplaceScreen))
        question = app.screen.query_one("#replace-question").render()
        assert str(question) == f"replace {target}? (y/n)"
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert target.read_bytes() == b"keep me\n"

        await open_export(pilot, app, target)
        await wait_until(pilot, lambda: isinstance(app.screen, ReplaceScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: any("exported 757 events" in n for n in notes(app)))
    assert target.read_bytes() == LIGGITT.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(tmp_path)) == ["kaudit-export.jsonl"]  # no temporary left


async def test_a_folder_that_does_not_exist_gets_a_sentence(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.jsonl"
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await open_export(pilot, app, target)
        expected = f"the folder {target.parent} does not exist"
        await wait_until(pilot, lambda: expected in notes(app))
        assert isinstance(app.screen, ExportScreen)  # the path can be corrected
    assert not any("Errno" in note for note in notes(app))
    assert not target.parent.exists()
