"""Event table columns: which ones, how wide, and each row's cell texts.

Fixed widths for values of known shape (time, verb, code, stage, latency, level, rule),
proportional widths for the rest, all from the terminal width: no horizontal scrolling, long
values end in ``…`` and the detail view shows them whole. Cell texts come from the interned
values of the store, so they are formatted (and sanitized) once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from rich.cells import cell_len, set_cell_size

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import NO_TIME

READ_VERBS = frozenset({"get", "list", "watch", "head"})
WRITE_VERBS = frozenset({"create", "update", "patch", "post", "put"})
DELETE_VERBS = frozenset({"delete", "deletecollection"})
STAGES = {
    "RequestReceived": "Received",
    "ResponseStarted": "Started",
    "ResponseComplete": "Complete",
    "Panic": "Panic",
}
LEVELS = {"None": "None", "Metadata": "Meta", "Request": "Req", "RequestResponse": "ReqResp"}


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: the key of its cell, its title, width in cells, alignment."""

    key: str
    title: str
    width: int
    right: bool = False
    clip: bool = False
    """Cut a long value without ``…`` (the time column drops its milliseconds)."""


_FIXED = (
    ("time", "TIME", 12, False),
    ("verb", "VERB", 8, False),
    ("code", "CODE", 4, True),
    ("stage", "STAGE", 8, False),
    ("latency", "LATENCY", 7, True),
    ("level", "LEVEL", 7, False),
)
_FLEX = (("user", "USER", 3), ("resource", "RESOURCE", 3), ("object", "NAMESPACE/NAME", 4))
_CLUSTER = ("cluster", "CLUSTER", 2)


MIN_FLEX = 12
"""Narrowest useful user / resource / object column; below it, optional columns give way."""
_OPTIONAL = ("level", "latency", "stage", "rule", "cluster", "milliseconds", "object")
"""Given up in this order when the terminal (or the space beside a panel) is narrow. TIME,
USER, VERB, RESOURCE and CODE stay."""
DATED_TIME = 23
"""``2017-02-14 19:20:00.123``; 19 without the milliseconds."""


def min_table_width(*, with_date: bool = False) -> int:
    """The narrowest table (scrollbar included) that shows TIME, USER, VERB, RESOURCE and
    CODE whole: what a side panel must leave."""
    time_width = DATED_TIME - 4 if with_date else 12
    return time_width + 8 + 4 + 2 * MIN_FLEX + 4 + 1


MARK = "▶"
"""Drawn in the gutter left of TIME on events that match the find query."""
ALERT_MARK = "!"
"""Drawn in the alert gutter (with ``--rules``) on events that fire a rule, in the colour of
their most severe priority."""
ALERT_ROLES = (
    ("alert-critical",) * 3 + ("alert-error", "alert-warning", "alert-notice") + ("alert-info",) * 2
)
"""Colour role per Falco priority rank: Emergency, Alert, Critical ... Informational, Debug."""


