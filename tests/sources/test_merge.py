"""Several logical sources (one log per control-plane node) merged by event time."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson

from kaudit_tui.core.timestamps import line_time
from kaudit_tui.sources import open_sources

from .test_follow import run_writer, wait_process
from .writers import Collected, Live, collect, ids, timed_line, timed_lines

DATA = Path(__file__).parent.parent / "data" / "logs"


def node_file(path: Path, node: str, times: list[float]) -> Counter[str]:
    path.write_bytes(b"".join(timed_line(f"{node}-{i}", t) for i, t in enumerate(times)))
    return Counter(f"{node}-{i}" for i in range(len(times)))


async def test_three_files_merged_in_time_order(tmp_path: Path) -> None:
    rng = random.Random(3)
    expected: Counter[str] = Counter()
    paths = []
    for node in ("n1", "n2", "n3"):
        times = sorted(rng.uniform(0, 60) for _ in range(2000))
        path = tmp_path / node / "audit.log"
        path.parent.mkdir()
        expected += node_file(path, node, times)
        paths.append(str(path))
    sources = open_sources(paths, follow=False)
    assert sources.labels == paths
    got = await collect(sources)
    assert got.audit_ids == expected
    times = [line_time(line) for line in got.lines]
    assert times == sorted(times)
    for line, label in zip(got.lines, got.labels, strict=True):
        node = orjson.loads(line)["auditID"].split("-")[0]
        assert label == str(tmp_path / node / "audit.log"), "each event keeps its source"


async def test_each_file_keeps_its_own_order(tmp_path: Path) -> None:
    """Concurrent requests finish out of order inside one file; that order is kept."""
    a = node_file(tmp_path / "a.log", "a", [1.0, 3.0, 2.0, 4.0])
    b = node_file(tmp_path / "b.log", "b", [2.5, 0.5])
    got = await collect(
        open_sources([str(tmp_path / "a.log"), str(tmp_path / "b.log")], follow=False)
    )
    assert got.audit_ids == a + b
    order = got.ordered_ids
    assert [i for i in order if i[0] == "a"] == ["a-0", "a-1", "a-2", "a-3"]
    assert [i for i in order if i[0] == "b"] == ["b-0", "b-1"]
    assert order == ["a-0", "b-0", "b-1", "a-1", "a-2", "a-3"]


async def test_old_v1beta1_log_merges_by_its_fallback_times(tmp_path: Path) -> None:
    """audit2rbac's v1beta1 capture (2017, creationTimestamp only) sorts before the 2020 log."""
    new, old = (
        DATA / "alcideio-rbac-tool-auditgen.jsonl",
        DATA / "liggitt-audit2rbac-demo-v1beta1-original.log",
    )
    got = await collect(open_sources([str(new), str(old)], follow=False))
    assert len(got.ordered_ids) == 757 + 6
    assert got.labels == [str(old)] * 757 + [str(new)] * 6
    assert got.ordered_ids[:757] == [
        orjson.loads(line)["auditID"] for line in old.read_bytes().splitlines()
    ]


async def test_pipe_and_file_merged(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("f", 300, start=0.0, step=0.002))
    (tmp_path / "p").write_bytes(timed_lines("p", 300, start=0.001, step=0.002))
    read_fd, write_fd = os.pipe()
    copy = "import os, sys; os.write(1, open(sys.argv[1], 'rb').read())"
    writer = subprocess.Popen([sys.executable, "-c", copy, str(tmp_path / "p")], stdout=write_fd)
    os.close(write_fd)
    got = await collect(open_sources([str(log), "-"], follow=False, stdin_fd=read_fd))
    writer.wait(5)
    assert got.audit_ids == ids("f", 300) + ids("p", 300)
    assert set(got.labels) == {str(log), "stdin"}


async def test_live_files_merged_while_three_writers_append(tmp_path: Path) -> None:
    paths = []
    for node in ("n1", "n2", "n3"):
        path = tmp_path / f"{node}.log"
        path.touch()
        paths.append(path)
    async with Live(open_sources([str(p) for p in paths], follow=True, poll_interval=0.02)) as live:
        writers = [
            run_writer(path, path.stem, 800, "--delay", "0.001", "--every", "300") for path in paths
        ]
        for writer in writers:
            await wait_process(writer)
        await live.wait_ids(ids("n1", 800) + ids("n2", 800) + ids("n3", 800))
        for path in paths:
            assert live.got.labels.count(str(path)) == 800


async def test_a_quiet_live_source_does_not_hold_back_the_others(tmp_path: Path) -> None:
    quiet, busy = tmp_path / "quiet.log", tmp_path / "busy.log"
    quiet.touch()
    busy.touch()
    async with Live(open_sources([str(quiet), str(busy)], follow=True, poll_interval=0.02)) as live:
        await asyncio.sleep(0.1)
        busy.write_bytes(timed_lines("b", 5))
        await live.wait_ids(ids("b", 5), timeout=2)


async def test_bursts_hold_the_same_items_in_fewer_steps(tmp_path: Path) -> None:
    paths = []
    for node in ("n1", "n2", "n3"):
        path = tmp_path / f"{node}.log"
        node_file(path, node, [i * 0.001 + int(node[1]) * 0.0003 for i in range(3000)])
        paths.append(str(path))
    flat = await collect(open_sources(paths, follow=False))
    sources = open_sources(paths, follow=False)
    got = Collected()
    bursts = 0
    async for burst in sources.bursts():
        bursts += 1
        for item in burst:
            got.add(item)
    await sources.aclose()
    assert got.ordered_ids == flat.ordered_ids
    assert sum(got.audit_ids.values()) == 9000
    assert len(got.batches) > 1000, "interleaved sources make many short batches"
    assert bursts < len(got.batches) / 20
