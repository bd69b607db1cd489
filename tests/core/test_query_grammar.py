"""OR, NOT and parentheses: precedence, the shape of the tree, and errors at their column."""

from __future__ import annotations

import pytest

from kaudit_tui.core.query import And, FieldTerm, Node, Not, Or, QueryError, TextTerm, parse_query


def shape(node: Node | None) -> str:
    """A compact rendering of a query tree: ``OR(AND(a, b), -c)``."""
    if node is None:
        return "ALL"
    if isinstance(node, And | Or):
        name = "AND" if isinstance(node, And) else "OR"
        return f"{name}({', '.join(shape(child) for child in node.children)})"
    if isinstance(node, Not):
        return f"NOT({shape(node.child)})"
    sign = "-" if node.negated else ""
    if isinstance(node, FieldTerm):
        return f"{sign}{node.field}:{','.join(str(v) for v in node.values)}"
    if isinstance(node, TextTerm):
        return f"{sign}{'*'.join(node.parts)}"
    return f"{sign}/{node.pattern.pattern.decode()}/"


SHAPES = [
    ("", "ALL"),
    ("a", "a"),
    ("a b", "AND(a, b)"),
    ("a OR b", "OR(a, b)"),
    # OR binds looser than the implicit AND
    ("a b OR c", "OR(AND(a, b), c)"),
    ("a OR b c", "OR(a, AND(b, c))"),
    ("a OR b OR c d", "OR(a, b, AND(c, d))"),
    ("(a OR b) c", "AND(OR(a, b), c)"),
    ("a (b OR c) d", "AND(a, OR(b, c), d)"),
    # groups of terms are the terms themselves, nested groups flatten
    ("(a b)", "AND(a, b)"),
    ("(a b) c", "AND(a, b, c)"),
    ("((a))", "a"),
    ("(a OR (b OR c))", "OR(a, b, c)"),
    # NOT is '-': on a term it flips the term, on a group it negates the group
    ("NOT a", "-a"),
    ("NOT -a", "a"),
    ("NOT NOT a", "a"),
    ("-(a)", "-a"),
    ("NOT (a b)", "NOT(AND(a, b))"),
    ("-(a OR b) c", "AND(NOT(OR(a, b)), c)"),
    ("NOT a OR b", "OR(-a, b)"),
    ("NOT(a OR b)", "NOT(OR(a, b))"),
    ("NOT (NOT (a b))", "AND(a, b)"),
    # operators are capital words of their own; anything else is text
    ("or", "or"),
    ("a or b", "AND(a, or, b)"),
    ('"OR"', "OR"),
    ('a "OR" b', "AND(a, OR, b)"),
    ("-OR", "-OR"),
    ("ORACLE NOTE", "AND(ORACLE, NOTE)"),
    ("NOT-a", "NOT-a"),
    ("user:OR", "user:or"),
    # ')' ends a word, a value, a quoted text and a regex
    ("(verb:get,list)", "verb:get,list"),
    ('("a b" /x/)', "AND(a b, /x/)"),
    ("(a OR /b\\)c/)", "OR(a, /b\\)c/)"),
    ('"x(y)" name:"a(b)"', "AND(x(y), name:a(b))"),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES, ids=[s[0] or "empty" for s in SHAPES])
def test_query_tree(text: str, expected: str) -> None:
    assert shape(parse_query(text).node) == expected


def test_terms_are_every_term_in_text_order() -> None:
    text = "(user:alice OR -verb:get) NOT (ns:a b) /re/"
    query = parse_query(text)
    assert [text[t.column : t.end] for t in query.terms] == [
        "user:alice", "-verb:get", "ns:a", "b", "/re/"
    ]  # fmt: skip
    assert query.fields == {"user", "verb", "ns"}
    assert query.has_text
    assert not parse_query("verb:get OR user:x").has_text
    assert parse_query("").terms == ()


def test_not_before_a_term_is_the_dash_and_keeps_the_fast_path() -> None:
    """``NOT a`` flips the term itself: a conjunction of terms stays one And of terms."""
    node = parse_query("verb:get NOT user:alice").node
    assert isinstance(node, And)
    assert [type(c) for c in node.children] == [FieldTerm, FieldTerm]
    assert shape(node) == shape(parse_query("verb:get -user:alice").node)


ERRORS = [
    # parentheses
    ("(verb:get", 1, "unclosed '(': expected a ')' to close it"),
    ("a ((b) c", 3, "unclosed '(': expected a ')' to close it"),
    ("a (", 3, "unclosed '(': expected a query and a ')' after it"),
    ("verb:get)", 9, "unbalanced ')': there is no '(' before it to close"),
    ("(a) b)", 6, "unbalanced ')': there is no '(' before it to close"),
    (") a", 1, "unbalanced ')': there is no '(' before it to close"),
    ("()", 1, "empty parentheses: expected a query between '(' and ')'"),
    ("a ( ) b", 3, "empty parentheses: expected a query between '(' and ')'"),
    ("foo(bar)", 4, "'(' inside a word: a group starts after a space (to search for a "
     'parenthesis, put the text in "quotes")'),
    ("user:(a)", 6, "'(' inside a word: a group starts after a space (to search for a "
     'parenthesis, put the text in "quotes")'),
    # OR needs a term on both sides
    ("OR a", 1, "expected a term before 'OR'"),
    ("a OR", 3, "expected a term after 'OR'"),
    ("a OR OR b", 3, "expected a term after 'OR'"),
    ("OR", 1, "expected a term before 'OR'"),
    ("(OR a)", 2, "expected a term before 'OR'"),
    ("(a OR) b", 4, "expected a term after 'OR'"),
    # NOT and '-' need something to negate
    ("NOT", 1, "expected a term after 'NOT'"),
    ("a NOT", 3, "expected a term after 'NOT'"),
    ("NOT OR a", 1, "expected a term after 'NOT'"),
    ("(a NOT)", 4, "expected a term after 'NOT'"),
    ("(a -)", 4, "expected a term after '-'"),
    # a mistake inside a group is reported as anywhere else
    ("(verb:get OR usr:x)", 14, "unknown field 'usr' (did you mean 'user'?)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "column", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_names_column_and_expectation(text: str, column: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert (caught.value.column + 1, caught.value.message) == (column, message)


@pytest.mark.parametrize(
    ("text", "span"),
    [("a OR", "OR"), ("NOT", "NOT"), ("a ( ) b", "( )"), ("(a", "("), ("a)", ")")],
)
def test_error_span_covers_the_operator(text: str, span: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert text[error.column : error.column + error.length] == span


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deepest = "(" * 50 + "a" + ")" * 50
    assert shape(parse_query(deepest).node) == "a"
    for text, column in [("(" * 51 + "a" + ")" * 51, 51), ("NOT " * 60 + "a", 201),
                         ("(" * 5000, 51), ("-(" * 30 + "a" + ")" * 30, 51)]:  # fmt: skip
        with pytest.raises(QueryError, match="nested too deeply") as caught:
            parse_query(text)
        assert caught.value.column + 1 == column
