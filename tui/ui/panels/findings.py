"""The findings panel: the detection rules that fired in the current view.

One entry per rule, the most severe priority first (coloured), then the most frequent: its
priority, how many events of the view fire it, its name, and the times of the first and last
of them. Enter (or a click) on a rule narrows the table to it (adds ``alert:"NAME"`` to the
query); ``-`` excludes it. While rows still wait to be scanned the panel says how far the scan
is and fills in; after a reload that failed it shows the error above the rules.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from kaudit_tui.core.alerts import Finding, priority_rank
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.timestamps import NO_TIME, format_time
from kaudit_tui.ui.messages import AddQueryTerm
from kaudit_tui.ui.panels.base import Panel, PanelView, register
from kaudit_tui.ui.widgets.columns import ALERT_ROLES
from kaudit_tui.view.alerts import Findings

NO_RULES = "no detection rules loaded: start with --rules FILE"
SHORT = {
    "Emergency": "EMERG",
    "Alert": "ALERT",
    "Critical": "CRIT",
    "Error": "ERROR",
    "Warning": "WARN",
    "Notice": "NOTICE",
    "Informational": "INFO",
    "Debug": "DEBUG",
}
"""Priorities as the panel shows them: six cells at most."""


def time_range(first: int, last: int) -> str:
    """``2018-10-25 13:58:49 – 14:02:11`` (the date once when both are on the same day)."""
    if first == NO_TIME:
        return "(no time)"
    start = format_time(first, digits=0)[:-1].replace("T", " ")
    end = format_time(last, digits=0)[:-1].replace("T", " ")
    if start == end:
        return start
    if start[:10] == end[:10]:
        end = end[11:]
    return f"{start} – {end}"


@register
class FindingsPanel(Panel, OptionList):
    """Rules fired in the view with their priority, count and first/last time."""

    KEY = "a"
    NAME = "findings"
    TITLE = "Findings"
    DESCRIPTION = "with --rules: the detection rules that fired in the view, most severe first"
    WIDTH = 48

    BINDINGS = [
        Binding("enter", "select", "Narrow to rule", tooltip='add alert:"RULE" to the filter'),
        Binding("minus,x", "exclude", "Exclude", tooltip='add -alert:"RULE" to the filter'),
    ]
    COMPONENT_CLASSES = {f"findings-panel--{role}" for role in ALERT_ROLES} | {
        "findings-panel--error"
    }
    DEFAULT_CSS = """
    FindingsPanel {
        & > .findings-panel--alert-critical { color: $alert-critical; text-style: bold reverse; }
        & > .findings-panel--alert-error { color: $alert-error; text-style: bold; }
        & > .findings-panel--alert-warning { color: $alert-warning; text-style: bold; }
        & > .findings-panel--alert-notice { color: $alert-notice; }
        & > .findings-panel--alert-info { color: $alert-info; }
        & > .findings-panel--error { color: $error; text-style: bold; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "findings"
        self.findings: Findings | None = None
        self.message = ""
        self._width = 0

    # -- computing, in a worker thread -----------------------------------------------------------
    def inputs(self, view: PanelView) -> object:
        alerts = view.alerts
        if alerts is None:
            return view.width
        return view.width, alerts.generation, alerts.rows.done, alerts.error

    def compute(self, view: PanelView) -> Findings | str:
        if view.alerts is None:
            return NO_RULES
        return view.alerts.findings(view.rows)

    # -- drawing -----------------------------------------------------------------------------------
    def show(self, result: object) -> None:
        if isinstance(result, str):
            self.findings, self.message = None, result
        else:
            self.findings, self.message = result, ""  # type: ignore[assignment]
        self._rebuild()

    def _text_width(self) -> int:
        return max(12, self.scrollable_content_region.width)

    def _style(self, role: str) -> Style:
        return self.get_component_rich_style(f"findings-panel--{role}", partial=True)

    def _rebuild(self) -> None:
        self._width = self._text_width()
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option] = []
        findings = self.findings
        if findings is None:
            options.append(Option(Text(self.message, style="dim"), disabled=True))
        else:
            if findings.error:
                first = findings.error.splitlines()[0]  # the caret lines need the whole width
                error = Text(f"{first} (the previous rules stay in force)",
                             style=self._style("error"))  # fmt: skip
                options.append(Option(error, disabled=True))
            count = len(findings.rules)
            head = f"{count} rule{'' if count == 1 else 's'} fired in the view"
            if findings.scanned < 1.0:
                head += f" (scanning {findings.scanned:.0%})"
            if not findings.rules and findings.scanned >= 1.0:
                head = "no rule fired in the view"
            options.append(Option(Text(head, style="dim"), disabled=True))
            digits = max((len(f"{f.count:,}") for f in findings.rules), default=1)
            for finding in findings.rules:
                options.append(Option(self._prompt(finding, digits), id=finding.name))
        self.set_options(options)
        if highlighted is not None:
            try:
                self.highlighted = self.get_option_index(highlighted)
            except OptionDoesNotExist:  # the rule no longer fires in the view
                pass

    def _prompt(self, finding: Finding, digits: int) -> Text:
        """Priority and count, the rule's name, then the time range (whole: they wrap)."""
        role = ALERT_ROLES[priority_rank(finding.priority)]
        short = SHORT.get(finding.priority, sanitize(finding.priority))
        prompt = Text(f"{short:<6} ", style=self._style(role))
        prompt.append(f"{finding.count:>{digits},} ", style="bold")
        prompt.append(sanitize(finding.name))
        prompt.append("\n" + time_range(finding.first, finding.last), style="dim")
        return prompt

    def on_resize(self, event: events.Resize) -> None:
        if (self.findings is not None or self.message) and self._text_width() != self._width:
            self._rebuild()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _restyle(self, _theme: object) -> None:
        """A new theme: draw the priorities again in its colours (once the CSS has them)."""
        if self.findings is not None:
            self.call_after_refresh(self._rebuild)

    # -- narrowing the view ---------------------------------------------------------------------
    def _selected_rule(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None and option.id is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        rule = self._selected_rule()
        if rule is not None:
            self.post_message(AddQueryTerm("alert", rule))

    def action_exclude(self) -> None:
        rule = self._selected_rule()
        if rule is not None:
            self.post_message(AddQueryTerm("alert", rule, exclude=True))
