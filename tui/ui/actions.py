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
from textual.actions import parse as parse_action
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from kaudit_tui.core.sanitize import sanitize

SHOWN_POLICY_WARNINGS = 3
"""Policy warnings shown as notifications; the rest are counted (the headless modes list all)."""
NOT_IN_PALETTE = frozenset(
    {"focus_query", "find_next", "focus_panel", "leave_panel", "help", "quit"}
)
"""Actions of key bindings the palette does not offer: they need the keyboard right after (the
query bar, find, focus) or Textual's own commands already do them (Keys, Quit)."""

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
    key_bindings: list[Binding]

    def find_position(self) -> int:
        """1-based place of the highlighted event among the find matches (0: not on one)."""
        marks, current = self.marks, self.table.highlighted_row
        if current is None or not len(marks):
            return 0
        index = int(np.searchsorted(marks, current))
        return index + 1 if index < len(marks) and int(marks[index]) == current else 0

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

    @work(group="policy-poll", exclusive=True, exit_on_error=False)
    async def _poll_policy(self) -> None:
        assert self.policy is not None
        before = self.policy.error
        changed = await asyncio.to_thread(self.policy.poll)
        if changed:
            self.notify("policy reloaded", markup=False)
            self._notify_policy_warnings()
            self.table.set_rule_lookup(lambda row: self.policy.rule_of(self.store, row))
        elif self.policy.error and self.policy.error != before:
            self.notify(sanitize(self.policy.error), severity="error", markup=False, timeout=15)
        # the policy panel recomputes by itself: the policy and its error are among its inputs

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

        self.push_screen(HelpScreen(self.key_bindings))

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

    def action_rbac_for_user(self) -> None:
        """Least-privilege RBAC for the identity of the highlighted event, over the view."""
        row = self.table.highlighted_row
        try:
            values = self.store.row(row) if row is not None else None
        except LookupError:
            values = None
        identity = str(values["as"] or values["user"]) if values else ""
        if not identity:
            self.notify("highlight an event with a user first", markup=False)
            return
        self._rbac_for(identity, self.live.rows)

    @work(group="rbac", exclusive=True, exit_on_error=False)
    async def _rbac_for(self, identity: str, rows: np.ndarray) -> None:
        from kaudit_tui.core.answers.rbac import rbac_for
        from kaudit_tui.ui.screens.rbac import RbacScreen

        answer = await asyncio.to_thread(rbac_for, self.store, rows, identity)
        text = await asyncio.to_thread(answer.yaml)
        await self.push_screen(RbacScreen(text, identity, answer.name))

    def action_history(self) -> None:
        """The history of the highlighted event's object, over the whole log."""
        row = self.table.highlighted_row
        if row is None:
            self.notify("highlight an event first", markup=False)
            return
        self._history(row)

    @work(group="history", exclusive=True, exit_on_error=False)
    async def _history(self, row: int) -> None:
        from kaudit_tui.core.answers.history import object_history, object_of_row
        from kaudit_tui.ui.screens.history import HistoryScreen

        try:
            spec = await asyncio.to_thread(object_of_row, self.store, row)
        except LookupError:
            spec = None
        if spec is None:
            self.notify("this event names no object (a list, or a non-resource request)",
                        markup=False)  # fmt: skip
            return
        policy = self.policy.policy if self.policy is not None else None
        history = await asyncio.to_thread(object_history, self.store, spec, policy=policy)
        await self.push_screen(HistoryScreen(history))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, then one per key binding of the App (panels included), then the
        commands on the highlighted event."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for binding in self.key_bindings:
            name = parse_action(binding.action)[1]
            if name in NOT_IN_PALETTE or binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            help_text = binding.tooltip or binding.description
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{help_text[:1].upper()}{help_text[1:]} ({key})",
                lambda action=binding.action: self._run_from_palette(action),
            )
        yield SystemCommand(
            "Least-privilege RBAC for this user",
            "Roles and bindings allowing exactly the requests the highlighted event's user "
            "(the impersonated one, if any) made in the view, as YAML",
            self.action_rbac_for_user,
        )

    def _run_from_palette(self, action: str) -> None:
        """Run a binding's action now (the palette is on top: check_action would refuse)."""
        _, name, parameters = parse_action(action)
        getattr(self, f"action_{name}")(*parameters)
