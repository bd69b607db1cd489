"""Large value tables are matched a whole list at a time, with exactly the per-value answers.

A ``uri:`` or ``name:`` term over a big log tests hundreds of thousands of distinct values; they
are tested with C-level string functions over the whole list, which must agree with the
per-value glob on every value, whatever the case, wildcards and overlaps.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kaudit_tui.core.query import parse_query
from kaudit_tui.core.query.values import AnyOf, Glob
from tests.conftest import index_files
from tests.events import event_line

_TEXT = st.text(alphabet="abAB/-=?*İßı\n", max_size=12)
_GLOBS = st.lists(st.lists(st.text(alphabet="abAB/-=İß", max_size=3), min_size=1, max_size=4),
                  min_size=1, max_size=3)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(values=st.lists(_TEXT, max_size=80), globs=_GLOBS)
def test_whole_list_answers_are_the_per_value_answers(
    values: list[str], globs: list[list[str]]
) -> None:
    match = AnyOf(Glob.of(parts) for parts in globs)
    assert match.mask_of(values).tolist() == [match(value) for value in values]


def test_a_uri_term_over_many_distinct_uris_finds_the_same_rows(write_log) -> None:
    uris = [f"/api/v1/namespaces/ns-{i % 7}/pods/p{i}?resourceVersion={i}&watch={i % 2 == 0}"
            for i in range(3000)]  # fmt: skip
    lines = [event_line(verb="watch", audit_id=f"id-{i}", uri=uri) for i, uri in enumerate(uris)]
    store = index_files(write_log(b"".join(lines)))
    for pattern in ("*watch=true*", "/api/v1/namespaces/NS-3/*", "*ns-1*p1?*", "*=1*1*"):
        rows = parse_query(f"uri:{pattern}").filter(store, range(len(store)))
        # Only ``*`` is a wildcard in the query language (``?`` is itself).
        regex = re.compile(".*".join(map(re.escape, pattern.lower().split("*"))), re.S)
        expected = [i for i, uri in enumerate(uris) if regex.fullmatch(uri.lower())]
        assert list(rows) == expected, pattern
