"""Indexing speed and memory, next to a bare ``orjson.loads`` loop over the same lines.

Run: ``python tests/bench/bench_ingest.py [EVENTS]`` (default 1,000,000). Prints events/s for a
bare orjson loop and for the Ingestor (fed 1 MiB batches of complete lines, as the sources
deliver them), their ratio, and resident memory per indexed event.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.core.ingest import Ingestor  # noqa: E402
from kaudit_tui.core.segments import FileReader  # noqa: E402
from kaudit_tui.core.store import EventStore  # noqa: E402
from tests.bench.generate import write  # noqa: E402

CHUNK = 1 << 20


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def chunks(path: str):
    with open(path, "rb") as source:
        offset, rest = 0, b""
        while block := source.read(CHUNK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            yield offset, block[:cut]
            offset += cut
            rest = block[cut:]
        if rest:
            yield offset, rest


def bare_orjson(path: str) -> tuple[int, float]:
    count, start = 0, time.perf_counter()
    for _, data in chunks(path):
        for line in data.splitlines():
            orjson.loads(line)
            count += 1
    return count, time.perf_counter() - start


def ingest(path: str) -> tuple[EventStore, float, int]:
    gc.collect()
    before = rss_bytes()
    store = EventStore()
    ingestor = Ingestor(store)
    reader = FileReader(path)
    start = time.perf_counter()
    for offset, data in chunks(path):
        ingestor.feed(reader, offset, data)
    elapsed = time.perf_counter() - start
    gc.collect()
    return store, elapsed, rss_bytes() - before


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audit.log")
        write(count, path)
        size = os.path.getsize(path)
        print(f"generated {count:,} Metadata events, {size / 1e6:,.0f} MB")
        lines, bare = bare_orjson(path)
        store, took, grown = ingest(path)
        assert len(store) == lines == count
        print(f"bare orjson.loads loop : {lines / bare:>10,.0f} events/s")
        print(f"kaudit-tui indexing    : {len(store) / took:>10,.0f} events/s "
              f"(ratio {bare / took:.2f} of bare orjson)")  # fmt: skip
        print(f"resident memory        : {grown / len(store):>10,.0f} bytes/event "
              f"(columns {store.nbytes() / len(store):.0f} B/event; "
              f"{len(store.who):,} who and {len(store.what):,} what shapes, "
              f"{len(store.names):,} names, {len(store.uris):,} URIs)")  # fmt: skip


def test_bench_ingest() -> None:
    main(int(os.environ.get("KAUDIT_BENCH_EVENTS", "1000000")))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