def layout_columns(
    width: int,
    *,
    with_date: bool = False,
    with_rule: bool = False,
    with_cluster: bool = False,
    with_marks: bool = False,
    with_alerts: bool = False,
) -> list[Column]:
    """Columns filling ``width`` cells (one space between columns), in display order; CLUSTER
    (after TIME) when ``with_cluster``, RULE (last) when ``with_rule``.

    ``with_marks``: a one-cell gutter first, for the find marker (TIME keeps its width);
    ``with_alerts``: one for the alert marker (detection rules loaded).
    """
    gutters = [key for key, shown in (("mark", with_marks), ("alert", with_alerts)) if shown]
    if gutters:
        rest = layout_columns(
            max(0, width - 2 * len(gutters)),
            with_date=with_date,
            with_rule=with_rule,
            with_cluster=with_cluster,
        )
        return [*(Column(key, "", 1) for key in gutters), *rest]
    fixed = {key: Column(key, title, w, right) for key, title, w, right in _FIXED}
    if with_date:
        fixed["time"] = Column("time", "TIME (UTC)", DATED_TIME, clip=True)
    if with_rule:
        fixed["rule"] = Column("rule", "RULE", 4, True)
    order = ["time", "user", "verb", "resource", "object", "code", "stage", "latency", "level"]
    if with_rule:
        order.append("rule")
    if with_cluster:
        order.insert(1, "cluster")
    optional = [key for key in _OPTIONAL if key in order or key == "milliseconds"]

    def spare() -> int:
        used = sum(fixed[key].width for key in order if key in fixed)
        return width - used - (len(order) - 1)

    def flexible() -> list[tuple[str, str, int]]:
        return [item for item in (*_FLEX, _CLUSTER) if item[0] in order]

    while spare() < MIN_FLEX * len(flexible()) and optional:
        given_up = optional.pop(0)
        if given_up == "milliseconds":
            if with_date:
                fixed["time"] = Column("time", "TIME (UTC)", DATED_TIME - 4, clip=True)
        else:
            order.remove(given_up)
    room = spare()
    weights = sum(weight for *_, weight in flexible())
    flex = {
        key: Column(key, title, max(6, room * weight // weights))
        for key, title, weight in flexible()
    }
    columns = {**fixed, **flex}
    return [columns[key] for key in order]


_USER_PREFIXES = (("system:serviceaccount:", "sa:"), ("system:node:", "node:"))


def short_user(name: str) -> str:
    """A user name as the table shows it: the part that tells users apart comes first.

    ``system:serviceaccount:kube-system:deployer`` is ``sa:kube-system/deployer`` and
    ``system:node:node-4`` is ``node:node-4``; a cut cell then still names the account.
    The detail view, facets and queries keep the full name.
    """
    for prefix, short in _USER_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            rest = name[len(prefix) :]
            return short + (rest.replace(":", "/", 1) if short == "sa:" else rest)
    return name


def fit(text: str, width: int, right: bool = False, clip: bool = False) -> str:
    """``text`` padded or cut to exactly ``width`` cells; a cut value ends in ``…`` (unless
    ``clip``)."""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        if clip:
            return set_cell_size(text, width)
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    pad = " " * (width - length)
    return pad + text if right else text + pad


def verb_class(verb: str) -> str:
    if verb in READ_VERBS:
        return "verb-read"
    if verb in WRITE_VERBS:
        return "verb-write"
    if verb in DELETE_VERBS:
        return "verb-delete"
    return "verb-other"


def status_class(code: int) -> str:
    if code >= 500:
        return "status-server-error"
    if code >= 400:
        return "status-client-error"
    if 200 <= code < 300:
        return "status-ok"
    return "status-other" if code else ""


def format_latency(micros: int) -> str:
    if micros <= 0:
        return ""
    if micros < 1_000:
        return f"{micros / 1000:.2f}ms"
    if micros < 1_000_000:
        return f"{micros // 1000}ms"
    if micros < 60_000_000:
        return f"{micros / 1_000_000:.2f}s"
    minutes, seconds = divmod(micros // 1_000_000, 60)
    return f"{minutes}m{seconds:02d}s"


@lru_cache(maxsize=4096)
def _clock(seconds: int, with_date: bool) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def format_time(micros: int, with_date: bool) -> str:
    """UTC time of day to the millisecond (the date too when the view is not all today)."""
    if micros == NO_TIME:
        return ""
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{_clock(seconds, with_date)}.{fraction // 1000:03d}"


Cell = tuple[str, str]
"""A cell's text and the name of its colour role ("" for the default)."""


class RowCells:
    """Cell texts of store rows, cached per interned shape (a few thousand, not millions)."""

    def __init__(self, store: EventStore, rule_of: Callable[[int], int | None] | None = None):
        self.store = store
        self.rule_of = rule_of
        self.alert_of: Callable[[int], int | None] | None = None
        """The most severe priority rank of a row's alerts (None: no alert), with --rules."""
        self._who: dict[int, str] = {}
        self._what: dict[int, tuple[Cell, Cell, Cell, Cell, str, bool, str]] = {}

    def cells(self, row: int, with_date: bool = False) -> dict[str, Cell]:
        store = self.store
        i = row - store.first_id
        if not 0 <= i < len(store):  # dropped (--max-events) before the view caught up
            return {}
        what = self._what_cells(int(store.column("what")[i]))
        verb, resource, stage, level, namespace, objref, cluster = what
        code = int(store.column("code")[i])
        ts = int(store.column("ts")[i])
        name = sanitize(store.names.values[int(store.column("name")[i])])
        if objref:
            obj = f"{namespace}/{name}" if namespace and name else namespace or name
        else:
            uri = store.uris.values[int(store.column("uri")[i])]
            resource = (sanitize(uri.partition("?")[0]), "")
            obj = ""
        cells = {
            "time": (format_time(ts, with_date), "time"),
            "user": (self._who_text(int(store.column("who")[i])), ""),
            "verb": verb,
            "resource": resource,
            "object": (obj, ""),
            "code": (str(code) if code else "", status_class(code)),
            "stage": stage,
            "latency": (format_latency(ts - int(store.column("rx")[i])), "latency"),
            "level": level,
            "cluster": (cluster, ""),
        }
        if self.rule_of is not None:
            rule = self.rule_of(row)
            cells["rule"] = ("-" if rule is None else f"#{rule}", "rule")
        if self.alert_of is not None:
            rank = self.alert_of(row)
            if rank is not None:
                cells["alert"] = (ALERT_MARK, ALERT_ROLES[min(rank, len(ALERT_ROLES) - 1)])
        return cells

    def _who_text(self, code: int) -> str:
        """The user cell: who sent it (shortened), and whom they impersonated."""
        text = self._who.get(code)
        if text is None:
            shape = self.store.who.shapes.values[code]
            fields = dict(zip(self.store.who.fields, shape, strict=True))
            user = sanitize(short_user(str(fields.get("user", "")))) or "(no user)"
            as_user = sanitize(short_user(str(fields.get("as", ""))))
            text = f"{user}→{as_user}" if as_user else user
            self._who[code] = text
        return text

    def _what_cells(self, code: int) -> tuple[Cell, Cell, Cell, Cell, str, bool, str]:
        cells = self._what.get(code)
        if cells is None:
            shape = self.store.what.shapes.values[code]
            f = dict(zip(self.store.what.fields, shape, strict=True))
            verb = sanitize(str(f["verb"]))
            resource = sanitize(str(f["resource"]))
            if f["sub"]:
                resource += "/" + sanitize(str(f["sub"]))
            level = str(f["level"])
            cells = (
                (verb, verb_class(str(f["verb"]))),
                (resource, ""),
                (STAGES.get(str(f["stage"]), sanitize(str(f["stage"]))), "stage"),
                (
                    LEVELS.get(level, sanitize(level)),
                    f"level-{level.lower()}" if level in LEVELS else "",
                ),
                sanitize(str(f["ns"])),
                bool(f["objref"]),
                sanitize(str(f["cluster"])),
            )
            self._what[code] = cells
        return cells
