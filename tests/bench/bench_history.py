"""``--history`` speed over a realistic indexed log (default 1,000,000 events).

Run: ``python tests/bench/bench_history.py [EVENTS]``. Generates the log with ``generate.py``,
indexes it, then prints for a few objects how many rows the index offered as candidates, how
many requests the history holds, and how long finding and reading them took (the median of 3
runs). The generated creates log no name (as ``generateName`` creates do), so every create of
the object's resource and namespace is a candidate whose text is searched for the name.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.core.answers.history import (  # noqa: E402
    ObjectSpec,
    candidate_rows,
    object_history,
)
from tests.bench.bench_query import index  # noqa: E402
from tests.bench.generate import write  # noqa: E402

REPEATS = 3


def busiest(store, count: int) -> list[ObjectSpec]:  # noqa: ANN001
    """The objects with the most named requests (from a sample of rows)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    for row in range(store.first_id, store.next_id, max(1, len(store) // 50_000)):
        values = store.row(row)
        if values["name"]:
            seen[(values["resource"], values["ns"], values["name"])] += 1
    return [ObjectSpec(*key) for key, _ in seen.most_common(count)]


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audit.log")
        write(count, path)
        store, took = index(path)
        print(f"indexed {len(store):,} events in {took:.1f} s")
        print(f"\n  {'candidates':>10}  {'requests':>8}  {'ms':>8}   object")
        for spec in busiest(store, 4):
            candidates = len(candidate_rows(store, spec))
            times = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                history = object_history(store, spec)
                times.append((time.perf_counter() - start) * 1000)
            print(f"  {candidates:>10,}  {len(history.entries):>8,}  "
                  f"{statistics.median(times):>8.1f}   {spec.label()}")  # fmt: skip


def test_bench_history() -> None:
    main(int(os.environ.get("KAUDIT_BENCH_EVENTS", "1000000")))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
