"""A loaded ruleset evaluating audit events: each event against every enabled rule, in the
rules' order; every rule that matches gives an :class:`Alert`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from .condition import Context
from .fields import format_clock
from .output import event_time
from .rules import SOURCE, CompiledRule, LoadedRules, load_rules, load_rules_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np

    from kaudit_tui.core.store import EventStore

__all__ = ["Alert", "Ruleset", "Scanner", "rfc3339_ns"]


def rfc3339_ns(ns: int | None) -> str | None:
    """``2018-10-25T13:58:49.730588000Z`` of epoch nanoseconds (Falco's alert ``time``)."""
    if ns is None:
        return None
    seconds, fraction = divmod(ns, 1_000_000_000)
    return f"{_utc_second(seconds)}.{fraction:09d}Z"


@functools.lru_cache(maxsize=4096)
def _utc_second(seconds: int) -> str:
    """``2018-10-25T13:58:49`` (alerts come many to a second: formatted once)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Alert:
    rule: str
    priority: str
    output: str
    output_fields: dict[str, Any]
    tags: tuple[str, ...]
    time_ns: int | None
    audit_id: str | None
    source: str = SOURCE

    def to_json(self) -> dict[str, Any]:
        """Falco's JSON alert (``time``, ``rule``, ``priority``, ``output``, ``output_fields``,
        ``source``, ``tags``) with the event's ``auditID``."""
        return {
            "time": rfc3339_ns(self.time_ns),
            "rule": self.rule,
            "priority": self.priority,
            "output": self.output,
            "output_fields": self.output_fields,
            "source": self.source,
            "tags": list(self.tags),
            "auditID": self.audit_id,
        }


class Ruleset:
    """Compiled rules, ready to evaluate events (dicts, as parsed from the log)."""

    def __init__(self, loaded: LoadedRules) -> None:
        self.loaded = loaded
        self.rules: list[CompiledRule] = [rule for rule in loaded.rules if rule.enabled]

    @classmethod
    def from_files(cls, paths: list[str]) -> Ruleset:
        return cls(load_rules(paths))

    @classmethod
    def from_text(cls, *texts: str) -> Ruleset:
        return cls(load_rules_text(*texts))

    def matching(self, event: dict) -> list[CompiledRule]:
        """The enabled rules ``event`` fires, in the rules' order (a rule with a rate window
        counts when its condition holds: windows are the scanner's)."""
        ctx = Context(event)
        return [rule for rule in self.rules if rule.predicate(ctx)]

    def scanner(self, store: EventStore) -> Scanner:
        """A scanner of ``store``'s rows (in log order) against these rules."""
        return Scanner(self, store)

    def evaluate(self, event: dict) -> list[Alert]:
        """One alert per enabled rule ``event`` fires, in the rules' order."""
        return self.alerts_of(event, self.rules)

    def alerts_of(self, event: dict, fired: list[CompiledRule]) -> list[Alert]:
        """The alerts of ``event`` for the rules of ``fired`` that it fires, in their order."""
        ctx = Context(event)
        return self.format_alerts(ctx, [rule for rule in fired if rule.predicate(ctx)])

    def format_alerts(self, ctx: Context, rules: list[CompiledRule]) -> list[Alert]:
        """The alerts of the event of ``ctx`` for ``rules``, known to fire, in their order."""
        event = ctx.event
        time_ns = event_time(ctx)
        # Falco's JSON ``output`` starts with the event's time and the priority.
        clock = "<NA>" if time_ns is None else format_clock(time_ns)
        audit_id = event.get("auditID")
        alerts = []
        for rule in rules:
            text, fields = rule.output.render(ctx)
            alerts.append(
                Alert(
                    rule=rule.name,
                    priority=rule.priority,
                    output=f"{clock}: {rule.priority} {text}",
                    output_fields=fields,
                    tags=rule.tags,
                    time_ns=time_ns,
                    audit_id=audit_id if isinstance(audit_id, str) else None,
                )
            )
        return alerts


Fired = tuple[int, tuple[int, ...]]
"""A row of the store and the indexes (into ``Ruleset.rules``) of the rules it fires."""
Counted = tuple[int, int, tuple, int | None]
"""An event that meets a rate rule's condition: its row, the rule's index, the event's group
(the values of the rule's ``by`` fields) and its time (µs), to be counted in its window."""


