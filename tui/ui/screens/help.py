"""The help screen: every key, made from the bindings themselves.

Sections: moving in the event table (its bindings), the App's keys (its bindings, panels'
keys included, with their tooltips), and per registered panel the keys it has when the
keyboard is in it (Tab). Nothing here restates a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kaudit_tui.ui.panels import registered
from kaudit_tui.ui.widgets.event_table import EventTable

QUERY_HELP = (
    "Query: terms separated by spaces must all hold; a OR b = either (looser than AND); "
    "-term or NOT term negates, also a (group). field:v1,v2 = any value; "
    '"quoted values"; * wildcards. Fields: user as group verb resource sub ns name apigroup '
    "stage level code ip ua uri id decision latency since until source, and rule (rule:3, "
    "rule:none) and logged (logged:false) when a policy is loaded. A bare word searches the "
    "raw event text; /regex/ searches by regular expression."
)
MOUSE_HELP = "mouse: a click selects an event, a double click opens it, the wheel scrolls"


def key_rows(
    bindings: Iterable[Binding], display: Callable[[Binding], str]
) -> list[tuple[str, str]]:
    """(keys, meaning) per action, keys of one action joined: ``j / down``."""
    rows: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        meaning = binding.tooltip or binding.description
        if not meaning:
            continue
        keys, _ = rows.setdefault(binding.action, ([], meaning))
        key = display(binding)
        if key not in keys:
            keys.append(key)
    return [(" / ".join(keys), meaning) for keys, meaning in rows.values()]


Section = tuple[str, str, list[tuple[str, str]]]
"""Title, a note beside it, and (keys, meaning) rows."""


def keys_table(sections: list[Section]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for title, note, keys in sections:
        table.add_row(Text(title, style="bold underline"), Text(note, style="italic"))
        for key, meaning in keys:
            table.add_row(key, meaning)
        table.add_row("", "")
    table.add_row("", Text(MOUSE_HELP, style="italic"))
    table.add_row("", Text(QUERY_HELP, style="italic"))
    return table


class HelpScreen(ModalScreen[None]):
    """Every key; Esc, q or ? closes it; j/k, arrows, pages, g/G scroll it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
        Binding("pagedown,space", "scroll_page(1)", "Page down", show=False),
        Binding("pageup", "scroll_page(-1)", "Page up", show=False),
        Binding("g,home", "scroll_end(0)", "Top", show=False),
        Binding("G,end", "scroll_end(1)", "Bottom", show=False),
    ]

    def __init__(self, app_bindings: Iterable[Binding]) -> None:
        super().__init__()
        self.app_bindings = list(app_bindings)

    def sections(self) -> list[Section]:
        display = self.app.get_key_display
        moving = list(Binding.make_bindings(EventTable.BINDINGS))
        sections = [
            ("Moving", "", key_rows(moving, display)),
            ("Keys", "", key_rows(self.app_bindings, display)),
        ]
        for cls in getattr(self.app, "panel_classes", registered()):
            own = list(Binding.make_bindings(cls.__dict__.get("BINDINGS", [])))
            if own:
                note = "when the keyboard is in it (Tab; Esc gives it back)"
                sections.append((f"{cls.TITLE} panel", note, key_rows(own, display)))
        palette = display(Binding("ctrl+p", ""))
        sections.append(("", "", [(palette, "command palette: themes, panels, follow, export")]))
        return sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(keys_table(self.sections()))

    @property
    def scroller(self) -> VerticalScroll:
        return self.query_one("#help", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        """The table's keys move the text here: j/k, arrows, g/G, Home/End, pages."""
        scroller = self.scroller
        if lines > 0:
            scroller.scroll_down(animate=False, immediate=True)
        else:
            scroller.scroll_up(animate=False, immediate=True)

    def action_scroll_page(self, pages: int) -> None:
        scroller = self.scroller
        if pages > 0:
            scroller.scroll_page_down(animate=False)
        else:
            scroller.scroll_page_up(animate=False)

    def action_scroll_end(self, bottom: int) -> None:
        scroller = self.scroller
        if bottom:
            scroller.scroll_end(animate=False, immediate=True)
        else:
            scroller.scroll_home(animate=False, immediate=True)
