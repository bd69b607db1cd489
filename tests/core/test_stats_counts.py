"""Counts over a log larger than one counting chunk are the counts over all its rows."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from kaudit_tui.core import stats
from kaudit_tui.core.stats import field_counts
from tests.bench.generate import events
from tests.conftest import index_files


@pytest.mark.parametrize("chunk", [1, 7, 1000, 1 << 18])
def test_chunked_counts_equal_whole_counts(tmp_path, monkeypatch, chunk: int) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(line + b"\n" for line in events(3000)))
    store = index_files(path)
    monkeypatch.setattr(stats, "_CHUNK", chunk)
    every = np.arange(store.first_id, store.next_id)
    some = every[::3]
    for rows in (every, some):
        rowed = [store.row(int(row)) for row in rows]
        for field, key in (("user", "user"), ("verb", "verb"), ("code", "code"), ("name", "name")):
            expected = Counter(row[key] for row in rowed)
            top = sorted(expected.items(), key=lambda pair: (-pair[1], str(pair[0])))[:10]
            assert field_counts(store, rows, field, 10) == top, (field, chunk)
