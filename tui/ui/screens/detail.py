"""The detail view: one whole event, read back from disk, and the other stages of its request.

The JSON is pretty-printed and highlighted with every string sanitized; secret payloads are
masked unless the app runs with ``--show-secrets``. ``y`` copies the event as one JSON line
(masked the same way) through the terminal's clipboard (OSC 52).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import orjson
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from kaudit_tui.core.redact import redact_event
from kaudit_tui.core.requests import stage_rows
from kaudit_tui.core.sanitize import sanitize, sanitize_bytes, sanitize_json
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import format_time

if TYPE_CHECKING:
    from kaudit_tui.view.alerts import AlertLine

HIGHLIGHT_LIMIT = 256 * 1024
"""Larger events are shown without colours: highlighting megabytes would stall the screen."""


def event_text(raw: bytes, show_secrets: bool) -> tuple[str, str]:
    """The event as (pretty JSON, compact JSON), masked unless ``show_secrets``, sanitized."""
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = sanitize_bytes(raw)
        return text, text
    if isinstance(event, dict) and not show_secrets:
        event = redact_event(event)
    pretty = orjson.dumps(event, option=orjson.OPT_INDENT_2).decode()
    return sanitize_json(pretty), sanitize_json(orjson.dumps(event).decode())


def alerts_text(alerts: Sequence[AlertLine]) -> Text:
    """The alerts of an event, one per line: the priority, the rule, then Falco's output (its
    texts already sanitized)."""
    if not alerts:
        return Text("alerts: none (no rule fires on this event)", style="dim")
    text = Text()
    for n, alert in enumerate(alerts):
        if n:
            text.append("\n")
        text.append(f"{alert.priority} ", style="bold")
        text.append(alert.rule, style="bold underline")
        text.append(f"  {alert.output}")
    return text


class DetailScreen(Screen[None]):
    """Full-screen view of store row ``row``."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Back"),
        Binding("y", "copy", "Copy JSON"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(
        self,
        store: EventStore,
        row: int,
        *,
        show_secrets: bool = False,
        policy_text: str = "",
        alerts_of: Callable[[int], Sequence[AlertLine]] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.row = row
        self.show_secrets = show_secrets
        self.policy_text = policy_text
        self.alerts_of = alerts_of
        """The alerts of a row (with ``--rules``), asked in the worker thread that reads it."""
        self.compact = ""
        self.pretty = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-head"):
            yield Static(self._summary(), id="detail-summary")
            yield OptionList(id="detail-stages")
            if self.policy_text:
                yield Static(Text(self.policy_text), id="detail-policy")
            if self.alerts_of is not None:
                yield Static(Text("alerts: …", style="dim"), id="detail-alerts")
        with VerticalScroll(id="detail-body"):
            yield Static("reading…", id="detail-json")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()
        if self.row < self.store.first_id:  # it left while the screen was opening
            self.call_after_refresh(self._gone, self.row)
            return
        stages = self.query_one("#detail-stages", OptionList)
        rows = stage_rows(self.store, self.row)
        for stage_row in rows.tolist():
            values = self.store.row(stage_row)
            label = f"{format_time(int(values['ts']), digits=6)}  {sanitize(str(values['stage']))}"
            stages.add_option(Option(label, id=str(stage_row)))
        stages.highlighted = rows.tolist().index(self.row) if self.row in rows else 0
        stages.border_title = f"stages of request {sanitize(str(self.store.row(self.row)['id']))}"
        self.load(self.row)

    def _summary(self) -> Text:
        try:
            values = self.store.row(self.row)
        except LookupError:
            return Text("")
        # user and the user it acted as (impersonation) are one part: "user=admin as=alice"
        fields = ("verb", "resource", "sub", "ns", "name", "code", ("user", "as"), "source")
        parts = []
        for names in fields:
            words = [
                f"{name}={sanitize(str(values[name]))}"
                for name in (names if isinstance(names, tuple) else (names,))
                if values.get(name)
            ]
            if words:
                parts.append(" ".join(words))
        return Text("  ".join(parts), style="bold")

    @work(thread=True, exclusive=True)
    def load(self, row: int) -> None:
        try:
            raw = self.store.original_json(row)
        except LookupError:  # dropped meanwhile to stay within --max-events
            self.app.call_from_thread(self._gone, row)
            return
        pretty, compact = event_text(raw, self.show_secrets)
        content = highlight(pretty, language="json") if len(pretty) < HIGHLIGHT_LIMIT else None
        alerts = None
        if self.alerts_of is not None:
            try:
                alerts = alerts_text(self.alerts_of(row))
            except LookupError:  # dropped meanwhile
                alerts = Text("")
        self.app.call_from_thread(self._show, row, pretty, compact, content, alerts)

    def _show(
        self, row: int, pretty: str, compact: str, content: Content | None, alerts: Text | None
    ) -> None:
        self.row, self.pretty, self.compact = row, pretty, compact
        if alerts is not None:
            self.query_one("#detail-alerts", Static).update(alerts)
        self.query_one("#detail-json", Static).update(
            content if content is not None else Text(pretty)
        )

    def _gone(self, row: int) -> None:
        self.row, self.pretty, self.compact = row, "", ""
        message = (
            f"Event {row:,} is no longer in memory: older events are dropped to stay within "
            "--max-events. Start with a larger --max-events (0 = no limit) to keep it."
        )
        self.query_one("#detail-json", Static).update(Text(message))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.load(int(event.option.id))

    def action_copy(self) -> None:
        if self.compact:
            self.app.copy_to_clipboard(self.compact)
            masked = "" if self.show_secrets else " (secrets masked)"
            self.notify(
                f"event JSON{masked} sent to the terminal's clipboard (OSC 52); terminals that "
                "ignore it copy nothing: e in the table exports the view to a file instead",
                markup=False,
                timeout=8,
            )

    def action_scroll(self, lines: int) -> None:
        self.query_one("#detail-body", VerticalScroll).scroll_relative(y=lines, animate=False)
