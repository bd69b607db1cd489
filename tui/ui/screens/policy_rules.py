"""The policy rules screen: every rule with its hits, logged bytes and the bytes it would write.

The columns and units are those of ``--policy-report``. Hits and logged bytes come from the
index at once; "would write" needs every event's raw text, so it is filled in when the worker
that reads them back has finished. A rule nobody hits is listed too (a dead rule is worth
seeing), and so is "no rule matched". Enter on a rule filters the view (``rule:N``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from kaudit_tui.core.policy import REPORT_HEADERS, PolicyReport, report_cells
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.messages import AddQueryTerm

if TYPE_CHECKING:
    from kaudit_tui.view.policy import RuleHits


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
            name = sanitize(Path(self.path).name)
            title = Text(f"{name}: rules over the {self.events:,} events in view")
            yield Label(title, id="rules-title")
            yield DataTable(cursor_type="row", id="rules-table")
            yield Label("Enter: show only the events a rule decides · Esc: close", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for header in REPORT_HEADERS:
            table.add_column(header, key=header)
        all_events = sum(hit.events for hit in self.hits)
        for hit in self.hits:
            cells = report_cells(
                hit.rule, hit.line, hit.level, hit.events, all_events, hit.bytes, None
            )
            table.add_row(*cells, key=str(hit.rule or 0))
        table.focus()

    def show_report(self, report: PolicyReport) -> None:
        """Fill in the "would write" column (the other columns agree with the report)."""
        table = self.query_one(DataTable)
        for hit, cells in zip(self.hits, report.rows_as_cells(), strict=True):
            table.update_cell(str(hit.rule or 0), "would write", cells[-1])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        rule = event.row_key.value
        self.dismiss()
        self.app.post_message(AddQueryTerm("rule", "none" if rule == "0" else str(rule)))
