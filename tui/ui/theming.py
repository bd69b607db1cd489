"""Themes from TOML files: the bundled ones, then the user's.

Each ``*.toml`` file holds one Textual theme: ``name``, the base colours (``primary``,
``background``, ...) and a ``[variables]`` table for this app's colour roles (verbs, status
classes, audit levels, policy outcomes). A file that cannot be used is reported, never fatal:
a typo in a user theme must not keep anyone from reading their logs at 3 a.m.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "kaudit-dark"
THEME_VARIABLE_DEFAULTS = {
    "verb-read": "#7fb4e0",
    "verb-write": "#e0b14f",
    "verb-delete": "#f0605a",
    "verb-other": "#b08fd8",
    "status-ok": "#6cbf6c",
    "status-other": "#8fa6b8",
    "status-client-error": "#e8a33d",
    "status-server-error": "#ff5f5f",
    "level-none": "#808080",
    "level-metadata": "#8fa6b8",
    "level-request": "#5fb3b3",
    "level-requestresponse": "#c792ea",
    "policy-logged": "#6cbf6c",
    "policy-dropped": "#f0605a",
    "find-match": "#ffd75f",
    "histogram-bar": "#5f87af",
    "histogram-error": "#ff5f5f",
}
"""App colour roles and their fallbacks, so every theme (built-in ones too) can draw the app."""

_FIELDS = {f.name: f for f in dataclasses.fields(Theme)}
_COLOURS = (
    "primary", "secondary", "warning", "error", "success", "accent",
    "foreground", "background", "surface", "panel", "boost",
)  # fmt: skip


def bundled_dir() -> Path:
    return Path(str(resources.files("kaudit_tui.themes")))


def user_dir() -> Path:
    """``$XDG_CONFIG_HOME/kaudit-tui/themes`` (``~/.config`` when XDG_CONFIG_HOME is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "kaudit-tui" / "themes"


def theme_from_toml(path: Path) -> Theme:
    """One theme file as a Textual ``Theme``; raises ``ValueError`` saying what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"cannot read: {error}") from None
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(_FIELDS)})")
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"{key!r} is required and must be a string")
    for key in _COLOURS:
        if key in data:
            _check_colour(key, data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError("[variables] must be a table of strings")
    for key, value in variables.items():
        if key in THEME_VARIABLE_DEFAULTS:
            _check_colour(f"variables.{key}", value)
    for key, kind in (("dark", bool), ("luminosity_spread", float), ("text_alpha", float)):
        if key in data and not isinstance(data[key], kind | int if kind is float else kind):
            raise ValueError(f"{key!r} must be a {kind.__name__}")
    return Theme(**data)


def _check_colour(key: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{key!r}: {value!r} is not a colour") from None


def load_themes(dirs: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """Every theme in ``dirs`` (later directories override earlier ones by name).

    Returns:
        The themes, and one message per file that could not be used.
    """
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except ValueError as error:
                errors.append(f"theme {path}: {error}")
                continue
            themes[theme.name] = theme
    return list(themes.values()), errors
