"""An object's history (key ``o`` on any event): every request on the object in time order, each
change as a coloured diff, ``n`` to show or hide the noise fields, Esc to go back.

The history is computed in a worker thread by the App (:func:`object_history` reads the
object's rows back from disk); this screen builds its renderable in a worker thread too, again
each time ``n`` flips the noise fields. Every line passes the one sanitizer before Rich sees
it; the diffs are highlighted by Rich's ``diff`` lexer.
"""

from __future__ import annotations

import asyncio

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from kaudit_tui.core.answers.history import History
from kaudit_tui.core.answers.history_text import entry_line
from kaudit_tui.core.sanitize import sanitize

HIGHLIGHT_LIMIT = 256 * 1024
"""Diffs longer than this (in all) are shown without colours: highlighting megabytes would stall
the screen."""
SHOWN_LIMIT = 2_000
"""Requests shown, the latest ones: an object touched every few seconds (a lease) gathers
hundreds of thousands, which ``--history`` prints in full."""


def history_renderable(
    history: History, *, noise: bool = False, limit: int = SHOWN_LIMIT
) -> RenderableType:
    """The timeline as Rich renderables: the header, a line per request (denied and failed ones
    in red, dry runs in yellow), its notes, and the diff of each change; only the latest
    ``limit`` requests, saying so."""
    entries = history.entries[-limit:] if limit else []
    diffs = [entry.diff(noise=noise) for entry in entries]
    plain = sum(len(line) for diff in diffs for line in diff) > HIGHLIGHT_LIMIT
    parts: list[RenderableType] = [Text(history.header(), style="bold")]
    left_out = len(history.entries) - len(entries)
    if left_out:
        parts.append(Text(f"the first {left_out:,} requests are not shown here: "
                          "kaudit-tui --history prints them all", style="italic"))  # fmt: skip
    for entry, diff in zip(entries, diffs, strict=True):
        style = "bold"
        if entry.denied or entry.failed:
            style = "bold red"
        elif entry.dry_run:
            style = "bold yellow"
        parts.append(Text(entry_line(entry), style=style))
        parts += [Text(f"    {sanitize(note)}", style="italic") for note in entry.notes]
        touched = entry.sections(noise=noise)
        if touched:
            parts.append(Text(f"    changed: {', '.join(sanitize(s) for s in touched)}"))
        if diff:
            text = "\n".join(sanitize(line) for line in diff)
            body: RenderableType = (
                Text(text)
                if plain
                else Syntax(text, "diff", theme="ansi_dark", background_color="default")
            )
            parts.append(Padding(body, (0, 0, 0, 4)))
    footer = history.footer()
    if footer:
        parts.append(Text(footer, style="bold"))
    return Group(*parts)


class HistoryScreen(Screen[None]):
    """Full-screen history of one object."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Back"),
        Binding("n", "toggle_noise", "Noise fields",
                tooltip="show or hide managedFields, resourceVersion, generation and the like"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]  # fmt: skip

    def __init__(self, history: History) -> None:
        super().__init__()
        self.history = history
        self.noise = False
        self.rendered = 0
        """How many times the body has been drawn (tests wait on it)."""

    def compose(self) -> ComposeResult:
        title = f"history of {sanitize(self.history.spec.label())} (the whole log)"
        yield Static(Text(title, style="bold"), id="history-title")
        with VerticalScroll(id="history-body"):
            yield Static("reading…", id="history-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history-body").focus()
        self._draw()

    @work(group="history-draw", exclusive=True, exit_on_error=False)
    async def _draw(self) -> None:
        noise = self.noise
        body = await asyncio.to_thread(history_renderable, self.history, noise=noise)
        if self.is_attached and noise == self.noise:
            self.query_one("#history-text", Static).update(body)
            self.rendered += 1

    def action_toggle_noise(self) -> None:
        self.noise = not self.noise
        shown = "shown" if self.noise else "hidden"
        self.notify(f"noise fields {shown}", markup=False, timeout=3)
        self._draw()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#history-body", VerticalScroll).scroll_relative(y=lines, animate=False)
