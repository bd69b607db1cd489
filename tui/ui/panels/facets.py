"""The facets panel: the most frequent users, verbs, resources, namespaces, stages and codes.

Counts are over the current view; when it holds impersonated requests, the users they acted as
(``as``) are counted too, after the users. Each value is one line, cut with ``…`` to the panel's
width; the highlighted one is shown whole. Enter (or a click) on a value adds ``field:value`` to
the query (``as:alice`` for an impersonated user); ``-`` adds ``-field:value`` to exclude it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.messages import AddQueryTerm
from kaudit_tui.ui.panels.base import Panel, PanelView, register
from kaudit_tui.ui.widgets.columns import fit
from kaudit_tui.view.derived import FACET_TITLES, facet_counts

_SEP = "\x00"

Counts = dict[str, list[tuple[object, int]]]


def value_text(field: str, value: object) -> str:
    """A facet value as query text (``code:none`` for no code, ``ns:""`` for no namespace)."""
    if field == "code":
        return str(value) if value else "none"
    return str(value)


def _label(field: str, value: object) -> str:
    if value in ("", 0, None):
        return "(none)" if field != "ns" else "(cluster)"
    return sanitize(str(value))


@register
class FacetsPanel(Panel, OptionList):
    """Top values per field of the current view."""

    KEY = "c"
    NAME = "facets"
    TITLE = "Facets"
    DESCRIPTION = "top users, verbs, resources, namespaces, stages and codes of the view"
    WIDTH = 34

    BINDINGS = [
        Binding("enter", "select", "Add to filter", tooltip="add field:value to the filter"),
        Binding("minus,x", "exclude", "Exclude", tooltip="add -field:value to the filter"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.counts: Counts = {}
        self.border_title = "facets"
        self._values: dict[str, tuple[str, object, int, int]] = {}
        """Option id -> field, value, count and the width of its field's count column."""
        self._width = 0
        self._whole: str | None = None
        """The id of the option shown whole (the highlighted one)."""

    def compute(self, view: PanelView) -> Counts:
        return facet_counts(view.store, view.rows)

    def show(self, result: object) -> None:
        self.show_counts(result)  # type: ignore[arg-type]

    def show_counts(self, counts: Counts) -> None:
        if counts == self.counts and self._text_width() == self._width:
            return
        self.counts = counts
        self._rebuild()

    def _text_width(self) -> int:
        return max(8, self.scrollable_content_region.width)

    def _rebuild(self) -> None:
        self._width = self._text_width()
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option | None] = []
        self._values = {}
        self._whole = None
        for field in self.counts:
            options.append(Option(Text(FACET_TITLES[field], style="bold"), disabled=True))
            values = self.counts.get(field, [])
            digits = max((len(f"{count:,}") for _, count in values), default=1)
            for value, count in values:
                option_id = f"{field}{_SEP}{value_text(field, value)}"
                self._values[option_id] = (field, value, count, digits)
                options.append(Option(self._prompt(option_id, whole=False), id=option_id))
        self.set_options(options)
        if highlighted is not None:
            try:
                self.highlighted = self.get_option_index(highlighted)
            except OptionDoesNotExist:  # the value left the top list
                pass
        self._show_whole()

    def _prompt(self, option_id: str, *, whole: bool) -> Text:
        field, value, count, digits = self._values[option_id]
        text = Text(f"{count:>{digits},} ", style="dim")
        label = _label(field, value)
        if not whole:
            label = fit(label, self._width - digits - 1).rstrip()
        return text.append(label)

    def _show_whole(self) -> None:
        """Show the highlighted value whole (it may wrap) and every other one on one line."""
        option = self.highlighted_option
        wanted = option.id if option is not None and option.id in self._values else None
        if wanted == self._whole:
            return
        if self._whole is not None and self._whole in self._values:
            self.replace_option_prompt(self._whole, self._prompt(self._whole, whole=False))
        if wanted is not None:
            self.replace_option_prompt(wanted, self._prompt(wanted, whole=True))
        self._whole = wanted

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_whole()

    def on_resize(self, event: events.Resize) -> None:
        if self.counts and self._text_width() != self._width:
            self._rebuild()

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
