"""Indexing with a helper process gives exactly the rows, skips and counts of one Ingestor.

Every test starts a real helper process and feeds real files in the batches the sources
deliver; the helper's part is checked to have been used, so that a silently disabled helper
cannot make a test pass.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from kaudit_tui.core import parallel
from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.parallel import SPLIT_MIN, START_AFTER, ParallelIngestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.bench.generate import write as write_generated
from tests.core import cloudwatch_forms
from tests.events import event_line

BATCH = 1 << 20
PATIENCE = parallel._LATENCY


@pytest.fixture(autouse=True)
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wait for the helper however busy the machine is, so that it takes its part in every
    test (the app waits only while that is quicker than doing the part itself)."""
    monkeypatch.setattr(parallel, "_LATENCY", 60.0)


def _batches(data: bytes, size: int = BATCH) -> Iterator[tuple[int, bytes]]:
    """(offset, data) batches of complete lines, as the sources deliver them."""
    offset = 0
    while offset < len(data):
        end = data.rfind(b"\n", offset, offset + size) + 1
        if end <= offset:
            end = len(data)
        yield offset, data[offset:end]
        offset = end


def _index(ingestor: Ingestor | ParallelIngestor, path: Path, size: int = BATCH) -> None:
    reader = FileReader(str(path))
    for offset, data in _batches(path.read_bytes(), size):
        ingestor.feed(reader, offset, data)
    ingestor.finish(reader)


def _contents(store: EventStore) -> tuple[list[dict], dict, dict, int]:
    rows = [store.row(r) for r in range(store.first_id, store.next_id)]
    return rows, dict(store.skips.counts), store.skips.examples, store.skips.lines


def _both(path: Path, *, max_line: int | None = None, size: int = BATCH):
    options = {} if max_line is None else {"max_line": max_line}
    one, two = EventStore(), EventStore()
    alone = Ingestor(one, **options)
    shared = ParallelIngestor(two, helper=True, **options)
    assert shared.start(), "the helper process did not start"
    try:
        _index(alone, path, size)
        _index(shared, path, size)
    finally:
        shared.close()
    return (one, alone), (two, shared)


@pytest.fixture
def generated_log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    write_generated(12_000, str(path))
    return path


def test_a_large_log_is_indexed_exactly_as_by_one_process(generated_log: Path) -> None:
    (one, alone), (two, shared) = _both(generated_log)
    assert shared.helper_lines > 0, "the helper took no part"
    assert len(two) == len(one) == 12_000
    assert _contents(two) == _contents(one)
    assert shared.lines == alone.lines
    # Codes index the same values: the tables have no value twice and none missing.
    assert sorted(two.uris.values) == sorted(one.uris.values)
    assert len(two.who) == len(one.who) and len(two.what) == len(one.what)


