"""Memory of a long follow under ``--max-events``: does it stay flat once the cap is reached?

Run: ``python tests/bench/bench_max_events.py [EVENTS] [MAX_EVENTS]`` (defaults 3,000,000 and
500,000). Streams generated Metadata events through the Ingestor in 1 MiB batches, evicting
down to MAX_EVENTS after each batch as a followed run does, and prints resident memory as it
goes: first for the generator's log, then with every request URI unique (a watch's
resourceVersion grows forever on a real cluster, and every Event object has a new name), the
worst case for the interning tables.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.core.ingest import Ingestor  # noqa: E402
from kaudit_tui.core.segments import FileReader  # noqa: E402
from kaudit_tui.core.store import EventStore  # noqa: E402
from tests.bench.bench_ingest import rss_bytes  # noqa: E402
from tests.bench.generate import events  # noqa: E402

BATCH = 1 << 20


def batches(count: int, unique_uris: bool) -> Iterator[bytes]:
    held: list[bytes] = []
    size = 0
    for number, line in enumerate(events(count)):
        if unique_uris:
            line = line.replace(b'","verb"', f'?n={number}","verb"'.encode(), 1)
            line = line.replace(b'"name":"', f'"name":"{number}-'.encode(), 1)
        held.append(line)
        size += len(line) + 1
        if size >= BATCH:
            yield b"\n".join(held) + b"\n"
            held, size = [], 0
    if held:
        yield b"\n".join(held) + b"\n"


def follow(count: int, max_events: int, unique_uris: bool) -> None:
    gc.collect()
    before = rss_bytes()
    store = EventStore()
    ingestor = Ingestor(store)
    with tempfile.NamedTemporaryFile() as log:
        reader = FileReader(log.name)
        offset, report, busy = 0, max_events, 0.0
        for data in batches(count, unique_uris):
            start = time.perf_counter()
            ingestor.feed(reader, offset, data)
            store.evict_to(max_events)
            busy += time.perf_counter() - start
            offset += len(data)
            seen = len(store) + store.evicted
            if seen >= report:
                gc.collect()
                grown = rss_bytes() - before
                print(f"  {seen:>10,} read {len(store):>9,} kept  RSS +{grown / 2**20:7,.0f} MiB "
                      f"({grown / len(store):6,.0f} B per kept event; {len(store.uris):>9,} "
                      f"URIs, {len(store.names):>9,} names interned)")  # fmt: skip
                report += max_events
        reader.close()
    rate = (len(store) + store.evicted) / busy
    print(f"  {rate:,.0f} events/s indexed, eviction included (generating them not counted)")


def main(count: int, max_events: int) -> None:
    for unique in (False, True):
        label = "every URI and name unique" if unique else "generated log"
        print(f"{label}: {count:,} events, --max-events {max_events:,}")
        follow(count, max_events, unique)


def test_bench_max_events() -> None:
    main(
        int(os.environ.get("KAUDIT_BENCH_EVENTS", "3000000")),
        int(os.environ.get("KAUDIT_BENCH_MAX_EVENTS", "500000")),
    )


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    main(*(arguments + [3_000_000, 500_000][len(arguments) :]))