class Scanner:
    """Evaluates a ruleset over the rows of a store, batch after batch, in log order.

    The one way the UI and ``--alerts`` run rules over indexed events. Checks on fields the
    index holds are answered once per distinct value (see :mod:`.lift`); an event is read back
    from the store only when the index cannot decide one of its rules. Rules with a rate window
    (``kaudit_rate``, see :mod:`.rate`) keep their counts here, from one batch to the next.
    """

    def __init__(self, ruleset: Ruleset, store: EventStore) -> None:
        from .lift import Lifter
        from .rate import RateState

        self.ruleset = ruleset
        self.store = store
        self.lifter = Lifter(store)
        self.rates = {
            index: RateState(rule.rate)
            for index, rule in enumerate(ruleset.rules)
            if rule.rate is not None
        }
        self.events_read = 0
        """Events read back from disk to decide rules (what the index could not)."""

    def scan(self, rows: np.ndarray, deferred: list[Counted] | None = None) -> list[Fired]:
        """``(row, rule indexes)`` for each row of ``rows`` that fires a rule, in order.

        ``rows`` are ids still in the store, in log order, each given once over the scanner's
        life. With ``deferred``, rate windows are not counted here: each event that meets a
        rate rule's condition is appended to it instead (and the rule left out of the event's
        hits), for :meth:`count_windows` to count, in log order, where the windows are kept.
        So parts of a log can be scanned in other processes, each at once."""
        import numpy as np

        rows = np.asarray(rows, np.int64)
        fired: list[Fired] = []
        for start in range(0, len(rows), _CHUNK):
            fired.extend(self._scan(rows[start : start + _CHUNK], deferred))
        return fired

    def count_windows(self, deferred: Iterable[Counted]) -> list[Fired]:
        """The rows whose rate rules fire, of the events :meth:`scan` deferred (given in log
        order, as it deferred them), with those rules."""
        fired: list[Fired] = []
        for row, rule, group, time_us in deferred:
            if self.rates[rule].fires(group, time_us):
                if fired and fired[-1][0] == row:
                    fired[-1] = (row, (*fired[-1][1], rule))
                else:
                    fired.append((row, (rule,)))
        return fired

    def _scan(self, rows: np.ndarray, deferred: list[Counted] | None) -> list[Fired]:
        import numpy as np

        from kaudit_tui.core.store import OTHER_ID
        from kaudit_tui.core.timestamps import NO_TIME

        from .lift import NO_TIME_CLASS, SOME_TIME_CLASS, TRUE, UNKNOWN, ZERO_TIME_CLASS

        rules = self.ruleset.rules
        if not len(rows) or not rules:
            return []
        store = self.store
        index = rows - store.first_id
        u64 = np.uint64
        pair = store.column("who")[index].astype(u64) << u64(32) | store.column("what")[index]
        pairs, pair_of = np.unique(pair, return_inverse=True)
        noid = (store.column("id_hi")[index] == u64(OTHER_ID)) & (store.column("id_lo")[index] == 0)
        ts, rx = store.column("ts")[index], store.column("rx")[index]
        time_class = np.where(
            ts == NO_TIME,
            NO_TIME_CLASS,
            np.where((ts == 0) | (rx == 0), ZERO_TIME_CLASS, SOME_TIME_CLASS),
        )
        # One key per row: batch pair (19 bits), name (32), code (10), time class (2), no ID.
        key = (
            pair_of.astype(u64) << u64(45)
            | store.column("name")[index].astype(u64) << u64(13)
            | store.column("code")[index].astype(u64) << u64(3)
            | time_class.astype(u64) << u64(1)
            | noid.astype(u64)
        )
        keys, combo_of = np.unique(key, return_inverse=True)
        pair_codes = pairs[(keys >> u64(45)).astype(np.int64)]
        combos = {
            "who": (pair_codes >> u64(32)).astype(np.int64),
            "what": (pair_codes & u64(0xFFFFFFFF)).astype(np.int64),
            "name": ((keys >> u64(13)) & u64(0xFFFFFFFF)).astype(np.int64),
            "code": ((keys >> u64(3)) & u64(1023)).astype(np.int64),
            "time": ((keys >> u64(1)) & u64(3)).astype(np.int64),
            "noid": (keys & u64(1)).astype(np.bool_),
        }
        answers = np.stack(self.lifter.evaluate(rules, combos))
        true, unknown = answers == TRUE, answers == UNKNOWN
        candidates = np.flatnonzero((true | unknown).any(axis=0))
        if not len(candidates):
            return []
        outcomes = _outcomes(candidates, true, unknown)
        interesting = np.zeros(len(keys), np.bool_)
        interesting[candidates] = True
        positions = np.flatnonzero(interesting[combo_of])
        times = store.column("ts")[index[positions]].tolist()
        combo_list = combo_of[positions].tolist()
        row_list = rows[positions].tolist()
        groups = self._indexed_groups(index[positions]) if self.rates else {}
        rated = self.rates.keys()
        fired: list[Fired] = []
        for at, (row, combo, time_us) in enumerate(zip(row_list, combo_list, times, strict=True)):
            sure, open_ = outcomes[combo]
            ctx: Context | None = None
            if open_:
                event = self.event(row)
                self.events_read += 1
                if event is not None:
                    ctx = Context(event)
                    extra = [i for i in open_ if rules[i].predicate(ctx)]
                    sure = tuple(sorted(sure + tuple(extra))) if extra else sure
            if sure and not rated.isdisjoint(sure):
                sure = self._windows(row, sure, time_us, ctx, groups, at, deferred)
            if sure:
                fired.append((row, sure))
        return fired

    def _indexed_groups(self, index: np.ndarray) -> dict[str, list]:
        """Per ``by`` field of the rate rules, its value at each position where the index
        tells it exactly (else None: the event is read)."""
        from .lift import indexed_values

        found: dict[str, list] = {}
        for state in self.rates.values():
            for ref in state.rate.by:
                if ref.text not in found:
                    found[ref.text] = indexed_values(self.store, index, ref.text)
        return found

    def _windows(
        self,
        row: int,
        hits: tuple[int, ...],
        time_us: int,
        ctx: Context | None,
        groups: dict[str, list],
        at: int,
        deferred: list[Counted] | None,
    ) -> tuple[int, ...]:
        """``hits`` without the rate rules whose window the event does not fill (without any
        rate rule when they are ``deferred``: see :meth:`scan`)."""
        from kaudit_tui.core.timestamps import NO_TIME

        kept = []
        for i in hits:
            state = self.rates.get(i)
            if state is None:
                kept.append(i)
                continue
            group = []
            for ref in state.rate.by:
                value = groups[ref.text][at]
                if value is None:
                    if ctx is None:
                        event = self.event(row)
                        self.events_read += 1
                        ctx = Context(event if event is not None else {})
                    value = _hashable(ref.read(ctx.event))
                group.append(value)
            time = None if time_us == NO_TIME else time_us
            if deferred is not None:
                deferred.append((row, i, tuple(group), time))
            elif state.fires(tuple(group), time):
                kept.append(i)
        return tuple(kept)

    def event(self, row: int) -> dict | None:
        """The event of ``row`` as a dict (None when it cannot be read back as one)."""
        try:
            event = orjson.loads(self.store.event_json(row))
        except orjson.JSONDecodeError:
            return None
        return event if type(event) is dict else None

    def alerts(self, row: int, hits: tuple[int, ...]) -> list[Alert]:
        """The alerts of ``row`` for the rules of ``hits``, formatted (output, fields)."""
        event = self.event(row)
        if event is None:
            return []
        rules = self.ruleset.rules
        return self.ruleset.format_alerts(Context(event), [rules[i] for i in hits])


_CHUNK = 1 << 19
"""Rows evaluated at once (the combination keys hold a batch position in 19 bits)."""


def _outcomes(
    candidates: np.ndarray, true: np.ndarray, unknown: np.ndarray
) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per combination of ``candidates``: the rules it fires for sure, and those to decide on
    the event (rule indexes in order); combinations share few distinct patterns."""
    import numpy as np

    sure = np.packbits(true[:, candidates].T, axis=1)
    open_ = np.packbits(unknown[:, candidates].T, axis=1)
    count = true.shape[0]
    width = sure.shape[1]
    sure_bytes, open_bytes = sure.tobytes(), open_.tobytes()
    decoded: dict[bytes, tuple[int, ...]] = {}

    def rules_of(bits: bytes) -> tuple[int, ...]:
        found = decoded.get(bits)
        if found is None:
            flags = np.unpackbits(np.frombuffer(bits, np.uint8), count=count)
            found = decoded[bits] = tuple(np.flatnonzero(flags).tolist())
        return found

    out = {}
    for at, combo in enumerate(candidates.tolist()):
        start = at * width
        out[combo] = (
            rules_of(sure_bytes[start : start + width]),
            rules_of(open_bytes[start : start + width]),
        )
    return out


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
