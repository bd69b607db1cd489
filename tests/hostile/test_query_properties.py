"""Generated query text through ``parse_query`` and ``Query.filter`` over real, hostile logs.

Whatever is typed (or pasted from an event), the parser either gives a query or a
``QueryError`` that points inside the text with a message safe to show; a query that parses
filters without raising, and filtering new rows alone agrees with filtering everything.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaudit_tui.core.query import FIELDS, Or, QueryError, parse_query
from kaudit_tui.core.query.fields import ALIASES
from kaudit_tui.core.store import EventStore
from kaudit_tui.ui.widgets.query_text import field_term
from tests.conftest import LOGS, index_files
from tests.events import audit_event
from tests.hostile.corpus import CORPUS, is_terminal_safe
from tests.hostile.indexing import indexed
from tests.hostile.strategies import encode, events, hostile_text

VALUES = (
    "alice", "system:serviceaccount:*", "*", "\\*", "a\\,b", '""', "4xx", ">=400", "<300", "none",
    "0", "999", "1000", "²", "\u0663", ">500ms", "<=2s", ">1e999ms", ">99999999999999999999999d",
    "<-5s", "15m", "2026-11-26", "2026-11-26T10:00:00Z", "0000-01-01", "9999-12-31T23:59:59+23:59",
    "10.0.0.0/8", "10.0.*", "::1", "fe80::/300", "pods/exec", "pods/*", "pods/", "/x", "a/b/c",
    "allow", "forbid", "requestreceived", "metadatax",
)  # fmt: skip
REGEXES = ("(a", "a{99999}", "[", "\\", ".*", "(?P<x>a)(?P=x)", "(?i)ADMIN", "\\x1b\\[", "\u202e")


@st.composite
def terms(draw: st.DrawFn) -> str:
    negation = draw(st.sampled_from(["", "-"]))
    kind = draw(st.sampled_from(["field", "quoted", "regex", "word"]))
    value = draw(st.sampled_from(VALUES) | hostile_text)
    if kind == "field":
        name = draw(st.sampled_from([*FIELDS, *ALIASES, "USER", "Ns", "bogus", "rule"]))
        more = draw(st.lists(st.sampled_from(VALUES) | hostile_text, max_size=2))
        return f"{negation}{name}:{','.join([value, *more])}"
    if kind == "quoted":
        name = draw(st.sampled_from([*FIELDS, ""]))
        return f'{negation}{name}{":" if name else ""}"{value}"'
    if kind == "regex":
        return f"{negation}/{draw(st.sampled_from(REGEXES) | hostile_text)}/"
    return f"{negation}{value}"


INSERTIONS = ('"', "\\", ",", ":", "/", "-", " ", "\ud800")


def _mutate(text: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(text)))
    if data.draw(st.booleans()):
        return text[:at]
    return text[:at] + data.draw(st.sampled_from(INSERTIONS)) + text[at:]


queries = st.one_of(
    st.lists(terms(), max_size=4).map(" ".join),
    st.builds(_mutate, st.lists(terms(), min_size=1, max_size=3).map(" ".join), st.data()),
    hostile_text,
    st.text(st.characters() | st.just("\udc80"), max_size=30),
)


@pytest.fixture(scope="module")
def store() -> Iterator[EventStore]:
    """Real sample logs plus the hostile corpus, indexed from their files."""
    yield index_files(
        LOGS / "falco-k8s-audit-trace-files.jsonl",
        LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log",
        CORPUS / "events.jsonl",
        CORPUS / "legacy.log",
    )


@given(queries)
def test_query_text_parses_or_fails_with_a_column(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as error:
        assert 0 <= error.column <= len(text)
        assert error.length >= 1
        assert is_terminal_safe(str(error)), str(error)


@given(text=queries, data=st.data())
def test_a_query_that_parses_filters_new_rows_as_it_filters_all(
    store: EventStore, text: str, data: st.DataObject
) -> None:
    try:
        query = parse_query(text)
    except QueryError:
        return
    everything = query.filter(store)
    assert np.all(np.diff(everything) > 0)
    if everything.size:
        assert store.first_id <= everything[0] <= everything[-1] < store.next_id
    ids = np.arange(store.first_id, store.next_id)
    chosen = np.sort(data.draw(st.lists(st.sampled_from(ids.tolist()), unique=True, max_size=40)))
    some = query.filter(store, np.asarray(chosen, dtype=np.int64))
    assert some.tolist() == np.intersect1d(everything, chosen).tolist()


@given(terms())
def test_a_negated_term_selects_exactly_the_other_rows(store: EventStore, term: str) -> None:
    positive = term.removeprefix("-")
    if positive.startswith("-"):
        return  # one leading "-" negates: "--x" is "not the text -x", not "x"
    try:
        query = parse_query(positive)
        excluded = parse_query("-" + positive).filter(store)
    except QueryError:
        return
    if len(query.terms) != 1:
        return  # the value held a space: several terms, each negated alone
    matched = query.filter(store)
    assert np.intersect1d(matched, excluded).size == 0
    assert matched.size + excluded.size == len(store)


BASE_EVENT = audit_event(
    level=None,
    audit_id="a",
    uri="/api",
    user=None,
    ips=None,
    agent="kubectl",
    object_ref=False,
    code=None,
    received=None,
    stage_time=None,
)
FILTERABLE = {
    "user": ("user", "username"),
    "verb": ("verb",),
    "uri": ("requestURI",),
    "ua": ("userAgent",),
    "name": ("objectRef", "name"),
    "ns": ("objectRef", "namespace"),
}


@given(st.sampled_from(sorted(FILTERABLE)), hostile_text, st.booleans())
def test_filter_by_this_value_finds_its_event(field: str, value: str, exclude: bool) -> None:
    """The facet and "filter by this" action: the term it writes is printable, and matches."""
    event = {**BASE_EVENT, "user": {"username": "u"}, "objectRef": {"resource": "pods"}}
    *parents, key = FILTERABLE[field]
    target = event
    for parent in parents:
        target = target[parent]
    target[key] = value
    term = field_term(field, value, exclude)
    assert is_terminal_safe(term), term
    with indexed(encode(event) + b"\n") as result:
        assert len(result.store) == 1
        matched = parse_query(term).filter(result.store).tolist()
    assert matched == ([] if exclude else [0])


def _value_at(event: dict, path: tuple[str, ...]) -> str | None:
    value: object = event
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


@st.composite
def operands(draw: st.DrawFn, generated: list[dict]) -> str:
    """A term that often matches some of ``generated``: one of their values, or any term."""
    event = draw(st.sampled_from(generated))
    field = draw(st.sampled_from(sorted(FILTERABLE)))
    value = _value_at(event, FILTERABLE[field])
    kind = draw(st.sampled_from(["value", "code", "term"]))
    if kind == "value" and value is not None:
        return field_term(field, value, exclude=draw(st.booleans()))
    if kind == "code":
        return f"code:{event['responseStatus']['code'] // 100}xx"
    return draw(terms())


@given(st.lists(events(), min_size=1, max_size=8), st.data())
def test_or_not_and_groups_are_set_operations_on_rows(
    generated: list[dict], data: st.DataObject
) -> None:
    """On generated events: ``A OR B`` is the union of their rows, ``NOT A`` the complement,
    ``(A B)`` the intersection, whatever A and B are."""
    a = data.draw(operands(generated), label="A")
    b = data.draw(operands(generated), label="B")
    with indexed(b"".join(encode(event) + b"\n" for event in generated)) as result:
        store = result.store

        def rows(text: str) -> set[int]:
            return set(parse_query(text).filter(store).tolist())

        try:
            rows_a, rows_b = rows(a), rows(b)
        except QueryError:
            return
        plain = [parse_query(x) for x in (a, b)]
        if any(query.node is None for query in plain):
            return  # blank: "A OR " is missing a term
        everything = rows("")
        assert rows(f"{a} OR {b}") == rows_a | rows_b
        assert rows(f"NOT ({a})") == everything - rows_a
        assert rows(f"-({a})") == everything - rows_a
        assert rows(f"({a}) ({b})") == rows_a & rows_b
        assert rows(f"NOT ({a} OR {b})") == everything - (rows_a | rows_b)
        if not any(isinstance(query.node, Or) for query in plain):
            assert rows(f"({a} {b})") == rows_a & rows_b  # a group of terms: the terms ANDed
        if len(plain[0].terms) == 1:
            assert rows(f"NOT {a}") == everything - rows_a
