"""What the app would send to the terminal, and the check that only the app drives it.

The app's own output is made of SGR colour sequences and cursor positioning; everything between
them is text. Text from events must never add a sequence of its own, nor a control, bidi or
zero-width character.
"""

from __future__ import annotations

import re

from textual.app import App
from textual.geometry import Region

from tests.hostile.corpus import unsafe_characters

APP_SEQUENCE = re.compile(r"\x1b\[[0-9;:?]*[mHJKl]")
"""Sequences the app itself writes: SGR (colours, bold), cursor position, erase, modes."""


def screen_output(app: App) -> str:
    """The escape sequences and text a full redraw of the current screen writes."""
    from textual._compositor import LayoutUpdate

    compositor = app.screen._compositor
    strips = compositor.render_strips()
    update = LayoutUpdate([[strip] for strip in strips], Region(0, 0, *compositor.size))
    return update.render_segments(app.console)


def foreign(output: str) -> list[str]:
    """Anything in ``output`` that is not the app's own sequences or safe text."""
    text = APP_SEQUENCE.sub("", output)
    return unsafe_characters(text)


def screen_text(app: App) -> str:
    """The characters on the current screen, line by line, without the app's styling."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
