"""Coding a whole batch of values at once gives exactly the codes of coding them one by one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kaudit_tui.core.tables import InternTable

words = st.lists(st.sampled_from(["", "a", "b", "c", "/api/v1/pods", "é"]) | st.text(max_size=3))


@settings(max_examples=200, deadline=None)
@given(seen=words, batch=words, released=st.lists(st.integers(0, 12), max_size=4))
def test_a_batch_is_coded_as_one_value_after_another(
    seen: list[str], batch: list[str], released: list[int]
) -> None:
    one, many = InternTable(""), InternTable("")
    for table in (one, many):
        for value in seen:
            table.code(value)
        table.release(code for code in released if code < len(table))
    assert many.codes(batch) == [one.code(value) for value in batch]
    assert many.values == one.values
    assert all(many.find(value) == one.find(value) for value in [*seen, *batch])


def test_a_shape_added_while_a_reader_builds_its_codes_is_not_lost() -> None:
    # A reader thread builds the per-shape codes, the indexing thread adds a shape and clears
    # the cache, then the reader stores what it built: the interleaving, step by step.
    from kaudit_tui.core.decode import ClientShape, normalize_who
    from kaudit_tui.core.tables import ShapeTable

    table = ShapeTable(ClientShape, normalize_who)
    table.code(ClientShape(user="alice"))
    built_by_reader = table.field_codes("user").copy()
    bob = table.code(ClientShape(user="bob"))  # the writer: a new shape, the cache cleared
    table._arrays["user"] = built_by_reader  # the reader stores its array after that
    codes = table.field_codes("user")
    assert len(codes) == len(table)
    assert table.tables["user"].values[codes[bob]] == "bob"
