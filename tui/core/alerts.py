"""Detection alerts for the rows of the event index: one small code per row.

The rules a row fires are found once, by the ruleset's :class:`Scanner`, in log order as the
store grows. Few distinct *sets* of rules ever fire together, so each set is interned and a row
keeps only the code of its set (0: none) in a growable int32 array — four bytes an event, no
Python object per event. The ``alert:`` and ``priority:`` query fields and the findings
summary test each set once and lift the answer to rows with one numpy index, as the other
query fields do with interned values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from kaudit_tui.core.detect.defaults import load_ruleset_files
from kaudit_tui.core.detect.engine import Alert, Ruleset
from kaudit_tui.core.detect.rules import PRIORITIES, RulesError, priority_name
from kaudit_tui.core.query import FieldSpec
from kaudit_tui.core.query.values import Glob
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import NO_TIME

__all__ = [
    "ALERT_FIELDS",
    "Finding",
    "PriorityTest",
    "RowAlerts",
    "RulesUnusable",
    "alert_fields",
    "parse_priority",
    "read_ruleset",
]

CHUNK = 2048
"""Rows scanned under the lock at a time, so a query waiting for its rows is not held long."""
ALERT_FIELDS = ("alert", "priority")
"""The query fields detection rules add."""
_PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
"""Falco's order: Emergency (0) is the most severe, Debug (7) the least."""


class RulesUnusable(Exception):
    """Rules files that cannot be used; the message says which file and why, in one line."""


def read_ruleset(paths: list[str], default: bool = True) -> Ruleset:
    """The built-in triage rules (unless ``default`` is False), then the rules of ``paths`` (in
    order); :class:`RulesUnusable` when one is missing or broken.

    One wording for the command line (a usage error) and for a reload (shown in the UI)."""
    try:
        return load_ruleset_files(paths, default=default)
    except RulesError as error:
        raise RulesUnusable(f"bad rules: {error}") from None
    except UnicodeDecodeError as error:
        raise RulesUnusable(f"bad rules: not UTF-8 text: {error.reason}") from None
    except FileNotFoundError as error:
        raise RulesUnusable(f"rules {error.filename}: no such file") from None
    except OSError as error:
        raise RulesUnusable(f"cannot read rules: {error.filename}: {error.strerror}") from None


