"""The help screen: every key of the app, grouped by what it is for."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Moving",
        [
            ("j / ↓, k / ↑", "next / previous event"),
            ("PgDn / PgUp", "next / previous page"),
            ("g / Home, G / End", "first / last event (End also resumes following)"),
            ("mouse", "click selects, double click opens, wheel scrolls"),
            ("f", "follow new events on / off"),
        ],
    ),
    (
        "Filtering",
        [
            ("/", "edit the filter query; Enter applies, Esc leaves, ↑/↓ history"),
            ("s", "find: mark events matching a query without hiding the others"),
            ("n / N", "next / previous event matching the last find"),
            ("c", "facets panel: Enter adds field:value to the filter, - excludes it"),
            ("h", "time histogram: ←/→ pick a bucket, Enter narrows since:/until:"),
            ("r", "request view: one row per request (audit ID) instead of per stage"),
        ],
    ),
    (
        "Looking closer",
        [
            ("Enter", "detail view of the event: whole JSON, other stages; y copies"),
            ("p", "policy panel: which rule of --policy matched, and why"),
            ("P", "policy rules with hit counts and bytes for the view"),
            ("!", "skipped lines and why they held no event"),
        ],
    ),
    (
        "Other",
        [
            ("e", "export the view as JSON lines to a file"),
            ("ctrl+p", "command palette: themes, follow, export, panels"),
            ("?", "this help"),
            ("q", "quit"),
        ],
    ),
]

QUERY_HELP = (
    "Query: terms separated by spaces must all hold; a OR b = either (looser than AND); "
    "-term or NOT term negates, also a (group). field:v1,v2 = any value; "
    '"quoted values"; * wildcards. Fields: user as group verb resource sub ns name apigroup '
    "stage level code ip ua uri id decision latency since until source, and rule (rule:3, "
    "rule:none) and logged (logged:false) when a policy is loaded. A bare word searches the "
    "raw event text; /regex/ searches by regular expression."
)


def keys_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for title, keys in KEYS:
        table.add_row(Text(title, style="bold underline"), "")
        for key, meaning in keys:
            table.add_row(key, meaning)
        table.add_row("", "")
    table.add_row("", Text(QUERY_HELP, style="italic"))
    return table


class HelpScreen(ModalScreen[None]):
    """Every key; Esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(keys_table())
