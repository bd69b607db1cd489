"""Indexing speed and memory, next to a bare ``orjson.loads`` loop over the same lines.

Run: ``python tests/bench/bench_ingest.py [EVENTS] [--one-process]`` (default 1,000,000).
Prints events/s for a bare orjson loop and for indexing as the app does it (fed 1 MiB batches
of complete lines, as the sources deliver them, shared with a helper process when there are
two cores; ``--one-process`` indexes in this process alone), their ratio, CPU time, and
resident memory per indexed event.

Both loops read the log from the file themselves. They take turns over segments of about
64 MiB (alternating which goes first), so that load from other processes on a shared machine
falls on both rates alike instead of on whichever loop happened to run during a busy spell.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.core.parallel import ParallelIngestor  # noqa: E402
from kaudit_tui.core.segments import FileReader  # noqa: E402
from kaudit_tui.core.store import EventStore  # noqa: E402
from tests.bench.generate import write  # noqa: E402

CHUNK = 1 << 20
SEGMENT = 64 << 20


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def segments(path: str) -> list[tuple[int, int]]:
    """(start, stop) byte ranges of about SEGMENT bytes, cut after a newline."""
    bounds, start, size = [], 0, os.path.getsize(path)
    with open(path, "rb") as source:
        while start < size:
            source.seek(min(start + SEGMENT, size))
            source.readline()
            stop = min(source.tell(), size)
            bounds.append((start, stop))
            start = stop
    return bounds


def chunks(path: str, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, data) blocks of complete lines from ``start`` to ``stop``, about CHUNK each."""
    with open(path, "rb") as source:
        source.seek(start)
        offset, rest = start, b""
        left = (stop if stop is not None else os.path.getsize(path)) - start
        while left > 0 and (block := source.read(min(CHUNK, left))):
            left -= len(block)
            block = rest + block
            cut = block.rfind(b"\n") + 1
            yield offset, block[:cut]
            offset += cut
            rest = block[cut:]
        if rest:
            yield offset, rest


def bare_orjson(path: str, start: int, stop: int) -> int:
    count = 0
    for _, data in chunks(path, start, stop):
        for line in data.splitlines():
            orjson.loads(line)
            count += 1
    return count


def rss_of(pid: int | None) -> int:
    if pid is None:
        return 0
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main(count: int, *, one_process: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audit.log")
        write(count, path)
        size = os.path.getsize(path)
        print(f"generated {count:,} Metadata events, {size / 1e6:,.0f} MB")
        lines, bare, took, bare_cpu, took_cpu = 0, 0.0, 0.0, 0.0, 0.0
        gc.collect()
        before = rss_bytes()
        store = EventStore()
        ingestor = ParallelIngestor(store, helper=False if one_process else None)
        helper = ingestor.start()  # started before timing (the app starts it on a large batch)
        reader = FileReader(path)
        for turn, (start, stop) in enumerate(segments(path)):
            for loop in ("bare", "index") if turn % 2 == 0 else ("index", "bare"):
                wall, cpu = time.perf_counter(), time.process_time()
                if loop == "bare":
                    lines += bare_orjson(path, start, stop)
                else:
                    for offset, data in chunks(path, start, stop):
                        ingestor.feed(reader, offset, data)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if loop == "bare":
                    bare, bare_cpu = bare + wall, bare_cpu + cpu
                else:
                    took, took_cpu = took + wall, took_cpu + cpu
        gc.collect()
        grown = rss_bytes() - before
        helper_rss = rss_of(ingestor.helper_pid)
        took_cpu += ingestor.helper_cpu_seconds
        ingestor.close()
        assert len(store) == lines == count
        how = "with a helper process" if helper else "in one process"
        print(f"bare orjson.loads loop : {lines / bare:>10,.0f} events/s")
        print(f"kaudit-tui indexing    : {len(store) / took:>10,.0f} events/s {how} "
              f"(ratio {bare / took:.2f} of bare orjson; CPU time of both processes: ratio "
              f"{bare_cpu / took_cpu:.2f})")  # fmt: skip
        if helper:
            print(f"helper process         : indexed {ingestor.helper_lines / lines:.0%} of the "
                  f"lines; resident {helper_rss / 1e6:,.0f} MB")  # fmt: skip
        print(f"resident memory        : {grown / len(store):>10,.0f} bytes/event "
              f"(columns {store.nbytes() / len(store):.0f} B/event; "
              f"{len(store.who):,} who and {len(store.what):,} what shapes, "
              f"{len(store.names):,} names, {len(store.uris):,} URIs)")  # fmt: skip


def test_bench_ingest() -> None:
    main(int(os.environ.get("KAUDIT_BENCH_EVENTS", "1000000")))


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--one-process"]
    main(int(arguments[0]) if arguments else 1_000_000, one_process="--one-process" in sys.argv)