def priority_rank(priority: str) -> int:
    """0 for Emergency ... 7 for Debug (Falco's spelling, as the rules hold it)."""
    return _PRIORITY_RANK.get(priority, len(PRIORITIES) - 1)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired among some rows: how often, and when first and last."""

    rule: int
    """Index into ``Ruleset.rules``."""
    name: str
    priority: str
    count: int
    first: int
    """Epoch microseconds of the earliest such event (``NO_TIME`` if none has a time)."""
    last: int


class RowAlerts:
    """The set of rules each row of ``store`` fires, kept up to date as rows are added.

    ``scan`` and ``catch_up`` evaluate the rows not yet seen, in log order, each once (the
    scanner may carry state from one batch to the next), serialised by a lock; any thread may
    call them. ``codes_now`` reads what is known without waiting, for drawing.
    """

    def __init__(self, ruleset: Ruleset, store: EventStore) -> None:
        self.ruleset = ruleset
        self.store = store
        self.scanner = ruleset.scanner(store)
        self.lock = threading.Lock()
        self.sets: list[tuple[int, ...]] = [()]
        """Interned sets of rule indexes; a row's code indexes this list (0: no alert)."""
        self._set_codes: dict[tuple[int, ...], int] = {(): 0}
        self._tops = np.full(1, len(PRIORITIES), dtype=np.int8)
        self._data = np.zeros(1024, dtype=np.int32)
        self._base = store.first_id
        """Row id of ``_data[0]``."""
        self.done = store.first_id
        """Rows below this id have been scanned."""
        self._view = (self._data, self._base, self.done)
        """What readers see, swapped whole: the buffer, its first row id, the rows scanned."""
        self.ranks = [priority_rank(rule.priority) for rule in ruleset.rules]

    # -- scanning --------------------------------------------------------------------------------
    def behind(self) -> int:
        """Rows indexed but not scanned yet."""
        return max(0, self.store.next_id - max(self.done, self.store.first_id))

    def scan(self, limit: int = CHUNK) -> int:
        """Scan up to ``limit`` of the rows not seen yet; how many were scanned."""
        with self.lock:
            store = self.store
            start = max(self.done, store.first_id)
            end = min(store.next_id, start + limit)
            if start >= end:
                return 0
            rows = np.arange(start, end, dtype=np.int64)
            while True:
                try:
                    fired = self.scanner.scan(rows)
                    break
                except LookupError:  # the oldest were evicted meanwhile (--max-events): the
                    rows = rows[rows >= store.first_id]  # rest, again (an evicted row fires none)
            self._store_codes(end, fired)
            return end - start

    def catch_up(
        self, until: int | None = None, cancelled: Callable[[], bool] | None = None
    ) -> None:
        """Scan every row below ``until`` (default: every row indexed now)."""
        target = self.store.next_id if until is None else until
        while self.done < target and (cancelled is None or not cancelled()):
            if not self.scan():
                return

    def _store_codes(self, end: int, fired: list[tuple[int, tuple[int, ...]]]) -> None:
        self._reserve(end)
        data, base = self._data, self._base
        data[max(self.done, base) - base : end - base] = 0
        for row, hits in fired:
            code = self._set_codes.get(hits)
            if code is None:
                code = self._intern(hits)
            data[row - base] = code
        self.done = end
        self._view = (data, base, end)

    def _intern(self, hits: tuple[int, ...]) -> int:
        code = len(self.sets)
        self.sets.append(hits)
        self._set_codes[hits] = code
        top = min(self.ranks[i] for i in hits)
        self._tops = np.append(self._tops, np.int8(top))
        return code

    def _reserve(self, end: int) -> None:
        """Room for rows up to ``end``; growing drops the rows evicted from the store. Arrays
        handed out earlier stay as they were (a new buffer is made, the old one is kept)."""
        if end - self._base <= len(self._data):
            return
        first = max(self.store.first_id, self._base)
        live = self._data[first - self._base : self.done - self._base]
        grown = np.zeros(max(1024, (end - first) * 2), dtype=np.int32)
        grown[: len(live)] = live
        self._data, self._base = grown, first

    # -- reading ---------------------------------------------------------------------------------
    def codes_now(self, rows: np.ndarray) -> np.ndarray:
        """The set code of each of ``rows`` as far as scanned (0 for rows not scanned yet or
        gone); never waits."""
        data, base, done = self._view
        rows = np.asarray(rows, dtype=np.int64)
        known = (rows >= base) & (rows < done)
        if known.all():
            return data[rows - base]
        return np.where(known, data[np.where(known, rows - base, 0)], 0)

    def codes(self, rows: np.ndarray, cancelled: Callable[[], bool] | None = None) -> np.ndarray:
        """The set code of each of ``rows`` (ascending ids), scanning up to them first."""
        if len(rows):
            self.catch_up(int(rows[-1]) + 1, cancelled)
        return self.codes_now(rows)

    def hits(self, row: int) -> tuple[int, ...]:
        """The indexes of the rules ``row`` fired (scanned first if need be)."""
        self.catch_up(row + 1)
        return self.sets[int(self.codes_now(np.array([row]))[0])]

    def alerts(self, row: int) -> list[Alert]:
        """The formatted alerts of ``row`` (its event read back from disk)."""
        hits = self.hits(row)
        return self.scanner.alerts(row, hits) if hits else []

    def top_rank(self, row: int) -> int | None:
        """The rank of the most severe priority among the alerts of ``row`` as far as scanned
        (0 = Emergency), None when it has none: what the table marks it with."""
        code = int(self.codes_now(np.array([row]))[0])
        return int(self._tops[code]) if code else None

    def set_mask(self, test: Callable[[tuple[int, ...]], bool]) -> np.ndarray:
        """``test`` applied once to each interned set, as booleans indexed by set code."""
        return np.fromiter((test(s) for s in list(self.sets)), dtype=np.bool_)

    def findings(self, rows: np.ndarray) -> list[Finding]:
        """Each rule that fired among ``rows`` (as far as scanned), most severe first, then the
        most frequent: how many events, first and last time."""
        rows = np.asarray(rows, dtype=np.int64)
        codes = self.codes_now(rows)
        alerted = codes != 0
        if not alerted.any():
            return []
        store = self.store
        hit_rows, hit_codes = rows[alerted], codes[alerted]
        live = hit_rows >= store.first_id
        hit_rows, hit_codes = hit_rows[live], hit_codes[live]
        ts = store.column("ts")[hit_rows - store.first_id]
        uniq, inverse = np.unique(hit_codes, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(uniq))
        timed = ts != NO_TIME
        first = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
        last = np.full(len(uniq), NO_TIME, dtype=np.int64)
        np.minimum.at(first, inverse[timed], ts[timed])
        np.maximum.at(last, inverse[timed], ts[timed])
        totals: dict[int, list[int]] = {}
        for code, count, low, high in zip(
            uniq.tolist(), counts.tolist(), first.tolist(), last.tolist(), strict=True
        ):
            for rule in self.sets[code]:
                entry = totals.setdefault(rule, [0, np.iinfo(np.int64).max, NO_TIME])
                entry[0] += count
                entry[1] = min(entry[1], low)
                entry[2] = max(entry[2], high)
        rules = self.ruleset.rules
        found = [
            Finding(
                rule=index,
                name=rules[index].name,
                priority=rules[index].priority,
                count=count,
                first=low if high != NO_TIME else NO_TIME,
                last=high,
            )
            for index, (count, low, high) in totals.items()
        ]
        found.sort(key=lambda f: (priority_rank(f.priority), -f.count, f.name))
        return found


