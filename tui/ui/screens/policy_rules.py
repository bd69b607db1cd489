"""The policy rules screen: every rule with its hits and share of logged bytes in the view.

A rule nobody hits is listed too (a dead rule is worth seeing), and so is "no rule matched".
Enter on a rule filters the view to the events it decides (``rule:N``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.messages import AddQueryTerm

if TYPE_CHECKING:
    from kaudit_tui.view.policy import RuleHits


def _bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} B"


class PolicyRulesScreen(ModalScreen[None]):
    """Rules table over the current view; Esc closes, Enter filters by the rule."""

    BINDINGS = [Binding("escape,q,P", "dismiss", "Close")]

    def __init__(self, hits: list[RuleHits], path: str, events: int) -> None:
        super().__init__()
        self.hits = hits
        self.path = path
        self.events = events

    def compose(self) -> ComposeResult:
        with Vertical(id="policy-rules"):
            yield Label(
                Text(f"{sanitize(self.path)}: rules over the {self.events:,} events in view")
            )
            yield DataTable(cursor_type="row", id="rules-table")
            yield Label("Enter: show only the events a rule decides · Esc: close", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("rule", "line", "level", "events", "share", "logged bytes", "share")
        for hit in self.hits:
            table.add_row(
                str(hit.rule) if hit.rule else "-",
                str(hit.line) if hit.line else "",
                hit.level,
                f"{hit.events:,}",
                f"{hit.share:.1%}",
                _bytes(hit.bytes),
                f"{hit.byte_share:.1%}",
                key=str(hit.rule or 0),
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        rule = event.row_key.value
        self.dismiss()
        self.app.post_message(AddQueryTerm("rule", "none" if rule == "0" else str(rule)))
