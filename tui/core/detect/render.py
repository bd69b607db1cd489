"""Alerts of many rows at once, as Falco JSON alert lines: what ``--alerts`` writes.

The same text as ``Alert.to_json`` of :meth:`Scanner.alerts` for each fired row, made for
hundreds of thousands of alerts: each rule's output is compiled once (a format string and its
fields' keys; fields that are the text at a path of the event are read inline), the events of a
batch are read back with one read per run of nearby records instead of one per row, each event
is parsed once however many rules it fires, and each alert is one ``orjson.dumps`` of a plain
dict (no ``Alert`` objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from kaudit_tui.core.decode import event_json

from .condition import Context
from .engine import rfc3339_ns
from .fields import format_clock, json_text
from .output import NA, Token, event_time, show_value
from .rules import SOURCE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from kaudit_tui.core.store import EventStore

    from .engine import Fired, Ruleset
    from .rules import CompiledRule

__all__ = ["AlertRenderer"]

_GAP = 1 << 13
"""Records closer than this many bytes are read together (the bytes between are skipped)."""
_SPAN = 1 << 22
"""At most this many bytes in one read."""
_TIMES = frozenset({"evt.time", "evt.rawtime"})


class _Rule:
    """One rule's alert, compiled: its output as a format string and its fields' keys."""

    __slots__ = ("fast", "format", "keys", "name", "output", "parts", "prefix", "priority",
                 "readers", "tags", "tokens")  # fmt: skip

    def __init__(self, rule: CompiledRule) -> None:
        self.name = rule.name
        self.priority = rule.priority
        self.prefix = f": {rule.priority} "
        self.tags = list(rule.tags)
        self.output = rule.output
        self.parts: list[str | Token] = rule.output.parts
        self.tokens = [part for part in self.parts if isinstance(part, Token)]
        self.keys = [token.key for token in self.tokens]
        self.fast = not any(token.width or token.key in _TIMES for token in self.tokens)
        """No field shows the time or has a width: the output is ``format`` of the values."""
        self.readers = [_reader(token) for token in self.tokens]
        """Per token, its value from the event and its context (as the token's getter)."""
        self.format = "".join(
            part.replace("{", "{{").replace("}", "}}") if isinstance(part, str) else "{}"
            for part in self.parts
        )


class AlertRenderer:
    """Formats the alerts of fired rows of ``store`` for ``ruleset``'s rules."""

    def __init__(self, ruleset: Ruleset, store: EventStore) -> None:
        self.store = store
        self.rules = [_Rule(rule) for rule in ruleset.rules]
        self._seconds: dict[int, tuple[str, str]] = {}

    def lines(self, fired: list[Fired], keys: list[Fired] | None = None) -> list[bytes]:
        """One JSON line (no newline) per alert of ``fired`` (rows in log order, each with the
        indexes of the rules it fires), as ``orjson.dumps(alert.to_json())`` would give. A row
        whose event cannot be read back as a JSON object has none; ``keys``, when given, gets
        each row that has lines, with its rules (a line each, in that order)."""
        out: list[bytes] = []
        add = out.append
        dumps = orjson.dumps
        loads = orjson.loads
        rules = self.rules
        for (row, hits), text in zip(fired, self._texts([row for row, _ in fired]), strict=True):
            try:
                event = loads(text)
            except orjson.JSONDecodeError:
                continue
            if type(event) is not dict:
                continue
            if keys is not None:
                keys.append((row, hits))
            ctx = Context(event)
            time_ns = event_time(ctx)
            if time_ns is None:
                clock, stamp = NA, None
            else:
                clock, stamp = self._times(time_ns)
            audit_id = event.get("auditID")
            audit = type(audit_id) is str
            if not audit:
                audit_id = None
                audit = "auditID" in event
            for i in hits:
                rule = rules[i]
                if rule.fast and audit:
                    values = [read(event, ctx) for read in rule.readers]
                    output = rule.format.format(
                        *[
                            NA if v is None else v if type(v) is str else show_value(v)
                            for v in values
                        ]
                    )
                    fields = dict(zip(rule.keys, values, strict=True))
                    fields["evt.time"] = time_ns
                else:
                    output, fields = rule.output.render(ctx)  # ctx holds the time read above
                add(
                    dumps(
                        {
                            "time": stamp,
                            "rule": rule.name,
                            "priority": rule.priority,
                            "output": clock + rule.prefix + output,
                            "output_fields": fields,
                            "source": SOURCE,
                            "tags": rule.tags,
                            "auditID": audit_id,
                        }
                    )
                )
        return out

    def _times(self, ns: int) -> tuple[str, str]:
        """The output's clock (``HH:MM:SS.nnnnnnnnn``) and the alert's RFC 3339 time of epoch
        nanoseconds; the text of each second made once."""
        seconds, fraction = divmod(ns, 1_000_000_000)
        texts = self._seconds.get(seconds)
        if texts is None:
            if len(self._seconds) > 4096:
                self._seconds.clear()
            whole = seconds * 1_000_000_000
            texts = self._seconds[seconds] = (format_clock(whole)[:-10], rfc3339_ns(whole)[:-11])
        return f"{texts[0]}.{fraction:09d}", f"{texts[1]}.{fraction:09d}Z"

    def _texts(self, rows: list[int]) -> Iterator[bytes]:
        """The JSON text of each row's event (as ``store.event_json``), in order: records near
        each other in the same file are read back together."""
        store = self.store
        if not rows:
            return
        first = store.first_id
        index = [row - first for row in rows]
        seg = store.column("seg")[index].tolist()
        off = store.column("off")[index].tolist()
        length = store.column("len")[index].tolist()
        item = store.column("item")[index].tolist()
        segments = store.segments
        count = len(rows)
        start = 0
        while start < count:
            # A run: records of one segment, in file order, with small gaps between them.
            s, begin = seg[start], off[start]
            end = begin + length[start]
            stop = start + 1
            while stop < count:
                o = off[stop]
                if seg[stop] != s or o < end or o - end > _GAP:
                    break
                e = o + length[stop]
                if e - begin > _SPAN:
                    break
                end = e
                stop += 1
            data = segments[s].read_at(begin, end - begin)
            for at in range(start, stop):
                o = off[at] - begin
                yield event_json(data[o : o + length[at]], item[at])
            start = stop


def _reader(token: Token) -> Callable[[dict, Context], Any]:
    """What ``token.get`` gives for an audit event: a field that is the text at a path of the
    event is read inline (as ``fields._scalar`` reads it), without the getter's calls."""
    path = token.path
    if path is None:
        get = token.get
        return lambda _event, ctx: get(ctx)
    if len(path) == 1:
        (key,) = path

        def read(event: dict, _ctx: Context) -> Any:
            value = event.get(key)
            return value if value is None or type(value) is str else json_text(value)

    elif len(path) == 2:
        outer, inner = path

        def read(event: dict, _ctx: Context) -> Any:
            value = event.get(outer)
            if type(value) is not dict:
                return None
            value = value.get(inner)
            return value if value is None or type(value) is str else json_text(value)

    else:

        def read(event: dict, _ctx: Context) -> Any:
            value: Any = event
            for key in path:
                if type(value) is not dict:
                    return None
                value = value.get(key)
                if value is None:
                    return None
            return value if type(value) is str else json_text(value)

    return read
