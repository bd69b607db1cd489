"""The App's side of detection rules (``--rules``): scanning rows for alerts in worker threads
as events are indexed, the table's alert marks, and reloading the rules files when they change.

A mixin of :class:`KauditApp`, kept apart so the App module stays about wiring. The state
itself (rules, alerts per row, the files' stamps) is :class:`kaudit_tui.view.alerts.AlertState`.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from textual import work

from kaudit_tui.core.alerts import uses_alert_fields

RULES_POLL = 2.0
"""Seconds between checks of the rules files for changes (as for the policy file)."""
SHOWN_NOTES = 3
"""Notes of the rules load shown as notifications (rules of other sources skipped, warnings)."""

if TYPE_CHECKING:
    from textual.app import App

    from kaudit_tui.core.query import Query
    from kaudit_tui.ui.widgets.event_table import EventTable
    from kaudit_tui.view.alerts import AlertState
    from kaudit_tui.view.live import LiveView

    _Base = App[int]
else:
    _Base = object


class DetectionActions(_Base):
    """Alert scanning, marks and reloads for the App."""

    alerts: AlertState | None
    live: LiveView
    table: EventTable
    query_text: str
    _scanning = False
    _scan_stop: threading.Event | None = None

    if TYPE_CHECKING:  # the App's

        def parse(self, text: str) -> Query: ...

        def _submit_filter(self, text: str) -> None: ...

    def _start_detections(self) -> None:
        """On mount: the alert gutter, the reload timer, what loading the rules said."""
        self._scan_stop = threading.Event()
        self._scanning = False
        state = self.alerts
        if state is None:
            return
        self._show_gutter()
        self.set_interval(RULES_POLL, self._poll_rules)
        notes = state.notes()
        for note in notes[:SHOWN_NOTES]:
            self.notify(note, title="rules", markup=False, timeout=10)
        if len(notes) > SHOWN_NOTES:
            self.notify(f"{len(notes) - SHOWN_NOTES} more notes: --alerts prints them all",
                        title="rules", markup=False, timeout=10)  # fmt: skip

    def _show_gutter(self) -> None:
        """The alert gutter, once some event fires a rule: a log where nothing does keeps its
        columns (the built-in rules are always loaded)."""
        state = self.alerts
        if state is not None and self.table.cells.alert_of is None and state.any_fired():
            self.table.set_alert_lookup(state.top_rank)

    def _scan_tick(self) -> None:
        """From the App's update timer: scan the rows indexed since the last trip, if any.

        Not while a file is read for the first time: on two cores the scan would take the
        indexing's second core, and the whole log indexed is what the user waits for first
        (a query on alert fields computes the alerts it needs itself)."""
        if self._scan_stop is None or self._scanning or self.alerts is None:
            return
        if self.live.progress_text():
            return
        if self.alerts.behind():
            self._scanning = True
            self._scan_alerts()

    def _stop_detections(self) -> None:
        if self._scan_stop is not None:
            self._scan_stop.set()

    @work(group="alerts-scan", exit_on_error=False)
    async def _scan_alerts(self) -> None:
        assert self.alerts is not None
        try:
            stop = self._scan_stop
            assert stop is not None
            scanned = await asyncio.to_thread(self.alerts.scan, stop.is_set)
        finally:
            self._scanning = False
        if scanned and self.is_running:
            self._show_gutter()
            self.table.refresh_alerts()

    @work(group="rules-poll", exclusive=True, exit_on_error=False)
    async def _poll_rules(self) -> None:
        state = self.alerts
        assert state is not None
        before = state.error
        changed = await asyncio.to_thread(state.poll)
        if changed:
            count = len(state.ruleset.rules)
            self.notify(f"rules reloaded: {count} rules in force", markup=False)
            self._show_gutter()
            self.table.refresh_alerts()
            if uses_alert_fields(self._query_fields()):
                self._submit_filter(self.query_text)  # its rows depend on the rules
        elif state.error and state.error != before:
            self.notify(f"{state.error}; the previous rules stay in force", title="rules",
                        severity="error", markup=False, timeout=15)  # fmt: skip

    def _query_fields(self) -> set[str]:
        try:
            return self.parse(self.query_text).fields
        except ValueError:
            return set()
