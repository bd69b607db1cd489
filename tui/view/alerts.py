"""What the findings panel, the table's alert marks and the detail view show, without Textual.

The App owns one :class:`AlertState`: the detection rules loaded from ``--rules``, the alerts
of every row (:class:`kaudit_tui.core.alerts.RowAlerts`, scanned in worker threads a slice at a
time as events are indexed) and the rules files' stamps, polled as the audit policy's file is:
when a file changes the rules are read again and every row is scanned again; a broken file
leaves the previous rules in force and its error is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kaudit_tui.core.alerts import Finding, RowAlerts, RulesUnusable, alert_fields, read_ruleset
from kaudit_tui.core.detect import Ruleset
from kaudit_tui.core.policy.watch import file_stamp
from kaudit_tui.core.query import FieldSpec
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore

SCAN_BUDGET = 0.2
"""Seconds one scanning trip runs before it hands back, so the marks and panel fill in."""


@dataclass(frozen=True, slots=True)
class Findings:
    """The findings panel's content: rules fired in the view, and how far the scan is."""

    rules: list[Finding]
    scanned: float
    """Share of the indexed events already scanned (1.0 when caught up)."""
    error: str
    """The error of the latest reload ("" when the files load)."""


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One alert of an event, for the detail view (every text sanitized)."""

    priority: str
    rule: str
    output: str


class AlertState:
    """The rules in force, the alerts of every row, and the watch on the rules files."""

    def __init__(self, ruleset: Ruleset, store: EventStore) -> None:
        self.store = store
        self.paths = list(ruleset.loaded.paths)
        self.error: str | None = None
        self.generation = 0
        """Bumped each time reloaded rules replace the ones in force."""
        self.rows = RowAlerts(ruleset, store)
        self._stamps = self._stamp_files()

    @property
    def ruleset(self) -> Ruleset:
        return self.rows.ruleset

    def current(self) -> RowAlerts:
        """The alerts of the rules in force (a reload replaces the object)."""
        return self.rows

    def fields(self) -> dict[str, FieldSpec]:
        """The query fields ``alert:`` and ``priority:``, over whichever rules are in force."""
        return alert_fields(self.current)

    def notes(self) -> list[str]:
        """What loading the rules said (rules of other sources skipped, warnings), sanitized."""
        return [sanitize(note) for note in self.ruleset.loaded.notes()]

    # -- scanning, in worker threads --------------------------------------------------------------
    def behind(self) -> int:
        return self.rows.behind()

    def scan(self, stop: Callable[[], bool], budget: float = SCAN_BUDGET) -> int:
        """Scan rows not seen yet for up to ``budget`` seconds (or until ``stop()``); how many."""
        rows, done = self.rows, 0
        deadline = time.monotonic() + budget
        while not stop() and time.monotonic() < deadline:
            count = rows.scan()
            if not count:
                break
            done += count
        return done

    def scanned(self) -> float:
        total = len(self.store)
        return 1.0 if not total else max(0.0, 1.0 - self.rows.behind() / total)

    def progress_text(self) -> str:
        """``scanning rules 40%`` while rows wait to be scanned."""
        if not self.rows.behind():
            return ""
        return f"scanning rules {self.scanned():.0%}"

    # -- what the widgets show --------------------------------------------------------------------
    def findings(self, rows: np.ndarray) -> Findings:
        """The rules fired among ``rows`` as far as scanned (the panel fills in as it goes)."""
        return Findings(self.rows.findings(rows), self.scanned(), self.error or "")

    def any_fired(self) -> bool:
        """Whether some row scanned so far fires a rule (of the rules in force)."""
        return len(self.rows.sets) > 1

    def top_rank(self, row: int) -> int | None:
        """The most severe priority (0 = Emergency) among the alerts of ``row`` as far as
        scanned; None when none. Never waits: the table calls it while drawing."""
        return self.rows.top_rank(row)

    def alert_lines(self, row: int) -> list[AlertLine]:
        """The alerts of ``row`` with their formatted output (its event read back from disk)."""
        return [
            AlertLine(sanitize(alert.priority), sanitize(alert.rule), sanitize(alert.output))
            for alert in self.rows.alerts(row)
        ]

    # -- reloading --------------------------------------------------------------------------------
    def _stamp_files(self) -> tuple[object, ...]:
        return tuple(file_stamp(path) for path in self.paths)

    def poll(self) -> bool:
        """Read the rules files again if one changed; True when new rules are in force (every
        row is then scanned again). A file that cannot be used keeps the rules in force and
        sets ``error``."""
        stamps = self._stamp_files()
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        try:
            ruleset = read_ruleset(self.paths, default=False)  # paths name the built-in file
        except RulesUnusable as error:
            self.error = sanitize(str(error))
            return False
        self.rows = RowAlerts(ruleset, self.store)
        self.error = None
        self.generation += 1
        return True
