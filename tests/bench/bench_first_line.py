"""The first line of ``--print``: ``kaudit-tui --print FILE | head -1`` as a user types it.

Run: ``python tests/bench/bench_first_line.py [EVENTS] [--runs N] [--dir DIR]`` (default
1,150,000 events, about 1 GB, and 5 runs; ``--dir`` keeps the generated log for the next run).
Each run is the whole shell pipeline, start-up included: it prints the time until the first
line came out of ``head``, and the time until the pipeline ended (kaudit-tui noticed the closed
pipe, stopped its helper process and exited 0), then the medians of both.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_whole import kaudit_command  # noqa: E402
from tests.bench.generate import write  # noqa: E402


def one_run(log: Path) -> tuple[float, float]:
    """Seconds until the first line, and until the pipeline ended."""
    command = shlex.join(kaudit_command(["--print", str(log)])) + " | head -1"
    start = time.perf_counter()
    pipeline = subprocess.Popen(["bash", "-o", "pipefail", "-c", command], stdout=subprocess.PIPE)
    assert pipeline.stdout is not None
    line = pipeline.stdout.readline()
    first = time.perf_counter() - start
    code = pipeline.wait()
    ended = time.perf_counter() - start
    if code != 0 or not line.startswith(b"{"):
        raise SystemExit(f"the pipeline exited {code} with {line[:80]!r}")
    return first, ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("events", nargs="?", type=int, default=1_150_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="where to keep the generated log")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kaudit-bench-") as scratch:
        log = (args.dir or Path(scratch)) / f"audit-{args.events}.log"
        if not log.exists():
            write(args.events, str(log))
        log.read_bytes()  # into the page cache, as a log being written is
        size = log.stat().st_size
        print(f"{args.events:,} events, {size / 1e6:,.0f} MB: kaudit-tui --print FILE | head -1")
        runs = []
        for number in range(args.runs):
            runs.append(one_run(log))
            first, ended = runs[-1]
            print(f"  run {number + 1}: first line {first:.3f} s, pipeline ended {ended:.3f} s")
        print(f"  median: first line {statistics.median(r[0] for r in runs):.3f} s, "
              f"pipeline ended {statistics.median(r[1] for r in runs):.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
