"""The view's row buffer: appends, snapshots that stay valid, trimming after eviction."""

from __future__ import annotations

import numpy as np

from kaudit_tui.core.rowbuffer import RowBuffer


def test_extend_many_times_keeps_every_row_in_order() -> None:
    buffer = RowBuffer()
    expected = []
    for start in range(0, 50_000, 997):
        rows = np.arange(start, start + 997, 3)
        buffer.extend(rows)
        expected.extend(rows.tolist())
    assert buffer.rows.tolist() == expected
    assert len(buffer) == len(expected)


def test_a_snapshot_does_not_change_when_rows_are_appended() -> None:
    buffer = RowBuffer(np.array([1, 2, 3]))
    snapshot = buffer.rows
    buffer.extend(np.arange(4, 5000))
    assert snapshot.tolist() == [1, 2, 3]
    assert not snapshot.flags.writeable


def test_trim_before_drops_evicted_rows() -> None:
    buffer = RowBuffer(np.array([5, 7, 9, 11]))
    assert buffer.trim_before(8) == 2
    assert buffer.rows.tolist() == [9, 11]
    buffer.extend(np.array([12]))
    assert buffer.rows.tolist() == [9, 11, 12]
