"""Facets and the histogram edit the query text; the result must parse and mean what it says."""

from __future__ import annotations

import pytest

from kaudit_tui.ui.widgets.query_text import quote_value, terms, with_fields_replaced, with_term


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("alice", "alice"),
        ("system:serviceaccount:kube-system:x", "system:serviceaccount:kube-system:x"),
        ("", '""'),
        ("two words", '"two words"'),
        ("a,b*c", "a\\,b\\*c"),
        ('say "hi"', '"say \\"hi\\""'),
        ("-dash", '"-dash"'),
    ],
)
def test_quote_value(value: str, quoted: str) -> None:
    assert quote_value(value) == quoted


def test_with_term_appends_and_does_not_duplicate() -> None:
    query = with_term("code:>=400", "user", "alice")
    assert query == "code:>=400 user:alice"
    assert with_term(query, "user", "alice") == query


def test_excluding_replaces_the_inclusion() -> None:
    query = with_term("user:alice verb:get", "user", "alice", exclude=True)
    assert query == "verb:get -user:alice"
    assert with_term(query, "user", "alice") == "verb:get user:alice"


def test_terms_respect_quotes() -> None:
    assert terms('ns:"a b" user:x  "free text"') == ['ns:"a b"', "user:x", '"free text"']


def test_time_bounds_are_replaced_not_stacked() -> None:
    query = with_fields_replaced("verb:delete since:1h", {"since": "A", "until": "B"})
    assert query == "verb:delete since:A until:B"


def test_a_query_with_or_is_grouped_before_a_term_is_added() -> None:
    assert with_term("verb:get OR verb:list", "ns", "x") == "(verb:get OR verb:list) ns:x"
    query = "(verb:get OR verb:list) NOT user:bob -(ns:a ns:b) user:bob"
    assert terms(query) == ["(verb:get OR verb:list)", "NOT user:bob", "-(ns:a ns:b)", "user:bob"]
    assert with_term(query, "user", "bob", exclude=True) == (
        "(verb:get OR verb:list) NOT user:bob -(ns:a ns:b) -user:bob"
    )
    assert with_fields_replaced("since:1h OR verb:get", {"since": "A"}) == (
        "(since:1h OR verb:get) since:A"
    )
    assert with_fields_replaced("(since:1h b) since:2h", {"since": "A"}) == "(since:1h b) since:A"


def test_values_with_parentheses_are_quoted() -> None:
    assert quote_value("kubectl (linux)") == '"kubectl (linux)"'
    assert quote_value("f(x)") == '"f(x)"'
