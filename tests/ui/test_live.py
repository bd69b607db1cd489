"""The live view stays equal to a full filter of the store, however queries and appends mix."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from kaudit_tui.core.query import parse_query
from kaudit_tui.core.store import EventStore
from kaudit_tui.sources import open_sources
from kaudit_tui.view.live import LiveView
from tests.ui.support import lines, ui_event


def full(view: LiveView) -> list[int]:
    return view.query.filter(view.store).tolist()


def log_of(path: Path, count: int, start: int = 0) -> bytes:
    return lines(*(ui_event(n, verb=("get", "delete", "list")[n % 3]) for n in range(start, count)))


async def test_ingest_with_a_query_equals_filtering_everything(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(log_of(path, 3000))
    view = LiveView(EventStore(), parse_query("verb:delete"))
    sources = open_sources([str(path)], follow=False)
    try:
        await view.ingest(sources)
    finally:
        await sources.aclose()
    assert len(view.store) == 3000
    assert view.rows.tolist() == full(view) and len(view.rows) == 1000
    assert view.states[str(path)].state == "ended"


async def test_queries_applied_while_events_stream_in(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(log_of(path, 500))
    view = LiveView(EventStore(), parse_query(""))
    sources = open_sources([str(path)], follow=True, poll_interval=0.01)
    ingest = asyncio.create_task(view.ingest(sources))
    try:
        for round_, text in enumerate(["verb:get", "verb:delete", "-verb:list", "verb:get"]):
            with path.open("ab") as out:
                out.write(log_of(path, 500 * (round_ + 2), 500 * (round_ + 1)))
            await asyncio.sleep(0.01)
            await view.apply(parse_query(text))
        while len(view.store) < 2500:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        await view.catch_up()
        assert view.rows.tolist() == full(view)
        assert len(view.rows) == 834  # n % 3 == 0 for n < 2500
    finally:
        await sources.aclose()
        ingest.cancel()


async def test_a_superseded_query_leaves_the_newer_view(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(log_of(path, 3000))
    view = LiveView(EventStore(), parse_query(""))
    sources = open_sources([str(path)], follow=False)
    await view.ingest(sources)
    await asyncio.gather(view.apply(parse_query("verb:list")), view.apply(parse_query("verb:get")))
    assert view.query.text == "verb:get"
    assert view.rows.tolist() == full(view)
    assert np.all(np.diff(view.rows) > 0)
    await sources.aclose()
