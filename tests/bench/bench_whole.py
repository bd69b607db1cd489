"""Indexing as the user waits for it: whole processes, the command against a bare loop.

Run: ``python tests/bench/bench_whole.py [EVENTS ...] [--pairs N] [--command ARGS]
[--startup RUNS]`` (default 300,000 and 1,000,000 events, 3 pairs). For each size it writes a
log with the project's generator, then runs, in turn and alternating which goes first:

- ``kaudit-tui --stats FILE`` as a user types it (start-up, reading, merging, indexing, the
  helper process, output), and
- a standalone bare loop process: ``for line in open(FILE, 'rb'): orjson.loads(line)``.

It prints each pair, then the medians: wall time of both, their ratio, CPU time (user +
system, the helper process included, as ``wait4`` reports children), and peak resident memory
(of the process tree, sampled, so the helper process counts; for kaudit-tui also per event).
A ratio of 1.0 means the tool indexes as fast as a bare JSON loop merely parses the file.

``--startup RUNS`` first measures start-up the same way: the command on a one-line log, from
process start to exit, median of RUNS runs. Every command runs with Python's bytecode caches
written and used (``PYTHONDONTWRITEBYTECODE`` is dropped from its environment), as an
installed program has them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.generate import write  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""As a user runs the program: with bytecode caches."""

BARE_LOOP = (
    "import sys, orjson\n"
    "loads = orjson.loads\n"
    "with open(sys.argv[1], 'rb') as log:\n"
    "    for line in log:\n"
    "        loads(line)\n"
)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_rss: int
    """Bytes: the largest sum of the resident sets of the process and its children (the
    helper process included), sampled every 20 ms."""


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants now (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(command: list[str]) -> Run:
    """Run ``command`` to its end with output discarded; wall, CPU and peak memory."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENVIRONMENT
    )
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} exited {process.returncode}")
    peak = max(peak, usage.ru_maxrss * 1024)  # a run shorter than one sample
    return Run(wall, usage.ru_utime + usage.ru_stime, peak)


def measure_exactly(command: list[str]) -> Run:
    """Run ``command`` to its end, waiting for it without sampling its memory: wall time to the
    exact moment it ends (``measure`` notices the end at its next sample, up to 20 ms late,
    which matters for a run of a few tenths of a second); its own peak resident memory."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENVIRONMENT
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} exited {process.returncode}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


def kaudit_command(extra: list[str]) -> list[str]:
    here = Path(sys.executable).with_name("kaudit-tui")
    program = [str(here)] if here.exists() else [sys.executable, "-m", "kaudit_tui"]
    return [*program, *extra]


def bench(events: int, pairs: int, extra: list[str], folder: Path) -> None:
    path = folder / f"audit-{events}.log"
    if not path.exists():
        write(events, path)
    size = path.stat().st_size
    tool = kaudit_command([*extra, str(path)])
    bare = [sys.executable, "-c", BARE_LOOP, str(path)]
    measure(bare)  # the file into the page cache, for both alike
    print(f"\n{events:,} events, {size / 1e6:,.0f} MB: kaudit-tui {' '.join(extra)} vs bare loop")
    tools, bares = [], []
    for pair in range(pairs):
        order = [(tool, tools), (bare, bares)]
        for command, runs in order if pair % 2 == 0 else reversed(order):
            runs.append(measure(command))
        t, b = tools[-1], bares[-1]
        print(f"  pair {pair + 1}: kaudit-tui {t.wall:6.2f} s, bare {b.wall:6.2f} s, "
              f"ratio {t.wall / b.wall:.2f}")  # fmt: skip
    ratios = [t.wall / b.wall for t, b in zip(tools, bares, strict=True)]
    tool_wall = statistics.median(r.wall for r in tools)
    bare_wall = statistics.median(r.wall for r in bares)
    tool_cpu = statistics.median(r.cpu for r in tools)
    bare_cpu = statistics.median(r.cpu for r in bares)
    peak = max(r.peak_rss for r in tools)
    print(f"  median wall: kaudit-tui {tool_wall:.2f} s, bare loop {bare_wall:.2f} s, "
          f"ratio {statistics.median(ratios):.2f} (pairs: "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    print(f"  median CPU:  kaudit-tui {tool_cpu:.2f} s, bare loop {bare_cpu:.2f} s, "
          f"ratio {tool_cpu / bare_cpu:.2f}")  # fmt: skip
    print(f"  peak RSS:    kaudit-tui {peak / 1e6:,.0f} MB ({peak / events:,.0f} B/event), "
          f"bare loop {max(r.peak_rss for r in bares) / 1e6:,.0f} MB")  # fmt: skip


def startup(runs: int, extra: list[str], folder: Path) -> None:
    """Median start-up (process start to exit) of the command on a one-line log."""
    path = folder / "audit-1.log"
    if not path.exists():
        write(1, path)
    command = kaudit_command([*extra, str(path)])
    measure_exactly(command)  # bytecode caches written
    done = [measure_exactly(command) for _ in range(runs)]
    print(f"\nstart-up, kaudit-tui {' '.join(extra)} on a one-line log ({runs} runs): median "
          f"wall {statistics.median(r.wall for r in done):.3f} s, CPU "
          f"{statistics.median(r.cpu for r in done):.3f} s, peak RSS "
          f"{max(r.peak_rss for r in done) / 1e6:,.0f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("events", nargs="*", type=int, default=[300_000, 1_000_000])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--command", default="--stats", help="kaudit-tui arguments before FILE (default --stats)"
    )
    parser.add_argument("--dir", type=Path, help="where to keep the generated logs")
    parser.add_argument(
        "--startup", type=int, default=0, metavar="RUNS", help="measure start-up first"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kaudit-bench-") as scratch:
        folder = args.dir or Path(scratch)
        if args.startup:
            startup(args.startup, args.command.split(), folder)
        for events in args.events:
            bench(events, args.pairs, args.command.split(), folder)


if __name__ == "__main__":
    main()