def _mixed_log(path: Path, generated: Path) -> None:
    """Generated events with every other input form sprinkled in, many times over, so that
    some fall on either side of wherever the batches are cut."""
    events = generated.read_bytes().splitlines(keepends=True)
    pretty = orjson.dumps(
        {"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
         "items": [orjson.loads(events[0]), orjson.loads(events[1])]},
        option=orjson.OPT_INDENT_2,
    ) + b"\n"  # fmt: skip
    legacy = (
        b'2017-09-12T16:53:40.491Z AUDIT: id="5f9c8a1e-8a36-4f4f-b2e4-6a1a36d2d4fd" '
        b'stage="ResponseComplete" ip="10.0.0.1" method="get" user="admin" '
        b'groups="\\"system:masters\\"" as="<self>" asgroups="<lookup>" '
        b'namespace="default" uri="/api/v1/namespaces/default/pods" response="200"\n'
    )
    odd = [pretty, legacy, b"not an event\n", b"\n", b'{"kind":"Event","truncated\n',
           b"[pod/kube-apiserver/kube-apiserver] " + events[2], b"\x00\x01binary\n"]  # fmt: skip
    out = [b"\xef\xbb\xbf"]
    for i, line in enumerate(events):
        out.append(line)
        if i % 97 == 0:
            out.append(odd[(i // 97) % len(odd)])
    path.write_bytes(b"".join(out))


def test_every_input_form_comes_out_the_same(tmp_path: Path, generated_log: Path) -> None:
    path = tmp_path / "mixed.log"
    _mixed_log(path, generated_log)
    (one, alone), (two, shared) = _both(path, size=SPLIT_MIN + 4096)
    assert shared.helper_lines > 0
    assert one.skips.total > 50 and len(one) > 12_000  # every form was there
    assert _contents(two) == _contents(one)
    assert shared.lines == alone.lines


def test_crlf_and_overlong_lines_come_out_the_same(tmp_path: Path, generated_log: Path) -> None:
    lines = generated_log.read_bytes().splitlines(keepends=True)
    path = tmp_path / "crlf.log"
    path.write_bytes(b"".join(line[:-1] + b"\r\n" if i % 3 else line for i, line in
                              enumerate(lines)))  # fmt: skip
    (one, _), (two, shared) = _both(path, max_line=900)
    assert shared.helper_lines > 0
    assert one.skips.counts["line longer than 900 bytes"] > 0
    assert _contents(two) == _contents(one)


def test_a_helper_that_dies_changes_nothing(generated_log: Path) -> None:
    one, two = EventStore(), EventStore()
    _index(Ingestor(one), generated_log)
    shared = ParallelIngestor(two, helper=True)
    assert shared.start()
    reader = FileReader(str(generated_log))
    for number, (offset, data) in enumerate(_batches(generated_log.read_bytes())):
        if number == 3:
            assert shared.helper_lines > 0
            os.kill(shared._helper.pid, signal.SIGKILL)  # type: ignore[union-attr]
        shared.feed(reader, offset, data)
    shared.finish(reader)
    assert not shared.sharing
    assert _contents(two) == _contents(one)


def test_eviction_keeps_the_rows_the_same(generated_log: Path) -> None:
    one, two = EventStore(release_every=1000), EventStore(release_every=1000)
    alone, shared = Ingestor(one), ParallelIngestor(two, helper=True)
    assert shared.start()
    try:
        for store, ingestor in ((one, alone), (two, shared)):
            reader = FileReader(str(generated_log))
            for offset, data in _batches(generated_log.read_bytes(), SPLIT_MIN + 4096):
                ingestor.feed(reader, offset, data)
                store.evict_to(2500)
    finally:
        shared.close()
    assert shared.helper_lines > 0
    assert one.evicted == two.evicted > 0
    assert _contents(two)[0] == _contents(one)[0]


def test_small_batches_and_a_refused_helper_stay_in_this_process(generated_log: Path) -> None:
    small = ParallelIngestor(EventStore(), helper=True)
    _index(small, generated_log, size=SPLIT_MIN // 2)
    assert not small.sharing and small.helper_lines == 0
    refused = ParallelIngestor(EventStore(), helper=False)
    _index(refused, generated_log)
    assert not refused.sharing and len(refused.store) == 12_000


def _event(i: int, user: str) -> bytes:
    return event_line(
        audit_id=f"00000000-0000-4000-8000-{i:012d}",
        uri=f"/api/v1/namespaces/ns/pods/p{i}",
        user=user,
        ips=None,
        agent=None,
        namespace="ns",
        name=f"p{i}",
        code=None,
        received="2026-11-26T10:00:00.000001Z",
        stage_time="2026-11-26T10:00:00.000002Z",
        padding="x" * 600,
    )


def test_shapes_first_seen_in_a_part_done_again_here_are_known_later(tmp_path: Path) -> None:
    # The first batch is cut inside a multi-line document, so this process indexes the
    # helper's part again; the helper has meanwhile coded its new users, which a later part
    # refers to without sending them again.
    head = b"".join(_event(i, "old-user") for i in range(200))
    document = orjson.dumps(orjson.loads(_event(200, "doc-user")), option=orjson.OPT_INDENT_2)
    tail = b"".join(_event(i, f"new-user-{i % 50}") for i in range(201, 400))
    first = head + document + b"\n" + tail
    cut = first.find(b"\n", len(first) // 2) + 1
    assert len(head) < cut < len(head) + len(document), "the cut must fall in the document"
    second = b"".join(_event(i, f"new-user-{i % 50}") for i in range(400, 800))
    assert len(first) >= SPLIT_MIN and len(second) >= SPLIT_MIN
    path = tmp_path / "audit.log"
    path.write_bytes(first + second)
    one, two = EventStore(), EventStore()
    reader = FileReader(str(path))
    shared = ParallelIngestor(two, helper=True)
    assert shared.start()
    try:
        for ingestor in (Ingestor(one), shared):
            ingestor.feed(reader, 0, first)
            ingestor.feed(reader, len(first), second)
    finally:
        shared.close()
    assert shared.helper_lines > 0
    assert _contents(two) == _contents(one)
    assert {two.row(r)["user"] for r in range(len(two))} >= {"doc-user", "new-user-7"}


def test_the_helper_starts_by_itself_once_a_large_log_is_being_read(generated_log: Path) -> None:
    one, two = EventStore(), EventStore()
    _index(Ingestor(one), generated_log)
    shared = ParallelIngestor(two, helper=True)
    reader = FileReader(str(generated_log))
    fed = 0
    try:
        for offset, data in _batches(generated_log.read_bytes()):
            assert shared.sharing == (fed >= START_AFTER)
            if shared.sharing:
                assert shared.start(), "the helper started but never became ready"
            shared.feed(reader, offset, data)
            fed += len(data)
        shared.finish(reader)
    finally:
        shared.close()
    assert shared.helper_lines > 0
    assert _contents(two) == _contents(one)


def test_a_stalled_helper_does_not_hold_indexing_back(
    generated_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A helper that gets no CPU (stopped here; on a busy machine, starved) is not waited for:
    # its parts are indexed here, its late answers are dropped when they come.
    one, two = EventStore(), EventStore()
    _index(Ingestor(one), generated_log)
    shared = ParallelIngestor(two, helper=True)
    assert shared.start()
    reader = FileReader(str(generated_log))
    pid = shared.helper_pid
    assert pid is not None
    # Were indexing to wait for the stopped helper, only this would wake it (and fail the test).
    woken: list[bool] = []
    watchdog = threading.Timer(60, lambda: (woken.append(True), os.kill(pid, signal.SIGCONT)))
    watchdog.start()
    try:
        for number, (offset, data) in enumerate(_batches(generated_log.read_bytes())):
            if number == 2:
                assert shared.helper_lines > 0
                monkeypatch.setattr(parallel, "_LATENCY", PATIENCE)  # as patient as the app
                os.kill(pid, signal.SIGSTOP)
            if number == 6:
                os.kill(pid, signal.SIGCONT)
            shared.feed(reader, offset, data)
        shared.finish(reader)
        assert shared.sharing, "a slow helper is not a failed one"
    finally:
        watchdog.cancel()
        os.kill(pid, signal.SIGCONT)
        shared.close()
    assert not woken, "indexing waited for the stopped helper"
    assert _contents(two) == _contents(one)


@pytest.mark.parametrize("form", ["tail-detailed-color", "tail-json", "filter-log-events"])
def test_cloudwatch_forms_come_out_the_same(tmp_path: Path, generated_log: Path, form: str) -> None:
    """Pretty-printed messages and pages hold state across lines: a cut inside one must not
    change what is indexed. The helper takes part in each: one record a line is cut anywhere,
    pretty-printed documents between two of them."""
    messages = generated_log.read_text().splitlines()[:2000]
    path = tmp_path / form
    path.write_bytes(cloudwatch_forms.forms(messages)[form])
    (one, _), (two, shared) = _both(path, size=BATCH // 2)
    assert len(one) == 2000 and not one.skips.counts
    assert _contents(two) == _contents(one)
    assert shared.helper_lines > 0
