"""The query bar: type a query, see mistakes at their column, Enter applies it.

It has two modes. In *filter* mode (``/``) Enter replaces the view by the matching events. In
*find* mode (``s``) Enter keeps the view and marks the matching events; ``n``/``N`` jump between
them. The bar validates as you type, keeps a history (up/down) and hands the text to the App in
a ``Submitted`` message: it never filters anything itself.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from kaudit_tui.core.query import QueryError, parse_query
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.widgets.ordered_input import OrderedInput

PROMPTS = {"filter": "filter ›", "find": "find ›"}
PLACEHOLDERS = {
    "filter": "press / to filter, ? for help",
    "find": "a query: matching events are marked, n/N jump between them, Esc leaves",
}


class QueryBar(Vertical):
    """Query input with its mode prompt and an error line under it."""

    DEFAULT_CSS = """
    QueryBar { height: auto; }
    QueryBar > Horizontal { height: 1; }
    QueryBar Label.prompt { width: auto; padding: 0 1; }
    QueryBar Input, QueryBar Input:focus { border: none; height: 1; padding: 0; width: 1fr; }
    QueryBar .error { height: 1; display: none; }
    QueryBar.-error .error { display: block; }
    """
    BINDINGS = [
        Binding("escape", "leave", "Leave", show=False),
        Binding("up", "history(-1)", "Older", show=False),
        Binding("down", "history(1)", "Newer", show=False),
    ]

    mode: reactive[str] = reactive("filter")

    class Submitted(Message):
        """The user pressed Enter on a valid query."""

        def __init__(self, text: str, mode: str) -> None:
            self.text = text
            self.mode = mode
            super().__init__()

    class Left(Message):
        """The user left the bar with Escape: focus goes back to the table."""

    def __init__(
        self,
        text: str = "",
        *,
        parse: Callable[[str], object] = parse_query,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.parse = parse
        """Validates query text (raises QueryError); the App passes its own, with its fields."""
        self.applied = {"filter": text, "find": ""}
        self.history: list[str] = [text] if text else []
        self._history_pos: int | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(PROMPTS["filter"], classes="prompt")
            text, placeholder = self.applied["filter"], PLACEHOLDERS["filter"]
            yield OrderedInput(text, placeholder=placeholder, id="query")
        yield Static("", classes="error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def focus_mode(self, mode: str) -> None:
        """Focus the bar in ``mode`` ("filter" or "find"), showing that mode's query."""
        self.mode = mode
        self.input.value = self.applied[mode]
        self.input.cursor_position = len(self.input.value)
        # Focus now, not via Widget.focus() (deferred): keys typed right after "/" are
        # already queued and must land in the input, not trigger the table's bindings.
        self.screen.set_focus(self.input)

    def set_text(self, text: str) -> None:
        """Show ``text`` as the applied filter (set by the App when facets edit the query)."""
        self.applied["filter"] = text
        if self.mode == "filter":
            self.input.value = text
        self._remember(text)

    def watch_mode(self, mode: str) -> None:
        self.query_one(".prompt", Label).update(PROMPTS[mode])
        self.input.placeholder = PLACEHOLDERS[mode]
        self.set_class(mode == "find", "-find")

    @on(Input.Changed, "#query")
    def _validate(self, event: Input.Changed) -> None:
        self.show_error(self._error_of(event.value))

    def show_error(self, error: QueryError | None) -> None:
        """Show ``error`` under its column (None clears it)."""
        self.set_class(error is not None, "-error")
        if error is None:
            self.query_one(".error", Static).update("")
            return
        offset = len(PROMPTS[self.mode]) + 2  # the prompt and its padding
        marker = " " * (offset + error.column) + "^" * max(1, getattr(error, "length", 1))
        line = Text(marker + " ", style="bold")
        line.append(sanitize(error.message))
        self.query_one(".error", Static).update(line)

    @on(Input.Submitted, "#query")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        error = self._error_of(event.value)
        self.show_error(error)
        if error is not None:
            return
        self.applied[self.mode] = event.value
        self._remember(event.value)
        self.post_message(self.Submitted(event.value, self.mode))

    def action_leave(self) -> None:
        self.input.value = self.applied[self.mode]
        self.show_error(None)
        self.post_message(self.Left())

    def _remember(self, text: str) -> None:
        self._history_pos = None
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        pos = len(self.history) if self._history_pos is None else self._history_pos
        pos = max(0, min(len(self.history), pos + step))
        self._history_pos = pos
        value = self.history[pos] if pos < len(self.history) else ""
        self.input.value = value
        self.input.cursor_position = len(value)

    def _error_of(self, text: str) -> QueryError | None:
        try:
            self.parse(text)
        except QueryError as error:
            return error
        return None
