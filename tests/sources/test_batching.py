"""Batching: lines reach the consumer in few, large batches, and never late by much."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from kaudit_tui.core.segments import FileReader
from kaudit_tui.sources import LineBatch, SourceStatus, open_sources
from kaudit_tui.sources.batching import Batcher

from .writers import collect, ids, timed_lines


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines_of(reader: FileReader, count: int, size: int = 100) -> list[LineBatch]:
    line = b"x" * (size - 1) + b"\n"
    return [LineBatch(reader, i * size, line) for i in range(count)]


def test_first_lines_after_a_pause_go_out_at_once(tmp_path: Path) -> None:
    reader = FileReader(__file__)
    clock = Clock()
    batcher = Batcher(max_bytes=1 << 20, interval=0.1, clock=clock)
    first, second, third = lines_of(reader, 3)
    assert batcher.add(first) == [first]
    clock.now += 0.01
    assert batcher.add(second) == [], "within the interval, lines are held"
    assert batcher.deadline() == 100.1
    clock.now += 0.2
    out = batcher.add(third)
    assert out == [LineBatch(reader, 100, second.data + third.data)], "adjacent lines joined"
    reader.close()


def test_size_limit_releases_early(tmp_path: Path) -> None:
    reader = FileReader(__file__)
    clock = Clock()
    batcher = Batcher(max_bytes=1000, interval=0.1, clock=clock)
    batcher.add(lines_of(reader, 1)[0])
    released = [out for batch in lines_of(reader, 30)[1:] for out in batcher.add(batch)]
    assert [len(b.data) for b in released if isinstance(b, LineBatch)] == [1000, 1000]
    reader.close()


def test_status_flushes_held_lines_first_and_keeps_order(tmp_path: Path) -> None:
    reader = FileReader(__file__)
    clock = Clock()
    batcher = Batcher(max_bytes=1 << 20, interval=0.1, clock=clock)
    a, _, c = lines_of(reader, 3)
    assert batcher.add(a) == [a]
    assert batcher.add(c) == []  # held: within the interval
    status = SourceStatus("x", "rotated", "x was rotated")
    out = batcher.add(status)
    assert out == [c, status]
    reader.close()


async def test_trickling_pipe_is_delivered_in_few_batches(tmp_path: Path) -> None:
    """400 events written one by one over ~2 s arrive in about 10 batches per second."""
    (tmp_path / "payload").write_bytes(timed_lines("t", 400))
    trickle = (
        "import os, sys, time\n"
        "for line in open(sys.argv[1], 'rb'):\n"
        "    os.write(1, line); time.sleep(0.005)\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", trickle, str(tmp_path / "payload")], stdout=subprocess.PIPE
    )
    assert writer.stdout is not None
    fd = os.dup(writer.stdout.fileno())
    writer.stdout.close()
    started = time.monotonic()
    got = await collect(open_sources(["-"], follow=True, stdin_fd=fd))
    seconds = time.monotonic() - started
    writer.wait(5)
    assert got.audit_ids == ids("t", 400)
    assert seconds > 1.5
    assert len(got.batches) <= seconds * 10 * 1.5 + 3, len(got.batches)
