"""Themes in the running app: the default, --theme, user themes, switching, broken files."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rich.color import Color

from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.theming import bundled_dir
from tests.ui.support import SIZE, lines, loaded, make_app, ui_event, wait_until


def delete_colour(app: KauditApp) -> Color | None:
    """Foreground colour of the verb cell on the table's first line (a delete)."""
    for segment in app.table.render_line(0):
        if segment.text.startswith("delete"):
            return segment.style.color
    raise AssertionError("no delete cell on the first line")


def theme_colour(name: str, variable: str) -> Color:
    data = tomllib.loads((bundled_dir() / f"{name}.toml").read_text())
    return Color.parse(data["variables"][variable])


def one_delete(tmp_path: Path) -> Path:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(ui_event(0, verb="delete")))
    return log


async def test_default_theme_and_switching_recolours_the_table(tmp_path: Path) -> None:
    app = make_app(one_delete(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        assert app.theme == "kaudit-dark"
        assert delete_colour(app).triplet == theme_colour("kaudit-dark", "verb-delete").triplet
        app.theme = "kaudit-light"
        await pilot.pause(0.2)
        assert delete_colour(app).triplet == theme_colour("kaudit-light", "verb-delete").triplet
        assert app.has_class("-light-mode")


async def test_theme_option_and_builtin_themes(tmp_path: Path) -> None:
    app = make_app(one_delete(tmp_path), theme="nord")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        assert app.theme == "nord"
        assert delete_colour(app) is not None  # app colour roles fall back to the defaults


async def test_user_themes_load_and_broken_ones_warn(tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "night-shift.toml").write_text(
        'name = "night-shift"\nprimary = "#00aa88"\n[variables]\nverb-delete = "#ff00ff"\n'
    )
    (themes / "broken.toml").write_text("name = [")
    app = make_app(one_delete(tmp_path), theme="night-shift", theme_dirs=[bundled_dir(), themes])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        assert app.theme == "night-shift"
        assert delete_colour(app).triplet == Color.parse("#ff00ff").triplet
        await wait_until(pilot, lambda: bool(app._notifications))
        messages = [n.message for n in app._notifications]
        assert any("broken.toml" in m for m in messages)


async def test_unknown_theme_warns_and_uses_the_default(tmp_path: Path) -> None:
    app = make_app(one_delete(tmp_path), theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        assert app.theme == "kaudit-dark"
        assert any("no-such-theme" in n.message for n in app._notifications)


async def test_palette_offers_the_app_commands(tmp_path: Path) -> None:
    app = make_app(one_delete(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Theme", "Follow", "Export", "Facets", "Histogram", "Requests"} <= titles
        follow = next(c for c in app.get_system_commands(app.screen) if c.title == "Follow")
        follow.callback()
        assert not app.table.follow
