"""The palette command "Least-privilege RBAC for this user": the YAML for the highlighted event's
identity (the impersonated user), over the view, with ``y`` copy and ``e`` export (mode 0600)."""

from __future__ import annotations

from pathlib import Path

import yaml

from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.screens.export import ExportScreen
from kaudit_tui.ui.screens.rbac import RbacScreen
from tests.conftest import LOGS
from tests.ui.support import SIZE, filtered, loaded, make_app, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1-cleaned.log"
TITLE = "Least-privilege RBAC for this user"


def notes(app: KauditApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


def highlight_identity(app: KauditApp, identity: str) -> None:
    store = app.store
    row = next(r for r in range(store.first_id, store.next_id) if store.row(r)["as"] == identity)
    app.table.go_to_row(row)


async def open_from_palette(pilot, app: KauditApp) -> RbacScreen:  # noqa: ANN001
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    await pilot.press(*"Least-privilege RBAC")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, RbacScreen))
    assert isinstance(app.screen, RbacScreen)
    return app.screen


async def test_the_palette_shows_the_rbac_of_the_highlighted_events_identity(
    tmp_path: Path,
) -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 37)
        assert TITLE in {command.title for command in app.get_system_commands(app.screen)}
        highlight_identity(app, "bob")
        screen = await open_from_palette(pilot, app)
        assert screen.identity == "bob"
        documents = list(yaml.safe_load_all(screen.text))
        assert [d["kind"] for d in documents] == [
            "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Role", "RoleBinding",
        ]  # fmt: skip
        assert screen.text.startswith("# kaudit-tui: 29 requests by bob (4 of them denied)\n")
        shown = app.export_screenshot()  # what the terminal shows
        assert "least-privilege&#160;RBAC&#160;for&#160;bob" in shown
        assert "ClusterRoleBinding" in shown

        await pilot.press("y")
        assert app.clipboard == screen.text
        assert any("RBAC YAML sent to the terminal's clipboard" in n for n in notes(app))

        target = tmp_path / "bob.yaml"
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists())
        assert target.read_text() == screen.text
        assert target.stat().st_mode & 0o777 == 0o600
        await wait_until(pilot, lambda: isinstance(app.screen, RbacScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RbacScreen))


async def test_the_view_narrows_the_requests_and_a_service_account_is_bound_as_one() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 37)
        await pilot.press("/", *"ns:default", "enter")
        await filtered(pilot, app, "ns:default")
        highlight_identity(app, "system:serviceaccount:ns1:sa1")
        screen = await open_from_palette(pilot, app)
        documents = list(yaml.safe_load_all(screen.text))
        assert [(d["kind"], d["metadata"].get("namespace")) for d in documents] == [
            ("Role", "default"), ("RoleBinding", "default"),
        ]  # fmt: skip
        assert documents[1]["subjects"] == [
            {"kind": "ServiceAccount", "name": "sa1", "namespace": "ns1"}
        ]
