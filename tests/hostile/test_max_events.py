"""``--max-events``: the store keeps the newest N events, and nothing else changes.

A store that evicted its way through a long log answers every question about the events it
kept exactly as a store that only ever saw them: same fields, same query results, even after
interned values of evicted events were released and their codes given to new values. Views
handed out before an append or an eviction never change under their holder.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaudit_tui.cli import build_parser, resolve_max_events
from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.limits import DEFAULT_MAX_EVENTS
from kaudit_tui.core.query import parse_query
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.events import numbered_line, numbered_lines
from tests.hostile.indexing import batches
from tests.hostile.process import Running
from tests.hostile.run import run

POOL = ("web", "db", "cache", "api", "queue")


@st.composite
def logs(draw: st.DrawFn) -> bytes:
    """Events whose names and URIs repeat (from a pool) or are new (unique per event)."""
    count = draw(st.integers(20, 300))
    lines = []
    for number in range(count):
        name = draw(st.sampled_from(POOL)) if draw(st.booleans()) else f"new-{number}"
        uri = f"/api/v1/namespaces/default/configmaps/{name}"
        lines.append(
            numbered_line(
                number,
                uri=uri,
                name=name,
                user={"username": draw(st.sampled_from(POOL))},
                audit_id=f"id-{number}" if draw(st.booleans()) else f"00000000-{number:04d}",
            )
        )
    return b"".join(lines)


WARM = ("name:web", "name:new-*", "uri:*cache", "id:id-*")
"""Queries whose masks are cached while events come and go (no text search: it is slow)."""
QUERIES = ["name:web", "name:new-*", "-name:db", "uri:*cache", "user:api", "id:id-*", "web",
           "name:new-1*", "/new-[0-9]+/"]  # fmt: skip


def index(data: bytes, path: Path, cap: int | None, per_batch: int, warm: bool) -> EventStore:
    """Index ``data`` from a real file, evicting to ``cap`` after each batch as a follow does.

    With ``warm``, queries run between batches, so their cached masks live through releases.
    """
    path.write_bytes(data)
    store = EventStore(release_every=1)
    ingestor = Ingestor(store)
    reader = FileReader(str(path))
    for offset, batch in batches(data, per_batch):
        ingestor.feed(reader, offset, batch)
        if cap is not None:
            store.evict_to(cap)
        if warm and offset % 3 == 0:
            for text in WARM:
                parse_query(text).filter(store)
    return store


def relative(ids: np.ndarray, store: EventStore) -> list[int]:
    return (ids - store.first_id).tolist()


@given(logs(), st.integers(1, 60), st.integers(1, 40))
def test_a_capped_store_answers_like_one_that_saw_only_the_kept_events(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, cap: int, per_batch: int
) -> None:
    folder = tmp_path_factory.mktemp("capped")
    capped = index(data, folder / "all.log", cap, per_batch, warm=True)
    kept = b"".join(data.splitlines(keepends=True)[-len(capped) :])
    fresh = index(kept, folder / "kept.log", None, 1 << 30, warm=False)
    assert len(capped) == len(fresh) == min(cap, data.count(b"\n"))
    assert capped.evicted == data.count(b"\n") - len(capped)
    for row in range(len(capped)):
        mine, theirs = capped.row(capped.first_id + row), fresh.row(row)
        assert {**mine, "source": ""} == {**theirs, "source": ""}
    for text in QUERIES:
        query = parse_query(text)
        assert relative(query.filter(capped), capped) == relative(query.filter(fresh), fresh)
    held = 2 * (len(capped) + per_batch) + len(POOL) + 2
    assert len(capped.names) <= held  # released codes are given to new values


def test_views_never_change_under_their_holder(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    data = numbered_lines(0, 3000)
    log.write_bytes(data)
    store = EventStore(release_every=1)
    ingestor = Ingestor(store)
    reader = FileReader(str(log))
    chunks = list(batches(data, 100))
    ingestor.feed(reader, *chunks[0])
    view, names = store.column("name").copy(), store.column("name")
    for offset, batch in chunks[1:]:
        ingestor.feed(reader, offset, batch)  # the arrays grow, then the rows move
        store.evict_to(150)
    assert names.tolist() == view.tolist()
    assert store.first_id == 2850 and store.row(2850)["name"] == "cm-2850"
    with pytest.raises(LookupError, match="dropped to keep within --max-events"):
        store.row(2849)


@pytest.mark.parametrize(
    ("arguments", "headless", "cap"),
    [
        ([], False, DEFAULT_MAX_EVENTS),
        (["--print"], True, None),
        (["--print", "--follow"], True, DEFAULT_MAX_EVENTS),
        (["--stats", "--max-events", "5"], True, 5),
        (["--max-events", "0"], False, None),
        (["--max-events", "2_000_000"], False, 2_000_000),
    ],
)
def test_the_cap_applies_to_long_lived_runs_by_default(
    arguments: list[str], headless: bool, cap: int | None
) -> None:
    args = build_parser().parse_args(arguments)
    resolve_max_events(args, headless=headless)
    assert args.max_events == cap


def test_a_bad_cap_is_a_usage_error() -> None:
    result = run("--stats", "--max-events", "lots", os.devnull)
    assert result.returncode == 2
    assert b"--max-events: expected a number of events (0 = no limit), not 'lots'" in result.stderr


def test_a_one_shot_report_over_a_cap_says_what_it_covers(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(numbered_lines(0, 50))
    result = run("--stats", "--max-events", "20", log)
    assert result.returncode == 0
    assert result.stdout.startswith(b"20 / 20 events (0 lines skipped, 30 dropped by --max-events)")
    assert result.stderr == (
        b"kaudit-tui: the output covers the newest 20 events; 30 older ones were dropped "
        b"(--max-events)\n"
    )


def test_a_capped_follow_prints_every_event(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(numbered_lines(0, 25))
    with Running("--print", "--follow", "--max-events", "10", log) as running:
        running.wait_for_lines(25)
        with log.open("ab") as writer:
            writer.write(numbered_lines(25, 400))
        assert running.wait_for_lines(400) == numbered_lines(0, 400).splitlines()
        assert running.finish() == 0


def test_a_capped_stdin_follow_keeps_printing(tmp_path: Path) -> None:
    with Running("--print", "--follow", "--max-events", "3", "-", stdin=subprocess.PIPE) as running:
        assert running.process.stdin is not None
        for start in range(0, 60, 20):
            running.process.stdin.write(numbered_lines(start, start + 20))
            running.process.stdin.flush()
            running.wait_for_lines(start + 20)
        assert bytes(running.out) == numbered_lines(0, 60)
        assert running.finish() == 0
    assert numbered_line(0).endswith(b"\n")
