"""Query syntax errors: each names the column of the mistake and what was expected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaudit_tui.core.query import FieldSpec, QueryError, parse_query

ERRORS = [
    # unknown fields, with the closest name suggested
    ("usr:alice", 1, "unknown field 'usr' (did you mean 'user'?)"),
    ("verb:get -nss:kube-system", 11, "unknown field 'nss' (did you mean 'ns'?)"),
    ("code:4xx Latncy:>1s", 10, "unknown field 'Latncy' (did you mean 'latency'?)"),
    ("namespce:shop", 1, "unknown field 'namespce' (did you mean 'namespace'?)"),
    ("foo:bar", 1, "unknown field 'foo': expected one of user, as, who, group, verb, resource, "
     "sub, ns, name, apigroup, stage, level, code, ip, ua, uri, id, decision, latency, since, "
     "until, source, cluster (to search for text with ':', put it in quotes)"),
    # quotes and regexes left open, empty terms
    ('user:"alice', 6, 'unclosed quote: expected a closing "'),
    ('verb:get "connection refused', 10, 'unclosed quote: expected a closing "'),
    ("/abc", 1, "unclosed regex: expected a closing '/' followed by a space or the end"),
    ("ns:a /x/y", 6, "unclosed regex: expected a closing '/' followed by a space or the end"),
    ("verb:get /a(b/", 12, "bad regex: missing ), unterminated subpattern"),
    ("-//", 2, "empty regex: expected a pattern between the slashes"),
    ('""', 1, "empty text: expected something to search for"),
    ("- verb:get", 1, "expected a term after '-'"),
    ("user:alice  -", 13, "expected a term after '-'"),
    (":foo", 1, "expected a field name before ':'"),
    ('"abc"def', 6, 'expected a space after the closing quote (write \\" for a quote inside '
     "quotes)"),
    ('user:"a"b', 9, "expected ',' or a space after the closing quote"),
    # empty values
    ("user:", 6, "empty value: expected a value after ':'"),
    ("verb:get, ns:x", 10, "empty value: expected a value after ','"),
    ("verb:,get", 6, "empty value: expected a value after ':'"),
    ("verb:get,,list", 10, "empty value: expected a value after ','"),
    # numbers, durations, times
    ("code:4x", 6, "bad code '4x': expected a status code like 403, a class like 4xx, >=400, "
     "<300 or none"),
    ("code:200,1000", 10, "bad code '1000': expected a status code like 403, a class like 4xx, "
     ">=400, <300 or none"),
    ("code:>=abc", 6, "bad code '>=abc': expected a status code like 403, a class like 4xx, "
     ">=400, <300 or none"),
    ("latency:500ms", 9, "bad latency '500ms': expected a comparison with a duration, like >500ms "
     "or <=2s"),
    ("latency:>5parsecs", 9, "bad latency '>5parsecs': expected a comparison with a duration, "
     "like >500ms or <=2s"),
    ("since:yesterday", 7, "bad since 'yesterday': expected an RFC 3339 time like "
     "2026-11-26T10:00:00Z, a date, or a duration like 15m"),
    ("until:2026-13-01", 7, "bad until '2026-13-01': expected an RFC 3339 time like "
     "2026-11-26T10:00:00Z, a date, or a duration like 15m"),
    ("since:1h,2h", 10, "'since' takes one value"),
    # values from a closed set, structured values
    ("level:metdata", 7, "unknown level 'metdata' (did you mean 'metadata'?)"),
    ("stage:done", 7, "unknown stage 'done': expected one of requestreceived, responsestarted, "
     "responsecomplete, panic"),
    ("resource:pods/exec/x", 10, "bad resource 'pods/exec/x': expected a resource, "
     "resource/subresource or resource/*"),
    ("resource:/exec", 10, "bad resource '/exec': expected a resource name before '/'"),
    ("ip:10.0.0.0/33", 4, "bad ip '10.0.0.0/33': expected an address, a pattern like 10.0.*, "
     "or a CIDR block"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "column", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_names_column_and_expectation(text: str, column: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert (error.column + 1, error.message) == (column, message)
    assert str(error) == f"column {column}: {message}"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "span"),
    [('user:"alice', '"alice'), ("code:abc", "abc"), ("usr:x", "usr"), ("latency:5", "5")],
)
def test_error_span_covers_the_culprit(text: str, span: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert text[error.column : error.column + error.length] == span


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "user:alice verb:get",
        'user:"alice smith",bob*',
        "user:a\\*b",
        "group:system:masters",
        "user:system:serviceaccount:kube-system:*",
        "http\\://example.com",
        '"http://example.com"',
        "10.0.0.1:443",
        "/a/b/ /\\/x/",
        "-refused",
        "ns:\"\" apigroup:''",
        "code:none,0,4XX,>500,<=299",
        "since:2026-11-26 until:2026-11-26T10:00:00.5+02:00 latency:>=1.5s",
    ],
)
def test_valid_queries_parse(text: str) -> None:
    assert parse_query(text).text == text


def test_backslash_keeps_a_literal_star_and_comma() -> None:
    (term,) = parse_query("name:a\\*b\\,c").terms
    assert term.values[0].parts == ("a*b,c",)  # type: ignore[union-attr]
    (term,) = parse_query('name:"x*y"').terms
    assert term.values[0].parts == ("x", "y")  # type: ignore[union-attr]


def test_terms_know_their_columns() -> None:
    text = 'user:alice -verb:get "two words" /re x/'
    assert [(t.column, t.end) for t in parse_query(text).terms] == [
        (0, 10), (11, 20), (21, 32), (33, 39)
    ]  # fmt: skip
    assert [text[t.column : t.end] for t in parse_query(text).terms] == [
        "user:alice", "-verb:get", '"two words"', "/re x/"
    ]  # fmt: skip


def test_extra_field_values_are_checked_by_their_parser() -> None:
    spec = FieldSpec(
        lambda store, rows: rows, lambda text: {"true": 1, "false": 0}[text], "true or false"
    )
    assert parse_query("logged:TRUE", extra_fields={"logged": spec}).fields == {"logged"}
    with pytest.raises(QueryError) as caught:
        parse_query("verb:get logged:maybe", extra_fields={"logged": spec})
    assert str(caught.value) == "column 17: bad logged 'maybe': expected true or false"
    with pytest.raises(QueryError, match="did you mean 'logged'"):
        parse_query("loged:true", extra_fields={"logged": spec})
    with pytest.raises(ValueError, match="shadow built-in fields: user"):
        parse_query("", extra_fields={"user": spec})


_PIECES = st.sampled_from(
    [" ", "-", ":", ",", '"', "/", "\\", "*", ">", ">=", "<", "(", "[", "user", "code", "latency",
     "since", "ns", "resource", "4xx", "500ms", "15m", "2026-11-26", "pods/exec", "é", "\t"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_parser_fails_only_with_query_errors_inside_the_text(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as error:
        assert 0 <= error.column <= len(text)
        assert error.message
