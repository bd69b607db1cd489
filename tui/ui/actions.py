"""The App's actions that open screens, export, answer the palette and follow the policy file.

A mixin of :class:`KauditApp`, kept apart so the App module stays about wiring: the methods use
the App's store, live view, widgets and policy state. Screens are imported on first use, so
start-up does not pay for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from textual import work
from textual.app import SystemCommand
from textual.screen import Screen

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.ui.widgets.policy_panel import PolicyPanel

SHOWN_POLICY_WARNINGS = 3
"""Policy warnings shown as notifications; the rest are counted (the headless modes list all)."""

if TYPE_CHECKING:
    from textual.app import App

    from kaudit_tui.core.store import EventStore
    from kaudit_tui.ui.widgets.event_table import EventTable
    from kaudit_tui.view.live import LiveView
    from kaudit_tui.view.policy import PolicyState

    _Base = App[int]
else:
    _Base = object


class AppActions(_Base):
    """Screens, export, find, the policy panel's content and the command palette."""

    store: EventStore
    live: LiveView
    policy: PolicyState | None
    find_text: str
    marks: np.ndarray
    table: EventTable

    def action_find_next(self, step: int) -> None:
        if not self.find_text:
            self.notify("nothing to find yet: press s and type a query", markup=False)
            return
        marks, current = self.marks, self.table.highlighted_row
        if not len(marks):
            self.notify("no event in view matches the find query", markup=False)
            return
        current = -1 if current is None else current
        if step > 0:
            index = int(np.searchsorted(marks, current, side="right"))
            target = marks[index] if index < len(marks) else marks[0]
        else:
            index = int(np.searchsorted(marks, current, side="left")) - 1
            target = marks[index] if index >= 0 else marks[-1]
        self.table.go_to_row(int(target))

    @work(group="policy", exclusive=True, exit_on_error=False)
    async def _show_verdict(self, row: int | None) -> None:
        panel = self.query_one(PolicyPanel)
        if self.policy is None:
            panel.show(None, "no policy loaded: start with --policy FILE")
            return
        verdict = None
        if row is not None:
            verdict = await asyncio.to_thread(self.policy.verdict, self.store, row)
        panel.show(verdict, self.policy.error or "")

    @work(group="policy-poll", exclusive=True, exit_on_error=False)
    async def _poll_policy(self) -> None:
        assert self.policy is not None
        before = self.policy.error
        changed = await asyncio.to_thread(self.policy.poll)
        if changed:
            self.notify("policy reloaded", markup=False)
            self._notify_policy_warnings()
            self.table.set_rule_lookup(lambda row: self.policy.rule_of(self.store, row))
            self._show_verdict(self.table.highlighted_row)
        elif self.policy.error and self.policy.error != before:
            self.notify(sanitize(self.policy.error), severity="error", markup=False, timeout=15)
            self._show_verdict(self.table.highlighted_row)

    def _notify_policy_warnings(self) -> None:
        """Show what loading the policy warned about: a misspelt field, say, that
        kube-apiserver ignores, so that a rule matches more than its author meant."""
        assert self.policy is not None
        warnings = self.policy.policy.warnings
        for warning in warnings[:SHOWN_POLICY_WARNINGS]:
            self.notify(sanitize(str(warning)), title="policy warning", severity="warning",
                        markup=False, timeout=20)  # fmt: skip
        if len(warnings) > SHOWN_POLICY_WARNINGS:
            more = len(warnings) - SHOWN_POLICY_WARNINGS
            self.notify(f"{more} more policy warnings: --policy-report prints them all",
                        severity="warning", markup=False, timeout=20)  # fmt: skip

    def action_help(self) -> None:
        from kaudit_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_skipped(self) -> None:
        from kaudit_tui.ui.screens.skipped import SkippedScreen

        self.push_screen(SkippedScreen(self.store))

    @work(group="policy-rules", exclusive=True, exit_on_error=False)
    async def action_policy_rules(self) -> None:
        if self.policy is None:
            self.notify("no policy loaded: start with --policy FILE", markup=False)
            return
        from kaudit_tui.ui.screens.policy_rules import PolicyRulesScreen

        rows, policy = self.live.rows, self.policy
        hits = await asyncio.to_thread(policy.hits, self.store, rows)
        screen = PolicyRulesScreen(hits, policy.policy.path, len(rows))
        await self.push_screen(screen)
        report = await asyncio.to_thread(
            policy.report, self.store, rows, lambda: not screen.is_attached
        )
        if report is not None and screen.is_attached:
            screen.show_report(report)

    def action_export(self) -> None:
        from kaudit_tui.ui.screens.export import ExportScreen

        rows = self.live.rows
        self.push_screen(
            ExportScreen(len(rows), "kaudit-export.jsonl"),
            lambda path: self._export(rows, path) if path is not None else None,
        )

    @work(group="export", exit_on_error=False)
    async def _export(self, rows: np.ndarray, path: Path) -> None:
        from kaudit_tui.ui.screens.export import ExportError, export_rows

        try:
            count = await export_rows(self.store, rows, path)
        except ExportError as error:
            self.notify(sanitize(str(error)), severity="error", markup=False, timeout=15)
            return
        gone = len(rows) - count
        note = f" ({gone:,} had left memory: --max-events)" if gone > 0 else ""
        self.notify(sanitize(f"exported {count:,} events to {path}{note}"), markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Follow", "Follow new events on or off (f)", self.action_toggle_follow)
        yield SystemCommand("Export", "Write the view as JSON lines (e)", self.action_export)
        for name, key in (("facets", "c"), ("histogram", "h"), ("policy", "p")):
            yield SystemCommand(
                name.capitalize(),
                f"Show or hide the {name} panel ({key})",
                lambda name=name: self.action_toggle_panel(name),
            )
        yield SystemCommand(
            "Rules", "Policy rules with hits and bytes (P)", self.action_policy_rules
        )
        yield SystemCommand(
            "Requests", "One row per request instead of per stage (r)", self.action_toggle_requests
        )
        yield SystemCommand("Skipped", "Lines that held no event, and why (!)", self.action_skipped)
