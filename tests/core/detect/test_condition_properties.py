"""Properties of the condition language over generated events and conditions: it agrees with a
plain reading of Falco's semantics, De Morgan's laws hold, and ``in``/``intersects`` on a
multi-valued field mean "every value" / "some value"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaudit_tui.core.detect import Context, compile_condition, parse_condition
from kaudit_tui.core.detect.condition import ConditionError, Resolver, _c_fnmatch, glob_regex
from tests.events import audit_event

WORDS = ["get", "list", "create", "dev", "ops", "a b"]


def _no_macros(name: str, column: int):
    raise ConditionError(f"undefined macro {name!r}", column)


RESOLVER = Resolver(_no_macros, lambda values, quoted: list(values))


def evaluate(condition: str, event: dict) -> bool:
    return compile_condition(parse_condition(condition), RESOLVER)(Context(event))


@st.composite
def events(draw) -> dict:
    groups = draw(st.none() | st.lists(st.sampled_from(WORDS), max_size=3))
    verb = draw(st.none() | st.sampled_from(WORDS))
    event = audit_event(verb=verb, groups=groups or ())
    if groups is None:
        event["user"].pop("groups")
    return event


def quoted(word: str) -> str:
    return f'"{word}"'


@st.composite
def atoms(draw) -> tuple[str, object]:
    """A check as text, and how to evaluate it on an event (by Falco's rules)."""
    words = draw(st.lists(st.sampled_from(WORDS), max_size=3))
    listed = "(" + ", ".join(map(quoted, words)) + ")"
    kind = draw(st.integers(0, 6))

    def verb(event):
        return event.get("verb")

    def groups(event):
        return (event.get("user") or {}).get("groups") or None

    word = draw(st.sampled_from(WORDS))
    if kind == 0:
        return f"ka.verb = {quoted(word)}", lambda e: verb(e) == word
    if kind == 1:
        return f"ka.verb != {quoted(word)}", lambda e: verb(e) is not None and verb(e) != word
    if kind == 2:
        return f"ka.verb in {listed}", lambda e: verb(e) is not None and verb(e) in words
    if kind == 3:
        return (
            f"ka.user.groups in {listed}",
            lambda e: groups(e) is not None and all(g in words for g in groups(e)),
        )
    if kind == 4:
        return (
            f"ka.user.groups intersects {listed}",
            lambda e: groups(e) is not None and any(g in words for g in groups(e)),
        )
    if kind == 5:
        return "ka.verb exists", lambda e: verb(e) is not None
    return "ka.user.groups exists", lambda e: groups(e) is not None


def trees(depth: int = 3):
    """Conditions as (text, reference evaluator), nested with and/or/not and parentheses."""
    if depth == 0:
        return atoms()
    smaller = trees(depth - 1)

    def combine(pair):
        (left, lf), (right, rf) = pair[0], pair[1]
        op = pair[2]
        if op == "and":
            return f"({left}) and ({right})", lambda e: lf(e) and rf(e)
        if op == "or":
            return f"({left}) or ({right})", lambda e: lf(e) or rf(e)
        return f"not ({left})", lambda e: not lf(e)

    return atoms() | st.tuples(smaller, smaller, st.sampled_from(["and", "or", "not"])).map(combine)


@settings(max_examples=300, deadline=None)
@given(trees(), events())
def test_agrees_with_a_plain_reading_of_the_semantics(tree, event) -> None:
    text, reference = tree
    assert evaluate(text, event) == reference(event)


@settings(max_examples=200, deadline=None)
@given(trees(2), trees(2), events())
def test_de_morgan(a, b, event) -> None:
    (left, _), (right, _) = a, b
    assert evaluate(f"not (({left}) and ({right}))", event) == evaluate(
        f"(not ({left})) or (not ({right}))", event
    )
    assert evaluate(f"not (({left}) or ({right}))", event) == evaluate(
        f"(not ({left})) and (not ({right}))", event
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4), st.lists(st.sampled_from(WORDS)))
def test_in_means_every_value_and_intersects_some(values, items) -> None:
    event = audit_event(groups=values)
    listed = "(" + ", ".join(map(quoted, items)) + ")"
    assert evaluate(f"ka.user.groups in {listed}", event) == all(v in items for v in values)
    assert evaluate(f"ka.user.groups intersects {listed}", event) == any(v in items for v in values)
    # "in" is "no value outside the set": the same as the negation of intersecting the rest.
    rest = [w for w in WORDS if w not in items]
    if rest:
        outside = "(" + ", ".join(map(quoted, rest)) + ")"
        assert evaluate(f"ka.user.groups in {listed}", event) == evaluate(
            f"not ka.user.groups intersects {outside}", event
        )


FNMATCH = _c_fnmatch()
WILDCARDS = st.text(alphabet="ab/*?\\", max_size=8)


@pytest.mark.skipif(FNMATCH is None, reason="no C library to compare with")
@settings(max_examples=500, deadline=None)
@given(WILDCARDS, WILDCARDS)
def test_the_glob_fallback_agrees_with_fnmatch(pattern: str, value: str) -> None:
    """Where there is no C library, globs are translated: without bracket expressions (whose
    corner cases differ between C libraries) the translation matches as fnmatch(3) does."""
    assert FNMATCH is not None
    expected = FNMATCH(pattern.encode(), value.encode(), 0) == 0
    assert (glob_regex(pattern).fullmatch(value) is not None) == expected
