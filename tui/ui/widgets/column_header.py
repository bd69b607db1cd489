"""The one-line header above the event table, aligned with its columns."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from kaudit_tui.ui.widgets.columns import Column, fit


class ColumnHeader(Widget):
    """Column titles; the App hands it the table's layout when that changes."""

    DEFAULT_CSS = """
    ColumnHeader { height: 1; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[Column] = []

    def set_columns(self, columns: list[Column]) -> None:
        self.columns = columns
        self.refresh()

    def render(self) -> Text:
        return Text(" ".join(fit(c.title, c.width, c.right) for c in self.columns), no_wrap=True)
