"""``--alerts``: the built-in triage rules and those of ``--rules`` over every matching event,
one JSON line per alert (Falco's JSON alert format, plus the event's ``auditID``), in log
order."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from kaudit_tui.core.detect.render import AlertRenderer
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.usage import load_rules_files

from .printing import safe_json

if TYPE_CHECKING:
    from kaudit_tui.core.alerts import RowAlerts
    from kaudit_tui.core.detect import Ruleset


def load_ruleset(paths: list[str], default: bool = True) -> Ruleset:
    """The built-in rules (unless ``default`` is False) and those of ``paths``, notes on
    stderr; a missing or broken file is a usage error."""
    ruleset = load_rules_files(paths, default)
    for note in ruleset.loaded.notes():
        print(f"kaudit-tui: note: {sanitize(note)}", file=sys.stderr)
    return ruleset


_ROWS = 4096
"""Fired rows whose alerts are formatted and written at once."""
_HELD = 1 << 16
"""Rows scanned at once when the writer may hold them (the scanner's work per call is partly
per distinct value of the batch, so a few large batches cost less than many small ones)."""


class AlertWriter:
    """Evaluates events read back from the store and writes their alerts to stdout.

    Like ``--print``, the JSON goes out with every character a terminal could act on escaped
    (``\\u`` escapes: the same JSON). A closed pipe raises ``BrokenPipeError``.
    """

    def __init__(
        self,
        store: EventStore,
        ruleset: Ruleset,
        row_alerts: RowAlerts | None = None,
        hold: bool = False,
    ) -> None:
        self.store = store
        self.ruleset = ruleset
        self.row_alerts = row_alerts
        """The alerts of every row, when the query already needed them (``alert:``)."""
        self.scanner = row_alerts.scanner if row_alerts is not None else ruleset.scanner(store)
        self.renderer = AlertRenderer(ruleset, store)
        self.out = sys.stdout.buffer
        self.alerts = 0
        self.hold = hold
        """May rows wait for more (until :meth:`finish`)? Only when none can leave the store
        meanwhile and nobody waits for each burst's alerts (no cap, not following)."""
        self._held: list[np.ndarray] = []
        self._held_count = 0

    def write(self, rows: np.ndarray) -> None:
        """The alerts of the events of ``rows`` (ids still in the store), in order; held
        rows wait until about ``_HELD`` of them have come."""
        if self.hold:
            self._held.append(rows)
            self._held_count += len(rows)
            if self._held_count < _HELD:
                return
            rows = np.concatenate(self._held)
            self._held, self._held_count = [], 0
        self._write(rows)

    def finish(self) -> None:
        """Write the alerts of the rows held back."""
        if self._held:
            rows = np.concatenate(self._held)
            self._held, self._held_count = [], 0
            self._write(rows)

    def _write(self, rows: np.ndarray) -> None:
        fired = self._fired(rows)
        for start in range(0, len(fired), _ROWS):
            lines = self.renderer.lines(fired[start : start + _ROWS])
            self.alerts += len(lines)
            if not lines:
                continue
            data = b"\n".join(lines)
            if not data.isascii() or b"\x7f" in data:
                data = b"\n".join([safe_json(line) for line in lines])
            self.out.write(data + b"\n")
        self.out.flush()

    def _fired(self, rows: np.ndarray) -> list[tuple[int, tuple[int, ...]]]:
        if self.row_alerts is None:
            return self.scanner.scan(rows)
        codes = self.row_alerts.codes(rows)
        sets = self.row_alerts.sets
        fired = codes != 0
        return [
            (row, sets[code])
            for row, code in zip(rows[fired].tolist(), codes[fired].tolist(), strict=True)
        ]
