"""Why lines were skipped: the count per reason, and a few of the lines themselves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kaudit_tui.core.sanitize import sanitize, sanitize_bytes
from kaudit_tui.core.store import EventStore

EXAMPLES = 3
PREVIEW = 160


def skipped_text(store: EventStore) -> Text:
    skips = store.skips
    text = Text()
    if not skips.total:
        return text.append("No line was skipped: every line held an audit event.")
    text.append(f"{skips.lines:,} lines held no audit event:\n\n", style="bold")
    for reason, count in skips.counts.most_common():
        text.append(f"{count:>10,}  {sanitize(reason)}\n", style="bold")
        for seg, offset, length in skips.examples.get(reason, [])[:EXAMPLES]:
            reader = store.segments[seg]
            raw = reader.read_at(offset, min(length, PREVIEW))
            more = "…" if length > PREVIEW else ""
            where = f"{sanitize(reader.label)} @ byte {offset:,}"
            text.append(f"            {where}: ", style="dim")
            text.append(sanitize_bytes(raw) + more + "\n")
        text.append("\n")
    return text


class SkippedScreen(ModalScreen[None]):
    """Skipped lines by reason; Esc or q closes it."""

    BINDINGS = [Binding("escape,q,exclamation_mark", "dismiss", "Close")]

    def __init__(self, store: EventStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="skipped"):
            yield Static(skipped_text(self.store))
