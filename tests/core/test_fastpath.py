"""Whole batches of plain JSON lines (fastpath.py) index exactly what the per-line path indexes.

The batch path is taken only when every line of a batch is a compact event; otherwise the batch
goes line by line as before. Either way the store must come out the same, row by row and code
by code, down to the order the interning tables learned their values in, and so must
``--stats``. The logs here mix valid events with the lines that must send a batch back.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaudit_tui.core import fastpath
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import COLUMNS, EventStore
from kaudit_tui.headless.stats import print_stats
from tests.bench.generate import write as write_generated
from tests.conftest import index_files
from tests.core.test_ingest_paths import events
from tests.events import event_line

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"

MALFORMED = st.sampled_from(
    [
        b"",  # blank
        b"   ",  # spaces only
        b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a"',  # truncated
        b'{"kind":"Event","apiVersion":"audit.k8s.io/v1"} {"kind":"Event",'
        b'"apiVersion":"audit.k8s.io/v1"}',  # two values on a line
        b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","objectRef":',  # a value going on ...
        b'{"resource":"pods"}}',  # ... on the next line
        b' {"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get"}',  # leading space
        b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get"}\r',  # CRLF
        b'2026-11-26T10:00:01.123456789Z {"kind":"Event","apiVersion":"audit.k8s.io/v1"}',
        b'{"kind":"Pod","apiVersion":"v1"}',
        b"not json at all",
        b"[1, 2]",
        b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"\xff"}',  # invalid UTF-8
    ]
)
lines = st.lists(
    st.one_of(events().map(orjson.dumps), events().map(orjson.dumps), MALFORMED),
    min_size=1,
    max_size=12,
)


def _snapshot(store: EventStore) -> dict:
    """Everything the store holds, codes and the order values were learned in included."""
    return {
        "columns": {name: store.column(name).tolist() for name in COLUMNS},
        "who": list(store.who.shapes.values),
        "what": list(store.what.shapes.values),
        "names": list(store.names.values),
        "uris": list(store.uris.values),
        "other_ids": list(store.other_ids.values),
        "skips": (dict(store.skips.counts), store.skips.examples, store.skips.lines),
        "rows": [store.row(row) for row in range(store.first_id, store.next_id)],
    }


def _stats(store: EventStore) -> tuple[bytes, bytes]:
    """``--stats`` and ``--stats --json`` over every row."""
    rows = np.arange(store.first_id, store.next_id, dtype=np.int64)
    outputs = []
    for as_json in (False, True):
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        print_stats(store, rows, top=10, as_json=as_json, stream=out)
        out.flush()
        outputs.append(out.buffer.getvalue())
    return outputs[0], outputs[1]


def _both(monkeypatch: pytest.MonkeyPatch, *paths: Path, chunk: int = 1 << 16):
    stores = []
    for enabled in (True, False):
        monkeypatch.setattr(fastpath, "ENABLED", enabled)
        stores.append(index_files(*paths, chunk=chunk))
    return stores


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=lines, chunk=st.sampled_from([64, 300, 1 << 16]))
def test_batches_index_what_lines_index(log: list[bytes], chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        path = Path(tmp) / "audit.log"
        path.write_bytes(b"".join(line + b"\n" for line in log))
        batched, by_line = _both(monkeypatch, path, chunk=chunk)
        assert _snapshot(batched) == _snapshot(by_line)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir() if p.name != "SOURCES.md"))
def test_sample_logs_index_and_count_the_same(name: str, monkeypatch) -> None:
    batched, by_line = _both(monkeypatch, DATA / name)
    assert _snapshot(batched) == _snapshot(by_line)
    assert _stats(batched) == _stats(by_line)


def test_a_generated_log_indexes_and_counts_the_same(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "audit.log"
    write_generated(3_000, str(path))
    batched, by_line = _both(monkeypatch, path)
    assert len(batched) == 3_000
    assert _snapshot(batched) == _snapshot(by_line)
    assert _stats(batched) == _stats(by_line)


def _feed(data: bytes, tmp_path: Path) -> tuple[EventStore, range | None]:
    path = tmp_path / "audit.log"
    path.write_bytes(data)
    store = EventStore()
    return store, fastpath.index_lines(store, {}, store.segment_id(FileReader(str(path))), 0, data)


def test_plain_lines_take_the_batch_path(tmp_path: Path) -> None:
    data = b"".join(event_line(audit_id=f"id-{i}") for i in range(5))
    store, rows = _feed(data, tmp_path)
    assert rows == range(0, 5)
    assert [store.row(row)["id"] for row in rows] == [f"id-{i}" for i in range(5)]
    assert [store.event_json(row) for row in rows] == data.splitlines()


@pytest.mark.parametrize(
    "odd",
    [b"", b"  ", b'{"kind":"Event","apiVersion":"audit.k8s.io/v1"} {"kind":"Event",'
     b'"apiVersion":"audit.k8s.io/v1"}', b'{"kind":"Pod","apiVersion":"v1"}', b"{"],
)  # fmt: skip
def test_an_odd_line_sends_the_batch_back_untouched(odd: bytes, tmp_path: Path) -> None:
    line = event_line()
    store, rows = _feed(line + odd + b"\n" + line, tmp_path)
    assert rows is None
    assert len(store) == 0 and len(store.names) == 1 and len(store.who) == 1


def test_values_that_line_up_with_the_wrong_lines_send_the_batch_back(tmp_path: Path) -> None:
    # One event spread over two lines, then a line of two events: as many values as lines.
    spread = (b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","objectRef":\n'
              b'{"resource":"pods"}}\n')  # fmt: skip
    two = event_line().rstrip(b"\n") + event_line()
    store, rows = _feed(spread + two, tmp_path)
    assert rows is None
    store = index_files(tmp_path / "audit.log")
    assert len(store) == 0 and sum(store.skips.counts.values()) == 3