# -- the query fields ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertPattern:
    """A value of ``alert:``: ``any``, ``none`` or a glob over rule names."""

    glob: Glob | None
    kind: str = "glob"


@dataclass(frozen=True, slots=True)
class PriorityTest:
    """A value of ``priority:``: a priority and how to compare (``>=`` = as severe or more)."""

    op: str
    rank: int

    def __call__(self, rank: int) -> bool:
        # a lower rank is more severe: ">=warning" is every rank up to Warning's
        if self.op == ">=":
            return rank <= self.rank
        if self.op == ">":
            return rank < self.rank
        if self.op == "<=":
            return rank >= self.rank
        if self.op == "<":
            return rank > self.rank
        return rank == self.rank


def parse_alert(text: str) -> AlertPattern:
    if not text:
        raise ValueError(text)
    if text in ("any", "none"):
        return AlertPattern(None, text)
    return AlertPattern(Glob.of(text.split("*")))


def parse_priority(text: str) -> PriorityTest:
    """``warning``, ``>=warning``, ``<notice`` ... (Falco's names, ``info`` too)."""
    op = next((op for op in (">=", "<=", ">", "<") if text.startswith(op)), "=")
    name = priority_name(text[len(op) :] if op != "=" else text)
    if name is None:
        raise ValueError(text)
    return PriorityTest(op, priority_rank(name))


def alert_fields(current: Callable[[], RowAlerts]) -> dict[str, FieldSpec]:
    """Query fields ``alert:NAME`` (a glob over rule names; ``any``, ``none``) and
    ``priority:[OP]NAME``, over the rules of ``current()`` (which a reload may replace)."""

    def values(store: EventStore, rows: np.ndarray) -> np.ndarray:
        return current().codes(rows)

    def match_alert(codes: np.ndarray, wanted: tuple[object, ...]) -> np.ndarray:
        state = current()
        names = [rule.name for rule in state.ruleset.rules]
        patterns = [w for w in wanted if isinstance(w, AlertPattern)]

        def fires(hits: tuple[int, ...]) -> bool:
            return any(_alert_matches(p, hits, names) for p in patterns)

        return state.set_mask(fires)[codes]

    def match_priority(codes: np.ndarray, wanted: tuple[object, ...]) -> np.ndarray:
        state = current()
        ranks = state.ranks
        tests = [w for w in wanted if isinstance(w, PriorityTest)]

        def fires(hits: tuple[int, ...]) -> bool:
            return any(test(ranks[i]) for i in hits for test in tests)

        return state.set_mask(fires)[codes]

    names = ", ".join(name.lower() for name in PRIORITIES)
    return {
        "alert": FieldSpec(
            values=values,
            parse=parse_alert,
            expected="a rule name (wildcards allowed), any or none",
            help='a detection rule the event fires: alert:any, alert:none, alert:"Attach*"',
            match=match_alert,
        ),
        "priority": FieldSpec(
            values=values,
            parse=parse_priority,
            expected=f"a priority ({names}), maybe after >=, >, <= or <",
            help="the priority of an alert of the event: priority:warning, priority:>=error",
            match=match_priority,
        ),
    }


def _alert_matches(pattern: AlertPattern, hits: tuple[int, ...], names: list[str]) -> bool:
    if pattern.kind == "any":
        return bool(hits)
    if pattern.kind == "none":
        return not hits
    assert pattern.glob is not None
    return any(pattern.glob(names[i]) for i in hits)


def uses_alert_fields(fields: Iterable[str]) -> bool:
    """Whether a query naming ``fields`` needs the rows' alerts."""
    return any(field in ALERT_FIELDS for field in fields)
