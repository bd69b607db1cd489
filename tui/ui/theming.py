"""Themes from TOML files: the bundled ones, then the user's.

Each ``*.toml`` file holds one Textual theme: ``name``, the base colours (``primary``,
``background``, ...) and a ``[variables]`` table for this app's colour roles (verbs, status
classes, audit levels, policy outcomes). A file that cannot be used is reported, never fatal:
a typo in a user theme must not keep anyone from reading their logs at 3 a.m.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec
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
    "alert-critical": "#ff5fd7",
    "alert-error": "#ff5f5f",
    "alert-warning": "#e8a33d",
    "alert-notice": "#7fb4e0",
    "alert-info": "#8fa6b8",
}
"""App colour roles and their fallbacks, so every theme (built-in ones too) can draw the app."""

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class ThemeFile(msgspec.Struct, forbid_unknown_fields=True):
    """What a theme file may hold: the fields of Textual's ``Theme``, each with its type.

    The defaults only make the fields optional; ``Theme`` gets just the keys the file sets,
    so its own defaults apply to the others.
    """

    name: NonEmpty
    primary: str
    secondary: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    dark: bool = True
    luminosity_spread: float = 0.15
    text_alpha: float = 0.95
    variables: dict[str, str] = {}
    ansi: bool = False

    def __post_init__(self) -> None:
        for key in _COLOURS:
            _check_colour(key, getattr(self, key))
        for key, value in self.variables.items():
            if key in THEME_VARIABLE_DEFAULTS:
                _check_colour(f"variables.{key}", value)


_COLOURS = (
    "primary", "secondary", "warning", "error", "success", "accent",
    "foreground", "background", "surface", "panel", "boost",
)  # fmt: skip


def _check_colour(key: str, value: str | None) -> None:
    if value is None:
        return
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{key!r}: {value!r} is not a colour") from None


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
    try:
        spec = msgspec.convert(data, ThemeFile)
    except msgspec.ValidationError as error:
        raise ValueError(_problem(str(error))) from None
    return Theme(**{key: getattr(spec, key) for key in data})


def _problem(message: str) -> str:
    """msgspec's message in the words of a theme file: keys, and the key in front.

    ``Expected `bool`, got `str` - at `$.dark``` becomes ``'dark': expected `bool`, got
    `str```; a message in other words is kept as it is.
    """
    message, _, where = message.partition(" - at `$.")
    message = message.replace("Object contains unknown field", "unknown key")
    message = message.replace("Object missing required field", "missing required key")
    if message.startswith("unknown key"):
        message += f" (known: {', '.join(ThemeFile.__struct_fields__)})"
    if where:
        message = f"{where.removesuffix('`')!r}: {message[:1].lower()}{message[1:]}"
    return message


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
