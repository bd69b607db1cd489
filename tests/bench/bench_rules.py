"""Detections over a large log: the built-in triage rules plus the community k8s_audit rules.

Run: ``python tests/bench/bench_rules.py [-n EVENTS] [--pairs N]`` (default 1,000,000 events,
1 pair). It writes a log with the project's generator (tests/bench/generate.py), then:

1. in this process (a profiling aid; ``--whole-only`` skips it): indexes it, then scans every
   row with the scanner in the batches the pipeline delivers, and formats every alert as
   ``--alerts`` writes it (the renderer of :mod:`kaudit_tui.core.detect.render`), all in one
   process; wall and CPU time of each step, how many events the scanner had to read back, how
   many alerts;
2. whole processes, in turn (the order alternating from pair to pair): ``kaudit-tui --alerts
   --rules k8s_audit_rules.yaml FILE``, the same with the community rule that fires on most
   generated events turned off, and ``kaudit-tui --stats FILE`` (indexing alone, same file):
   wall and CPU time (user + system, children included, as ``wait4`` reports them). The
   difference (medians over the pairs) is the cost of the rules and of their alerts beyond
   indexing. ``--alerts`` shares the rows among forked children, one per core (see
   :mod:`kaudit_tui.headless.alerts`), so its CPU time is that of all of them.

The machine may be shared: CPU time is printed beside wall time because it does not grow when
other people's processes take the cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from kaudit_tui.core.detect.defaults import load_ruleset_files  # noqa: E402
from kaudit_tui.core.detect.render import AlertRenderer  # noqa: E402
from tests.bench.generate import write  # noqa: E402
from tests.conftest import index_files  # noqa: E402

COMMUNITY = ROOT / "tests" / "data" / "rules" / "falco-k8s_audit_rules.yaml"
BATCH = 65_536
LOUD = "Disallowed K8s User"
"""The community rule that fires on most generated events (their users are not in its list of
allowed users): the second whole-process run turns it off, to show the cost of the rules apart
from that of writing 200,000 alerts."""


def in_process(path: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    store = index_files(path, chunk=1 << 22)
    index_wall, index_cpu = time.perf_counter() - wall, time.process_time() - cpu
    ruleset = load_ruleset_files([str(COMMUNITY)])
    scanner = ruleset.scanner(store)
    rows = np.arange(store.first_id, store.next_id)
    wall, cpu = time.perf_counter(), time.process_time()
    fired = []
    for start in range(0, len(rows), BATCH):
        fired += scanner.scan(rows[start : start + BATCH])
    scan_wall, scan_cpu = time.perf_counter() - wall, time.process_time() - cpu
    renderer = AlertRenderer(ruleset, store)
    wall, cpu = time.perf_counter(), time.process_time()
    alerts = sum(len(renderer.lines(fired[at : at + 4096])) for at in range(0, len(fired), 4096))
    out_wall, out_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{len(store):,} events, {len(ruleset.rules)} rules (built-in + community)")
    print(f"  index (one process)   {index_wall:6.2f} s wall {index_cpu:6.2f} s CPU")
    print(f"  scan                  {scan_wall:6.2f} s wall {scan_cpu:6.2f} s CPU")
    print(f"  format alerts         {out_wall:6.2f} s wall {out_cpu:6.2f} s CPU")
    print(
        f"  {len(fired):,} events fired {alerts:,} alerts; "
        f"{scanner.events_read:,} events read back to decide rules"
    )


def run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (children included) of ``kaudit-tui ARGS``, output discarded."""
    wall = time.perf_counter()
    with open(os.devnull, "wb") as null:
        process = subprocess.Popen(
            [sys.executable, "-m", "kaudit_tui", *args], stdout=null, stderr=null
        )
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - wall
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"kaudit-tui {' '.join(args)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def whole(path: Path, pairs: int) -> None:
    quiet = path.with_name("quiet.yaml")
    quiet.write_text(f"- rule: {LOUD}\n  enabled: false\n")
    commands = {
        "alerts": ["--alerts", "--rules", str(COMMUNITY), str(path)],
        "fewer": ["--alerts", "--rules", str(COMMUNITY), "--rules", str(quiet), str(path)],
        "stats": ["--stats", str(path)],
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for pair in range(pairs):
        order = list(commands.items())
        for name, args in order if pair % 2 == 0 else order[::-1]:
            results[name].append(run(args))
            wall, cpu = results[name][-1]
            print(f"  {name:6} {wall:6.2f} s wall {cpu:6.2f} s CPU")
    medians = {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in results.items()
    }
    sw, sc = medians["stats"]
    print(f"kaudit-tui --stats (indexing alone):   {sw:6.2f} s wall {sc:6.2f} s CPU")
    for name, label in (("alerts", "built-in + community"), ("fewer", f"... without {LOUD!r}")):
        wall, cpu = medians[name]
        print(f"--alerts, {label}: {wall:6.2f} s wall {cpu:6.2f} s CPU")
        print(f"  beyond indexing: {wall - sw:6.2f} s wall {cpu - sc:6.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="events (default 1,000,000)")
    parser.add_argument("--pairs", type=int, default=1, help="whole-process pairs (default 1)")
    parser.add_argument(
        "--whole-only", action="store_true", help="skip the in-process profile (step 1)"
    )
    options = parser.parse_args()
    from kaudit_tui.headless.alerts import default_parts

    print(f"--alerts shares its rows among {default_parts()} process(es) on this machine")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.log"
        write(options.n, str(path))
        if not options.whole_only:
            in_process(path)
        whole(path, options.pairs)


if __name__ == "__main__":
    main()
