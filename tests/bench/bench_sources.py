"""Live sources under load: tail latency, and a sustained 20k events/s writer (prints figures).

    .venv/bin/python tests/bench/bench_sources.py [--seconds 30] [--rate 20000]

0. Static load: 300k events read from one file, then from three files merged by time.
1. Tail latency: a separate process appends one event at a time to a followed file, at random
   intervals; each event carries its write time, and the latency is measured to the moment the
   Ingestor has indexed it (default poll interval, 0.1 s).
2. Sustained load: a separate process writes realistic events at ``--rate`` for ``--seconds``,
   into (a) a file rotated lumberjack-style every 100 MB, (b) a pipe read as stdin, (c) three
   files merged by time (rate split between them). The consumer indexes every batch with the
   Ingestor in a worker thread, one hop per burst (``SourceSet.bursts``). Printed: events
   written and indexed, the rate kept up with, how long indexing trailed the writer at the
   end, batches per second, and peak resident memory, once with the Ingestor and once with
   the sources alone (which must stay flat whatever the volume).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.core.ingest import Ingestor  # noqa: E402
from kaudit_tui.core.store import EventStore  # noqa: E402
from kaudit_tui.sources import LineBatch, SegmentEnd, open_sources  # noqa: E402
from tests.bench.generate import events  # noqa: E402

ROTATE_BYTES = 100 * 1024 * 1024
TICK = 0.01
_LATENCY_ID = re.compile(rb'"auditID":"lat-(\d+)-(\d+\.\d+)"')


# -- writers (run in a separate process) ------------------------------------------------------
def writer_main(argv: list[str]) -> None:
    mode, rate, seconds, *paths = argv
    if mode == "latency":
        write_latency(paths[0], int(rate))
    else:
        write_sustained(paths, int(rate), float(seconds))


def write_latency(path: str, count: int) -> None:
    import random

    rng = random.Random(1)
    line = next(events(1))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for k in range(count):
        time.sleep(rng.uniform(0.05, 0.3))
        stamp = f"lat-{k}-{time.monotonic():.6f}".encode()
        os.write(fd, re.sub(rb'"auditID":"[^"]+"', b'"auditID":"' + stamp + b'"', line) + b"\n")
    os.close(fd)


def write_sustained(paths: list[str], rate: int, seconds: float) -> None:
    """``rate`` events/s spread over ``paths`` ("-" is stdout), one write per 10 ms tick."""
    total = int(rate * seconds)
    lines = [line + b"\n" for line in events(min(total, 200_000))]
    per_tick = max(1, int(rate * TICK / len(paths)))
    fds = [
        1 if p == "-" else os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) for p in paths
    ]
    sizes = [0] * len(paths)
    written, start, tick = 0, time.monotonic(), 0
    print("ready", file=sys.stderr, flush=True)
    while written < total:
        for i, fd in enumerate(fds):
            chunk = b"".join(lines[(written + j) % len(lines)] for j in range(per_tick))
            os.write(fd, chunk)
            written += per_tick
            sizes[i] += len(chunk)
            if paths[i] != "-" and sizes[i] >= ROTATE_BYTES:
                fds[i] = rotate(paths[i], fd)
                sizes[i] = 0
        tick += 1
        delay = start + tick * TICK - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(f"wrote {written} {time.monotonic() - start:.3f}", file=sys.stderr, flush=True)


def rotate(path: str, fd: int) -> int:
    os.close(fd)
    prefix, ext = os.path.splitext(path)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S.%f")[:-3]
    os.rename(path, f"{prefix}-{stamp}{ext}")
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def spawn(*args: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--writer", *args], stdout=stdout, stderr=subprocess.PIPE
    )


# -- measuring ---------------------------------------------------------------------------------
def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Consumer:
    """Indexes what a source set delivers (or only counts lines) and samples memory."""

    def __init__(self, index: bool) -> None:
        self.store = EventStore()
        self.ingestor = Ingestor(self.store) if index else None
        self.lines = 0
        self.batches = 0
        self.peak_rss = rss_bytes()
        self.last_at = 0.0

    async def take(self, item: object) -> None:
        if isinstance(item, LineBatch):
            self.batches += 1
            if self.ingestor is not None:
                ingestor = self.ingestor
                await asyncio.to_thread(ingestor.feed, item.reader, item.offset, item.data)
            self.lines += item.data.count(b"\n")
            self.last_at = time.monotonic()
        elif isinstance(item, SegmentEnd) and self.ingestor is not None:
            self.ingestor.finish(item.reader)

    async def take_burst(self, burst: list[object]) -> None:
        """One worker-thread hop for everything that became ready together."""
        lines = [item for item in burst if isinstance(item, LineBatch)]
        self.batches += len(lines)
        if self.ingestor is not None:
            await asyncio.to_thread(self._feed_all, burst)
        self.lines += sum(item.data.count(b"\n") for item in lines)
        if lines:
            self.last_at = time.monotonic()

    def _feed_all(self, burst: list[object]) -> None:
        assert self.ingestor is not None
        for item in burst:
            if isinstance(item, LineBatch):
                self.ingestor.feed(item.reader, item.offset, item.data)
            elif isinstance(item, SegmentEnd):
                self.ingestor.finish(item.reader)

    async def sample_memory(self) -> None:
        while True:
            self.peak_rss = max(self.peak_rss, rss_bytes())
            await asyncio.sleep(0.1)


async def tail_latency(tmp: str, samples: int) -> None:
    path = os.path.join(tmp, "latency.log")
    Path(path).touch()
    store = EventStore()
    ingestor = Ingestor(store)
    latencies: list[float] = []
    sources = open_sources([path], follow=True)
    writer = spawn("latency", str(samples), "0", path)

    async def run() -> None:
        async for item in sources:
            if isinstance(item, LineBatch):
                await asyncio.to_thread(ingestor.feed, item.reader, item.offset, item.data)
                now = time.monotonic()
                latencies.extend(now - float(m[2]) for m in _LATENCY_ID.finditer(item.data))
                if len(latencies) >= samples:
                    return

    await asyncio.wait_for(run(), samples * 0.5 + 10)
    await sources.aclose()
    writer.wait()
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"tail latency append -> indexed ({len(ms)} events, poll 0.1 s): "
        f"median {statistics.median(ms):.0f} ms, p95 {ms[int(len(ms) * 0.95) - 1]:.0f} ms, "
        f"max {ms[-1]:.0f} ms"
    )


async def sustained(kind: str, tmp: str, rate: int, seconds: float, index: bool) -> None:
    consumer = Consumer(index)
    base_rss = rss_bytes()
    if kind == "pipe":
        read_fd, write_fd = os.pipe()
        writer = spawn("sustained", str(rate), str(seconds), "-", stdout=write_fd)
        os.close(write_fd)
        sources = open_sources(["-"], follow=True, stdin_fd=read_fd)
    else:
        count = 3 if kind == "merge3" else 1
        paths = [os.path.join(tmp, f"{kind}-{index}-{n}", "audit.log") for n in range(count)]
        for path in paths:
            os.makedirs(os.path.dirname(path))
            Path(path).touch()
        sources = open_sources(paths, follow=True)
        writer = spawn("sustained", str(rate), str(seconds), *paths)
    assert writer.stderr is not None
    await asyncio.to_thread(writer.stderr.readline)  # "ready": events generated
    sampler = asyncio.create_task(consumer.sample_memory())
    started = time.monotonic()

    async def run() -> None:
        async for burst in sources.bursts():
            await consumer.take_burst(burst)

    reading = asyncio.create_task(run())
    done_line = (await asyncio.to_thread(writer.stderr.readline)).split()
    written, write_time = int(done_line[1]), float(done_line[2])
    writer_end = time.monotonic()
    while consumer.lines < written and time.monotonic() - writer_end < 60:
        await asyncio.sleep(0.05)
    trailing = max(0.0, consumer.last_at - writer_end)
    await sources.aclose()
    reading.cancel()
    sampler.cancel()
    writer.wait()
    elapsed = consumer.last_at - started
    what = "sources + Ingestor" if index else "sources only     "
    peak, grown = consumer.peak_rss / 2**20, (consumer.peak_rss - base_rss) / 2**20
    print(
        f"{kind:<7} {what}: wrote {written:,} in {write_time:.1f} s"
        f" ({written / write_time:,.0f}/s),"
        f" indexed {consumer.lines:,} ({consumer.lines / elapsed:,.0f}/s), trailing the writer"
        f" by {trailing:.2f} s at the end, {consumer.batches / elapsed:.1f} batches/s,"
        f" peak RSS {peak:.0f} MiB (+{grown:.0f})"
    )


async def static_load(tmp: str, count: int) -> None:
    """Reading finished files: one file, then the same number of events in three merged."""
    one = os.path.join(tmp, "one.log")
    with open(one, "wb") as out:
        out.writelines(line + b"\n" for line in events(count))
    three = []
    for n in range(3):
        three.append(os.path.join(tmp, f"node{n}.log"))
        with open(three[-1], "wb") as out:
            out.writelines(line + b"\n" for line in events(count // 3, seed=n))
    for label, paths in (("1 file", [one]), ("3 files merged", three)):
        for index, bursts in ((False, False), (True, False), (True, True)):
            consumer = Consumer(index)
            sources = open_sources(paths, follow=False)
            start = time.perf_counter()
            if bursts:
                async for burst in sources.bursts():
                    await consumer.take_burst(burst)
            else:
                async for item in sources:
                    await consumer.take(item)
            took = time.perf_counter() - start
            await sources.aclose()
            what = (
                "sources only" if not index else "+ Ingestor, " + ("bursts" if bursts else "items")
            )
            print(
                f"static {label:<14} {what:<20}: {consumer.lines:,} events in {took:.2f} s"
                f" ({consumer.lines / took:,.0f}/s), {consumer.batches:,} batches"
            )


async def main(seconds: float, rate: int, samples: int) -> None:
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        await static_load(tmp, 300_000)
        await tail_latency(tmp, samples)
        for kind in ("file", "pipe", "merge3"):
            for index in (False, True):
                await sustained(kind, tmp, rate, seconds, index)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        writer_main(sys.argv[2:])
        raise SystemExit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=40)
    options = parser.parse_args()
    asyncio.run(main(options.seconds, options.rate, options.samples))
