"""The compact URI table gives exactly the codes, values and reuse log of an InternTable, for
any sequence of lookups and releases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaudit_tui.core.tables import InternTable
from kaudit_tui.core.texts import CompactTexts, TextTable

pytestmark = pytest.mark.skipif(TextTable is None, reason="the extension was not built")

texts = st.one_of(
    st.sampled_from(["", "/api/v1/pods", "/api/v1/pods?watch=1", "/apis/apps/v1", "é", "\ud800"]),
    st.text(max_size=12),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("code"), texts),
        st.tuples(st.just("codes"), st.lists(texts, max_size=5)),
        st.tuples(st.just("distinct"), st.lists(texts, max_size=5, unique=True)),
        st.tuples(st.just("release"), st.lists(st.integers(-1, 12), max_size=4)),
    ),
    max_size=40,
)


def _same(compact: CompactTexts, python: InternTable[str]) -> None:
    assert len(compact) == len(python)
    assert list(compact.values) == python.values
    assert compact.values[1:] == python.values[1:]
    assert (compact.epoch, compact.next_code) == (python.epoch, python.next_code)
    for epoch in range(python.epoch + 1):
        assert compact.reused_since(epoch) == python.reused_since(epoch)
    for value in python.values:
        assert compact.get(value) == python.get(value)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_compact_table_codes_as_an_intern_table(operations: list[tuple]) -> None:
    compact, python = CompactTexts(), InternTable("")
    for operation, argument in operations:
        if operation == "code":
            assert compact.code(argument) == python.code(argument)
        elif operation == "codes":
            assert compact.codes(argument) == python.codes(argument)
        elif operation == "distinct":
            assert np.array_equal(compact.distinct_codes(argument), python.distinct_codes(argument))
        else:
            codes = [code for code in argument if code < len(python)]
            compact.release(np.array(codes, dtype=np.int64))
            python.release(codes)
        _same(compact, python)


def test_released_texts_leave_room_for_new_ones() -> None:
    # A long follow under --max-events releases URIs all the time: memory must stay flat.
    table = CompactTexts()
    held = []
    for round_ in range(60):
        codes = table.codes([f"/api/v1/namespaces/ns/pods/p-{round_}-{i}" for i in range(5000)])
        table.release(codes)
        held.append(table.nbytes)
    assert len(table) == 5001
    assert max(held[30:]) <= max(held[:30])


def test_masks_and_lookups_read_the_texts() -> None:
    table = CompactTexts()
    table.codes(["/api/v1/pods", "/apis/apps/v1/deployments", "/healthz"])
    mask = table.mask(lambda text: text.startswith("/api"))
    assert mask.tolist() == [False, True, True, False]
    table.code("/api/v1/nodes")
    assert table.extend_mask(mask, lambda text: "nodes" in text).tolist() == [
        False, True, True, False, True
    ]  # fmt: skip
    assert table.find("/healthz") == 3 and table.find("/readyz") is None
    assert table.codes_of(["/readyz", "/healthz"]) == [3]
    with pytest.raises(TypeError):
        table.code(b"/bytes")  # type: ignore[arg-type]
