"""Themes load from TOML files; a broken file is reported, never fatal."""

from __future__ import annotations

from pathlib import Path

from kaudit_tui.ui.theming import THEME_VARIABLE_DEFAULTS, bundled_dir, load_themes, user_dir


def test_bundled_themes_define_every_app_colour_role() -> None:
    themes, errors = load_themes([bundled_dir()])
    assert errors == []
    by_name = {theme.name: theme for theme in themes}
    assert {"kaudit-dark", "kaudit-light"} <= set(by_name)
    assert by_name["kaudit-dark"].dark and not by_name["kaudit-light"].dark
    for theme in by_name.values():
        assert set(THEME_VARIABLE_DEFAULTS) <= set(theme.variables)


def test_broken_theme_files_are_reported_and_the_good_ones_load(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('name = "night"\nprimary = "#112233"\n')
    (tmp_path / "syntax.toml").write_text('name = "x\nprimary = \n')
    (tmp_path / "unknown.toml").write_text('name = "y"\nprimary = "#fff"\ncolour = "#fff"\n')
    (tmp_path / "colour.toml").write_text('name = "z"\nprimary = "not-a-colour"\n')
    (tmp_path / "variable.toml").write_text(
        'name = "w"\nprimary = "#fff"\n[variables]\nverb-delete = "bright"\n'
    )
    (tmp_path / "noname.toml").write_text('primary = "#fff"\n')
    themes, errors = load_themes([tmp_path])
    assert [theme.name for theme in themes] == ["night"]
    assert len(errors) == 5
    joined = "\n".join(errors)
    assert "syntax.toml" in joined and "'colour'" in joined and "not-a-colour" in joined
    assert "verb-delete" in joined and "'name' is required" in joined


def test_user_themes_override_bundled_ones_by_name(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "kaudit-dark"\nprimary = "#ff00ff"\n')
    themes, errors = load_themes([bundled_dir(), tmp_path])
    assert not errors
    dark = next(theme for theme in themes if theme.name == "kaudit-dark")
    assert dark.primary == "#ff00ff"


def test_user_dir_follows_xdg_config_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_dir() == tmp_path / "kaudit-tui" / "themes"
