"""The facets panel: the most frequent users, verbs, resources, namespaces, stages and codes.

Counts are over the current view and come from the App. Enter (or a click) on a value adds
``field:value`` to the query; ``-`` adds ``-field:value`` to exclude it.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.messages import AddQueryTerm
from kaudit_tui.view.derived import FACET_FIELDS, FACET_TITLES

_SEP = "\x00"


def value_text(field: str, value: object) -> str:
    """A facet value as query text (``code:none`` for no code, ``ns:""`` for no namespace)."""
    if field == "code":
        return str(value) if value else "none"
    return str(value)


def _label(field: str, value: object) -> str:
    if value in ("", 0, None):
        return "(none)" if field != "ns" else "(cluster)"
    return sanitize(str(value))


class FacetsPanel(OptionList):
    """Top values per field; the App calls :meth:`show_counts` with fresh counts."""

    BINDINGS = [
        Binding("minus,x", "exclude", "Exclude"),
    ]
    DEFAULT_CSS = """
    FacetsPanel { width: 34; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[str, list[tuple[object, int]]] = {}
        self.border_title = "facets"

    def show_counts(self, counts: dict[str, list[tuple[object, int]]]) -> None:
        if counts == self.counts:
            return
        self.counts = counts
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option | None] = []
        for field in FACET_FIELDS:
            options.append(Option(Text(FACET_TITLES[field], style="bold"), disabled=True))
            for value, count in counts.get(field, []):
                label = Text(f"{count:>9,} ", style="dim", no_wrap=True, overflow="ellipsis")
                label.append(_label(field, value))
                options.append(Option(label, id=f"{field}{_SEP}{value_text(field, value)}"))
        self.set_options(options)
        if highlighted is not None:
            try:
                self.highlighted = self.get_option_index(highlighted)
            except OptionDoesNotExist:  # the value left the top list
                pass

    def _selected_term(self) -> tuple[str, str] | None:
        option = self.highlighted_option
        if option is None or option.id is None:
            return None
        field, _, value = option.id.partition(_SEP)
        return field, value

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        term = self._selected_term()
        if term is not None:
            self.post_message(AddQueryTerm(*term))

    def action_exclude(self) -> None:
        term = self._selected_term()
        if term is not None:
            self.post_message(AddQueryTerm(*term, exclude=True))
