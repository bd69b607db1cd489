"""The compiled line scanner indexes exactly what the Python path indexes, and leaves it every
line it cannot read with certainty.

Each test indexes the same bytes twice, with the scanner and without, in the batches the sources
deliver, and compares the stores column by column and table by table (codes included), with
the skips and line counts.
"""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaudit_tui.core import linescan
from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import COLUMNS, EventStore
from tests.bench.generate import events as generated_events
from tests.conftest import feed_in_batches
from tests.core.test_ingest_paths import events

pytestmark = pytest.mark.skipif(not linescan.AVAILABLE, reason="the scanner was not built")

LINE = orjson.dumps(
    {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": "0b6f8a3c-4d2e-4f1a-9c3b-7e5d2a1f0c9e",
        "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/prod/secrets/db?timeout=5s",
        "verb": "get",
        "user": {"username": "alice", "groups": ["dev", "system:authenticated"]},
        "sourceIPs": ["10.0.0.7"],
        "userAgent": "kubectl/v1.31.0",
        "objectRef": {"resource": "secrets", "namespace": "prod", "name": "db", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestObject": {"spec": {"replicas": 3, "ratio": 0.25, "on": True, "off": None}},
        "requestReceivedTimestamp": "2026-11-26T10:00:00.000018Z",
        "stageTimestamp": "2026-11-26T10:00:00.009562Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "cluster_name": "east"},
    }
)


def _index(data: bytes, *, compiled: bool, batch: int) -> tuple[EventStore, Ingestor]:
    store = EventStore()
    ingestor = Ingestor(store, compiled=compiled)
    reader = FileReader("/dev/null")
    try:
        feed_in_batches(ingestor, reader, data, batch)
    finally:
        reader.close()
    return store, ingestor


def assert_same_index(data: bytes, batch: int = 1 << 16) -> EventStore:
    """Index ``data`` with and without the scanner; both stores must be identical."""
    scanned, with_scanner = _index(data, compiled=True, batch=batch)
    python, without = _index(data, compiled=False, batch=batch)
    for column in COLUMNS:
        assert np.array_equal(scanned.column(column), python.column(column)), column
    for table in ("names", "uris", "other_ids"):
        assert list(getattr(scanned, table).values) == list(getattr(python, table).values), table
    for shapes in ("who", "what"):
        assert getattr(scanned, shapes).shapes.values == getattr(python, shapes).shapes.values
        assert getattr(scanned, shapes).coerced == getattr(python, shapes).coerced
    assert scanned.skips.counts == python.skips.counts
    assert scanned.skips.examples == python.skips.examples
    assert with_scanner.lines == without.lines
    return scanned


def read_by_scanner(line: bytes) -> bool:
    """Does the scanner read this line itself (rather than leave it to Python)?"""
    return linescan.parse(line + b"\n", 0, len(line) + 1).count == 1


def test_the_scanner_is_built_where_a_c_compiler_is() -> None:
    # An install on a machine with a compiler must not fall back to the slow path unnoticed.
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip("no C compiler here")
    assert linescan.AVAILABLE


def test_kube_apiserver_lines_are_read_by_the_scanner() -> None:
    assert read_by_scanner(LINE)
    store = assert_same_index(LINE + b"\n")
    row = store.row(0)
    assert (row["user"], row["verb"], row["resource"], row["name"], row["code"]) == (
        "alice", "get", "secrets", "db", 200
    )  # fmt: skip


LEFT_TO_PYTHON = {
    "an escape in a key": LINE.replace(b'"verb"', b'"ver\\u0062"'),
    "an escaped surrogate": LINE.replace(b'"db"', b'"\\ud83d\\ude00"'),
    "a field given twice": LINE.replace(b'"verb":"get"', b'"verb":"get","verb":"list"'),
    "an escape in the name": LINE.replace(b'"name":"db"', b'"name":"d\\u0062"'),
    "an exponent": LINE.replace(b'"replicas":3', b'"replicas":3e0'),
    "a fractional status code": LINE.replace(b'"code":200', b'"code":200.0'),
    "a huge status code": LINE.replace(b'"code":200', b'"code":12345678901234567890'),
    "a null objectRef": LINE.replace(
        LINE[LINE.index(b'{"resource"') : LINE.index(b',"responseStatus"')], b"null"
    ),
    "a verb not in the schema": LINE.replace(b'"get"', b'"impersonate"'),
    "v1beta1 metadata": LINE.replace(b'"level"', b'"metadata":{"creationTimestamp":null},"level"'),
    "another time layout": LINE.replace(b"00.009562Z", b"00.009562+00:00"),
    "a leap second": LINE.replace(b"10:00:00.009562Z", b"10:00:60.009562Z"),
    "February 30th": LINE.replace(b"2026-11-26T10:00:00.009562Z", b"2026-02-30T10:00:00.009562Z"),
    "an upper-case audit ID": LINE.replace(b"0b6f8a3c", b"0B6F8A3C"),
    "a line ending in CR": LINE + b"\r",
    "invalid UTF-8 in a skipped value": LINE.replace(b"ratio", b"rat\xffio"),
    "an overlong UTF-8 form": LINE.replace(b"ratio", b"rat\xc0\xafio"),
    "a control character in a string": LINE.replace(b"ratio", b"rat\x01io"),
    "a leading zero": LINE.replace(b'"replicas":3', b'"replicas":03'),
    "a trailing comma": LINE[:-1] + b",}",
    "text after the object": LINE + b" x",
    "deep nesting": LINE.replace(b'"on":true', b'"on":' + b"[" * 100 + b"]" * 100),
    "no kind": LINE.replace(b'"kind":"Event",', b""),
    "no stage time": LINE.replace(b',"stageTimestamp":"2026-11-26T10:00:00.009562Z"', b""),
}


@pytest.mark.parametrize("line", LEFT_TO_PYTHON.values(), ids=LEFT_TO_PYTHON.keys())
def test_lines_the_scanner_cannot_be_sure_of_are_left_to_python(line: bytes) -> None:
    assert not read_by_scanner(line)
    # ... and indexed (or skipped) exactly as before, among lines it reads itself
    assert_same_index(LINE + b"\n" + line + b"\n" + LINE + b"\n")


READ_ALIKE = {
    "spaces between tokens": b"  " + LINE.replace(b'":', b'" : ').replace(b',"', b' ,\t"') + b" ",
    "non-ASCII text": LINE.replace(b'"alice"', '"zoë 名前 🙂"'.encode()),
    "escapes in a raw field": LINE.replace(b'"alice"', b'"al\\"ice\\n"'),
    "escapes in a skipped value": LINE.replace(b'"ratio"', b'"ra\\u00e9tio\\t"'),
    "absent optional fields": orjson.dumps(
        {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "auditID": "0b6f8a3c-4d2e-4f1a-9c3b-7e5d2a1f0c9e",
            "requestReceivedTimestamp": "2026-11-26T10:00:00.000018Z",
            "stageTimestamp": "2026-11-26T10:00:00.009562Z",
        }
    ),
    "an empty objectRef": LINE.replace(
        LINE[LINE.index(b'{"resource"') : LINE.index(b',"responseStatus"')], b"{}"
    ),
    "a negative status code": LINE.replace(b'"code":200', b'"code":-1'),
    "the v1beta1 version": LINE.replace(b"audit.k8s.io/v1", b"audit.k8s.io/v1beta1"),
    "a user of the wrong type": LINE.replace(
        LINE[LINE.index(b'{"username"') : LINE.index(b',"sourceIPs"')], b"42"
    ),
}


@pytest.mark.parametrize("line", READ_ALIKE.values(), ids=READ_ALIKE.keys())
def test_unusual_but_valid_lines_are_read_alike(line: bytes) -> None:
    assert read_by_scanner(line)
    assert_same_index(LINE + b"\n" + line + b"\n" + line + b"\n" + LINE + b"\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), min_size=1, max_size=12), st.integers(1, 400))
def test_any_events_index_alike(batch: list[dict], size: int) -> None:
    assert_same_index(b"".join(orjson.dumps(event) + b"\n" for event in batch), batch=size)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(LINE)), st.binary(min_size=1, max_size=4)),
                min_size=1, max_size=3))  # fmt: skip
def test_mangled_lines_index_alike(edits: list[tuple[int, bytes]]) -> None:
    line = LINE
    for at, text in edits:
        line = line[:at] + text + line[at:]
    assert_same_index(LINE + b"\n" + line.replace(b"\n", b" ") + b"\n" + LINE + b"\n")


def test_a_generated_log_indexes_alike_in_threads(tmp_path: Path) -> None:
    # batches large enough that the second half of each is parsed in another thread
    data = b"".join(line + b"\n" for line in generated_events(4000))
    assert len(data) > 2 * linescan.SPLIT_MIN
    store = assert_same_index(data, batch=1 << 20)
    assert len(store) == 4000
