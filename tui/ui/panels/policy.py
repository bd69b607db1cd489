"""The policy panel: for the highlighted event, the rule that decides it and why.

Shows the matched rule as written in the policy file, its level and omitted stages, whether
kube-apiserver would have written this event, and the first field that failed for each earlier
rule. The App hands it a :class:`RowVerdict`; the panel only draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.panels.base import Panel, PanelView, register

if TYPE_CHECKING:  # the policy engine is only imported when a policy is loaded
    from kaudit_tui.view.policy import RowVerdict


def verdict_text(
    verdict: RowVerdict | None, error: str = "", styles: dict[str, Style] | None = None
) -> Text:
    """The panel's text; ``styles`` maps "logged" / "dropped" to the theme's colours."""
    styles = styles or {}
    logged_style = styles.get("logged", Style(bold=True))
    dropped_style = styles.get("dropped", Style(bold=True))
    text = Text()
    if error:
        text.append(sanitize(error) + "\n\n", style=dropped_style)
    if verdict is None:
        return text.append("no event highlighted", style="dim")
    if verdict.rule is None:
        text.append("no rule matched", style="bold")
        text.append(" (default level None: not logged)\n")
    else:
        text.append(f"rule {verdict.rule}", style="bold")
        text.append(f"  level {verdict.level}\n")
    omitted = ", ".join(verdict.omit_stages) or "none"
    text.append(f"omitted stages: {omitted}\n")
    stage = sanitize(verdict.stage) or "(no stage)"
    if verdict.logged:
        text.append(f"logged: yes ({stage} is written)\n", style=logged_style)
    else:
        why = "level None" if verdict.level == "None" else f"{stage} is omitted"
        text.append(f"logged: no ({why})\n", style=dropped_style)
    if verdict.logged_level and verdict.logged_level != verdict.level:
        text.append(
            f"the event says level {sanitize(verdict.logged_level)}: "
            "the log was written with another policy\n",
            style="italic",
        )
    if verdict.undecided:
        rules = ", ".join(str(rule) for rule in verdict.undecided)
        plural = "s" if len(verdict.undecided) > 1 else ""
        text.append(
            f"userGroups of rule{plural} {rules} cannot be decided: the event logs no groups (GKE "
            "entries never do); it was decided as if the user were in none of them\n",
            style="italic",
        )
    if verdict.rule_text:
        text.append("\n")
        text.append(sanitize_block(verdict.rule_text) + "\n", style="bold")
    if verdict.earlier:
        text.append("\nearlier rules:\n", style="underline")
        for item in verdict.earlier:
            text.append(f"{item.rule:>3} ", style="bold")
            text.append(f"{item.level:<15} {sanitize(item.reason)}\n")
    return text


def sanitize_block(text: str) -> str:
    return "\n".join(sanitize(line) for line in text.splitlines())


NO_POLICY = "no policy loaded: start with --policy FILE"


@register
class PolicyPanel(Panel, VerticalScroll):
    """The verdict of the policy on the highlighted event; it follows the event cursor."""

    KEY = "p"
    NAME = "policy"
    TITLE = "Policy"
    DESCRIPTION = "with --policy: the rule that decides the highlighted event, and why"
    WIDTH = 48
    FOLLOWS_HIGHLIGHT = True

    COMPONENT_CLASSES = {"policy-panel--logged", "policy-panel--dropped"}
    DEFAULT_CSS = """
    PolicyPanel {
        padding: 0 1;
        & > .policy-panel--logged { color: $policy-logged; text-style: bold; }
        & > .policy-panel--dropped { color: $policy-dropped; text-style: bold; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "policy"
        self.verdict: RowVerdict | None = None
        self.error = ""

    def compose(self):  # noqa: ANN201
        yield Static(id="policy-text")

    def inputs(self, view: PanelView) -> object:
        policy = view.policy
        version = None if policy is None else (id(policy.policy), policy.error)
        return view.highlighted, version

    def compute(self, view: PanelView) -> tuple[RowVerdict | None, str]:
        policy = view.policy
        if policy is None:
            return None, NO_POLICY
        verdict = None
        if view.highlighted is not None:
            verdict = policy.verdict(view.store, view.highlighted)
        return verdict, policy.error or ""

    def show(self, result: object) -> None:
        verdict, error = result  # type: ignore[misc]
        self.verdict, self.error = verdict, error
        self._draw()

    def _draw(self) -> None:
        # partial: only the colour and text style of the role; the background stays the
        # panel's, so text drawn under one theme does not keep that theme's background
        styles = {
            "logged": self.get_component_rich_style("policy-panel--logged", partial=True),
            "dropped": self.get_component_rich_style("policy-panel--dropped", partial=True),
        }
        text = verdict_text(self.verdict, self.error, styles)
        self.query_one("#policy-text", Static).update(text)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _restyle(self, _theme: object) -> None:
        """A new theme: draw the text again with its colours (once the CSS has them)."""
        if self.verdict is not None or self.error:
            self.call_after_refresh(self._draw)
