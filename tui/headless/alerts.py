"""``--alerts``: the rules of ``--rules`` over every matching event, one JSON line per alert
(Falco's JSON alert format, plus the event's ``auditID``), in log order."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.usage import UsageError, require_file

from .printing import dumps

if TYPE_CHECKING:
    from kaudit_tui.core.detect import Ruleset


def load_ruleset(paths: list[str]) -> Ruleset:
    """The rules of ``paths``, notes on stderr; a missing or broken file is a usage error."""
    from kaudit_tui.core.detect import RulesError, Ruleset, load_rules

    for path in paths:
        require_file("rules", path)
    try:
        loaded = load_rules(paths)
    except RulesError as error:
        raise UsageError(f"bad rules: {error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"bad rules: not UTF-8 text: {error.reason}") from None
    except OSError as error:
        raise UsageError(f"cannot read rules: {error.filename}: {error.strerror}") from None
    for note in loaded.notes():
        print(f"kaudit-tui: note: {sanitize(note)}", file=sys.stderr)
    return Ruleset(loaded)


class AlertWriter:
    """Evaluates events read back from the store and writes their alerts to stdout.

    Like ``--print``, the JSON goes out with every character a terminal could act on escaped
    (``\\u`` escapes: the same JSON). A closed pipe raises ``BrokenPipeError``.
    """

    def __init__(self, store: EventStore, ruleset: Ruleset) -> None:
        self.store = store
        self.ruleset = ruleset
        self.scanner = ruleset.scanner(store)
        self.out = sys.stdout.buffer
        self.alerts = 0

    def write(self, rows: np.ndarray) -> None:
        """The alerts of the events of ``rows`` (ids still in the store), in order."""
        write = self.out.write
        scanner = self.scanner
        for row, hits in scanner.scan(rows):
            for alert in scanner.alerts(row, hits):
                self.alerts += 1
                write(dumps(alert.to_json()) + b"\n")
        self.out.flush()
