"""Least-privilege RBAC for one identity: the YAML of ``--rbac-for``, highlighted, with ``y`` to
copy it (OSC 52) and ``e`` to write it to a file (mode 0600).

The text comes from :meth:`kaudit_tui.core.answers.rbac.RbacAnswer.yaml`, whose emitter already
escapes every non-printable character; each line is sanitized once more before it is drawn.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from kaudit_tui.core.sanitize import sanitize

HIGHLIGHT_LIMIT = 256 * 1024
"""Larger answers are shown without colours: highlighting megabytes would stall the screen."""


def file_name(name: str) -> str:
    """A file name for the YAML of the objects named ``name`` (``kaudit:bob`` ->
    ``kaudit-bob-rbac.yaml``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") + "-rbac.yaml"


class RbacScreen(Screen[None]):
    """Full-screen view of the RBAC objects for ``identity``."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Back"),
        Binding("y", "copy", "Copy YAML"),
        Binding("e", "export", "Export YAML"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, text: str, identity: str, name: str) -> None:
        super().__init__()
        self.text = "\n".join(sanitize(line) for line in text.split("\n"))
        self.identity = identity
        self.object_name = name

    def compose(self) -> ComposeResult:
        title = f"least-privilege RBAC for {sanitize(self.identity)} (over the view)"
        yield Static(Text(title, style="bold"), id="rbac-title")
        with VerticalScroll(id="rbac-body"):
            if len(self.text) < HIGHLIGHT_LIMIT:
                body = Syntax(self.text, "yaml", theme="ansi_dark", background_color="default")
            else:
                body = Text(self.text)
            yield Static(body, id="rbac-yaml")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rbac-body").focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify(
            "RBAC YAML sent to the terminal's clipboard (OSC 52); terminals that ignore it copy "
            "nothing: e writes it to a file instead",
            markup=False,
            timeout=8,
        )

    def action_export(self) -> None:
        from kaudit_tui.ui.screens.export import ExportScreen

        prompt = ExportScreen(0, file_name(self.object_name), what="the RBAC YAML")
        self.app.push_screen(prompt, self._write)

    def _write(self, path: Path | None) -> None:
        from kaudit_tui.ui.screens.export import ExportError, write_private

        if path is None:
            return
        try:
            write_private(path, self.text.encode())
        except ExportError as error:
            self.notify(sanitize(str(error)), severity="error", markup=False, timeout=15)
            return
        self.notify(sanitize(f"wrote the RBAC YAML to {path} (mode 0600)"), markup=False)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#rbac-body", VerticalScroll).scroll_relative(y=lines, animate=False)
