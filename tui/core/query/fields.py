"""The query fields: names, aliases, value parsers, and the hook for fields added from outside.

Built-in fields read the store's columns. ``FieldSpec`` lets another layer (the policy
evaluator's ``rule:`` and ``logged:``) add a field whose per-row values come from a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from kaudit_tui.core.query import values as v
from kaudit_tui.core.query.syntax import RawValue

if TYPE_CHECKING:
    from kaudit_tui.core.store import EventStore


class FieldSpec(msgspec.Struct, frozen=True):
    """A field computed outside the store, e.g. ``rule:3``/``rule:none`` or ``logged:false``.

    ``values(store, rows)`` returns one value per given absolute row id (a numpy array of any
    dtype); a row matches when its value equals one of the query's values, each converted by
    ``parse`` (which gets the lower-cased text and raises ``ValueError`` when it is not valid).
    ``expected`` completes the error message "expected ...", e.g. "a rule number or none".
    The callable runs per block of rows, after the built-in terms (so it sees every candidate).

    Example, as the policy layer would add ``rule:`` (``RowDecisions`` numbers rules from 1)::

        FieldSpec(lambda store, rows: decisions.columns(store, rows)[0],
                  lambda text: 0 if text == "none" else int(text), "a rule number or none")
    """

    values: Callable[[EventStore, np.ndarray], np.ndarray]
    parse: Callable[[str], object]
    expected: str
    help: str = ""
    match: Callable[[np.ndarray, tuple[object, ...]], np.ndarray] | None = None
    """Which of the rows' values match the query's parsed values, as booleans (default: the
    value equals one of them). For values that are codes of interned sets (the ``alert:``
    field), it tests each set once and lifts the answer with one index."""


class FieldDef(msgspec.Struct, frozen=True):
    """A built-in field: how to read one value, and whether it takes a single value."""

    name: str
    parse: Callable[[RawValue], object]
    help: str
    single: bool = False
    choices: tuple[str, ...] = ()
    """Closed set of valid values (lower case); a typo there gets a suggestion."""


def _def(name: str, parse: Callable[[RawValue], object], help: str, **kw: object) -> FieldDef:
    return FieldDef(name, parse, help, **kw)  # type: ignore[arg-type]


FIELDS: dict[str, FieldDef] = {
    d.name: d
    for d in (
        _def("user", v.parse_glob, "user name"),
        _def("as", v.parse_glob, "impersonated user name"),
        _def(
            "who",
            v.parse_glob,
            "the user the request acted as: the impersonated one, else the user",
        ),
        _def("group", v.parse_glob, "any of the user's groups"),
        _def("verb", v.parse_glob, "request verb"),
        _def("resource", v.parse_resource, "resource, resource/subresource or resource/*"),
        _def("sub", v.parse_glob, "subresource"),
        _def("ns", v.parse_glob, 'namespace ("" for none)'),
        _def("name", v.parse_glob, "object name"),
        _def("apigroup", v.parse_glob, 'API group ("" for the core group)'),
        _def(
            "stage",
            v.parse_glob,
            "event stage",
            choices=("requestreceived", "responsestarted", "responsecomplete", "panic"),
        ),
        _def(
            "level",
            v.parse_glob,
            "audit level",
            choices=("none", "metadata", "request", "requestresponse"),
        ),
        _def("code", v.parse_code, "status code: 403, 4xx, >=400, <300, none"),
        _def("ip", v.parse_ip, "any source IP: address, pattern or CIDR block"),
        _def("ua", v.parse_glob, "user agent"),
        _def("uri", v.parse_glob, "request URI"),
        _def("id", v.parse_glob, "audit ID"),
        _def("decision", v.parse_glob, "authorization decision (allow, forbid)"),
        _def("latency", v.parse_latency, "stage time minus received time: >500ms, <=2s"),
        _def("since", v.parse_time_value, "at or after: RFC 3339 time or duration", single=True),
        _def("until", v.parse_time_value, "at or before: RFC 3339 time or duration", single=True),
        _def("source", v.parse_glob, "source file (path or file name)"),
        _def("cluster", v.parse_glob, 'the cluster the event came from ("" when unknown)'),
    )
}

ALIASES = {
    "namespace": "ns",
    "subresource": "sub",
    "groups": "group",
    "status": "code",
    "useragent": "ua",
    "user-agent": "ua",
    "auditid": "id",
    "sourceip": "ip",
    "file": "source",
}


LOADED_FIELDS = {
    "alert": "detection rules are loaded (--rules FILE)",
    "priority": "detection rules are loaded (--rules FILE)",
}
"""Fields another layer adds once something is loaded (see :class:`FieldSpec`): typed before
that, the error says what they wait for instead of calling them unknown."""


def canonical(name: str, extra: Mapping[str, FieldSpec]) -> str | None:
    """The field a typed name refers to (case-insensitive, aliases resolved), or None."""
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    return lowered if lowered in FIELDS or lowered in extra else None


def suggestion(word: str, candidates: list[str]) -> str | None:
    """The closest candidate to a misspelt word, if any is close enough."""
    import difflib  # here: only a mistyped query needs it

    close = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def field_names(extra: Mapping[str, FieldSpec]) -> list[str]:
    return [*FIELDS, *extra, *ALIASES]
