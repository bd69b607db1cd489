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
    (tmp_path / "dark.toml").write_text('name = "v"\nprimary = "#fff"\ndark = "yes"\n')
    themes, errors = load_themes([tmp_path])
    assert [theme.name for theme in themes] == ["night"]
    assert len(errors) == 6
    by_file = {error.split(": ")[0].rsplit("/", 1)[1]: error.split(": ", 1)[1] for error in errors}
    assert by_file["syntax.toml"].startswith("cannot read: ")
    assert by_file["unknown.toml"].startswith("unknown key `colour` (known: name, primary, ")
    assert by_file["colour.toml"] == "'primary': 'not-a-colour' is not a colour"
    assert by_file["variable.toml"] == "'variables.verb-delete': 'bright' is not a colour"
    assert by_file["noname.toml"] == "missing required key `name`"
    assert by_file["dark.toml"] == "'dark': expected `bool`, got `str`"


def test_a_theme_sets_only_what_its_file_says(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(
        'name = "t"\nprimary = "#112233"\ntext_alpha = 1\n[variables]\nverb-read = "#010203"\n'
    )
    (theme,), errors = load_themes([tmp_path])
    assert errors == []
    assert theme.text_alpha == 1.0 and theme.variables == {"verb-read": "#010203"}
    assert theme.secondary is None and theme.dark is True


def test_user_themes_override_bundled_ones_by_name(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "kaudit-dark"\nprimary = "#ff00ff"\n')
    themes, errors = load_themes([bundled_dir(), tmp_path])
    assert not errors
    dark = next(theme for theme in themes if theme.name == "kaudit-dark")
    assert dark.primary == "#ff00ff"


def test_user_dir_follows_xdg_config_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_dir() == tmp_path / "kaudit-tui" / "themes"
