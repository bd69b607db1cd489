"""What a loaded policy adds to indexing: per-row decisions for every indexed event.

Run: ``python tests/bench/bench_policy_index.py [EVENTS] [POLICY]`` (default 1,000,000 events,
the GCE policy). Prints the indexing time, the time to decide every row (rule and logged
columns, as ``rule:``/``logged:`` queries and the UI's rule column use them) and their ratio.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.core.decisions import RowDecisions  # noqa: E402
from kaudit_tui.core.policy import load_policy  # noqa: E402
from tests.bench.bench_ingest import ingest  # noqa: E402
from tests.bench.generate import write  # noqa: E402

GCE = Path(__file__).resolve().parents[1] / "data" / "policies" / "gce.yaml"


def main(count: int, policy_path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audit.log")
        write(count, path)
        store, took, _ = ingest(path)
        decisions = RowDecisions(load_policy(str(policy_path)))
        start = time.perf_counter()
        rules, _ = decisions.columns(store, np.arange(store.first_id, store.next_id))
        decided = time.perf_counter() - start
        print(f"indexing {len(store):,} events : {took:6.2f} s")
        share = 100 * decided / took
        hit = len(np.unique(rules))
        print(
            f"policy decisions for all rows : {decided:6.2f} s "
            f"(+{share:.0f}% of indexing; {hit} rules hit)"
        )


def test_bench_policy_index() -> None:
    main(int(os.environ.get("KAUDIT_BENCH_EVENTS", "1000000")), GCE)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
         Path(sys.argv[2]) if len(sys.argv) > 2 else GCE)  # fmt: skip
