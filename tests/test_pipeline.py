"""The shared ingest pipeline: one thread trip per burst, indexing-only runs, eviction after
delivery, statuses; the UI (LiveView) and the headless modes both run on it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import orjson
import pytest

from kaudit_tui.core.query import parse_query
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from kaudit_tui.pipeline import Pipeline
from kaudit_tui.sources import LineBatch, SegmentEnd, SourceStatus, open_sources
from kaudit_tui.view.live import LiveView
from tests.ui.support import lines, ui_event


class Bursts:
    """A source set stand-in: prepared bursts of one file's lines."""

    def __init__(self, path: Path, per_burst: list[int]) -> None:
        self.reader = FileReader(str(path), "audit.log")
        self.data = path.read_bytes()
        self.per_burst = per_burst

    async def bursts(self) -> AsyncIterator[list[object]]:
        yield [SourceStatus("audit.log", "reading", "reading audit.log")]
        ends = [i + 1 for i, byte in enumerate(self.data) if byte == 0x0A]
        offset, taken = 0, 0
        for count in self.per_burst:
            burst: list[object] = []
            for _ in range(count):  # one batch per line: many batches in a burst
                end = ends[taken]
                burst.append(LineBatch(self.reader, offset, self.data[offset:end]))
                offset, taken = end, taken + 1
            yield burst
        yield [SegmentEnd(self.reader), SourceStatus("audit.log", "ended", "audit.log: end")]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    path.write_bytes(lines(*(ui_event(n, verb=("get", "delete")[n % 2]) for n in range(30))))
    return path


async def test_a_burst_is_indexed_and_filtered_in_one_thread_trip(
    log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = []
    real = asyncio.to_thread

    async def counted(function, *args, **kwargs):  # noqa: ANN001, ANN202
        trips.append(getattr(function, "__name__", function))
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    pipeline = Pipeline(EventStore(), parse_query("verb:delete"))
    await pipeline.ingest(Bursts(log, [10, 10, 10]))
    pipeline.close()
    assert trips == ["_feed"] * 4  # three bursts of lines, one with the segment end
    assert pipeline.rows.tolist() == list(range(1, 30, 2))


async def test_without_a_query_it_only_indexes_until_one_is_applied(log: Path) -> None:
    pipeline = Pipeline(EventStore(), None)
    await pipeline.ingest(Bursts(log, [15, 15]))
    pipeline.close()
    assert len(pipeline.store) == 30 and len(pipeline.rows) == 0
    await pipeline.apply(parse_query("verb:get"))
    assert pipeline.rows.tolist() == list(range(0, 30, 2))


async def test_delivery_comes_before_eviction(log: Path) -> None:
    delivered: list[bytes] = []
    store = EventStore()

    def deliver(rows: np.ndarray) -> None:  # in the worker thread, rows still readable
        delivered.extend(store.event_json(row) for row in rows.tolist())

    pipeline = Pipeline(store, parse_query("verb:delete"), max_events=4, deliver=deliver)
    await pipeline.ingest(Bursts(log, [20, 10]))
    pipeline.close()
    assert [orjson.loads(line)["verb"] for line in delivered] == ["delete"] * 15
    assert len(store) == 4 and store.evicted == 26
    assert pipeline.rows.tolist() == [27, 29]


async def test_statuses_are_kept_and_passed_on(log: Path) -> None:
    seen: list[str] = []
    view = LiveView(EventStore(), parse_query(""))
    view.on_status = lambda status: seen.append(status.state)
    sources = open_sources([str(log)], follow=False)
    try:
        await view.ingest(sources)
    finally:
        await sources.aclose()
        view.close()
    assert seen == ["reading", "ended"] and view.source_state() == "ended"
    assert view.progress.fraction == 1.0 and len(view.rows) == 30


def test_a_one_shot_run_counts_relative_times_from_the_newest_event(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(lines(*(ui_event(n, seconds=n * 60.0) for n in range(200))))
    result = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", "--stats", "--json", "-q", "since:10m", str(path)],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout)["events"] == 11  # minutes 189..199
