"""The standalone executable against the installed program, whole process (run on demand;
prints figures, asserts nothing).

Run: ``python tests/bench/bench_standalone.py [--pairs N] [--events N] [--log PATH]`` after
``python -m kaudit_tui.standalone``. Each figure is the median of N pairs of runs, the
executable and the installed program alternating (so both see the same machine load):

- size of ``dist/kaudit-tui`` (target <= 50 MB);
- start-up: ``--stats`` on a one-line log, from exec to exit (target <= 1.5 s);
- first screen: the UI on the 757-event sample in tmux, from starting it until events show
  (target <= 1.5 s);
- indexing: ``--stats`` on a generated log of 1,000,000 events, whole process, helper
  included (target: within 10% of the installed program).

Headless runs also give their CPU time (user + system, children included): on a loaded machine
it tells what the wall-clock time would be on an idle one better than the wall clock does.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.bench.generate import write  # noqa: E402

SAMPLE = REPO / "tests" / "data" / "logs" / "liggitt-audit2rbac-demo-v1beta1-original.log"
ONE_LINE = REPO / "tests" / "data" / "logs" / "falco-k8s-audit-trace-files.jsonl"
SHOWN = re.compile(r"\b[1-9][\d,]* / [\d,]+ events")


def installed() -> list[str]:
    script = Path(sys.executable).with_name("kaudit-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kaudit_tui"]


def wall(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, with the children it waited for)."""
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, command
    return elapsed, usage.ru_utime + usage.ru_stime


def first_screen(command: list[str], cwd: Path) -> tuple[float, None]:
    tmux = shutil.which("tmux")
    assert tmux, "tmux is needed for the first-screen figure"
    socket = f"kaudit-bench-{time.monotonic_ns()}"
    line = f"cd {shlex.quote(str(cwd))} && exec " + " ".join(shlex.quote(a) for a in command)
    began = time.perf_counter()
    subprocess.run([tmux, "-L", socket, "-f", os.devnull, "new-session", "-d", "-x", "160",
                    "-y", "50", line], check=True)  # fmt: skip
    try:
        while time.perf_counter() - began < 30:
            screen = subprocess.run([tmux, "-L", socket, "capture-pane", "-p"],
                                    capture_output=True, text=True).stdout  # fmt: skip
            if SHOWN.search(screen):
                return time.perf_counter() - began, None
            time.sleep(0.01)
        raise AssertionError("no events shown within 30 s")
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True)


def pairs(
    label: str,
    measure: Callable[[list[str]], tuple[float, float | None]],
    executable: Path,
    count: int,
    target: str,
) -> None:
    ours, theirs = [], []
    for _ in range(count):
        ours.append(measure([str(executable)]))
        theirs.append(measure(installed()))

    def say(runs: list[tuple[float, float | None]]) -> str:
        times = [run[0] for run in runs]
        text = f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}"
        if runs[0][1] is not None:
            text += f"; CPU {statistics.median(run[1] for run in runs):.2f} s"  # type: ignore[misc]
        return text + ")"

    ratio = statistics.median(r[0] for r in ours) / statistics.median(r[0] for r in theirs)
    print(f"{label}: executable {say(ours)}, installed {say(theirs)}; ratio {ratio:.2f}; "
          f"target {target}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executable", type=Path, default=REPO / "dist" / "kaudit-tui")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--log", type=Path, help="an existing log to index (default: generated)")
    parser.add_argument("--no-index", action="store_true", help="skip the 1M-event figure")
    args = parser.parse_args()
    executable = args.executable.resolve()
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True)
    print(version.stdout.strip(), f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"size: {executable.stat().st_size / 1e6:.1f} MB (target <= 50 MB)")
    with tempfile.TemporaryDirectory(prefix="kaudit-bench-") as temp:
        work = Path(temp)
        empty = work / "empty"
        empty.mkdir()
        one = work / "one.jsonl"
        one.write_bytes(ONE_LINE.read_bytes().splitlines(keepends=True)[0])
        start_up = lambda c: wall([*c, "--stats", str(one)], empty)  # noqa: E731
        pairs("start-up, --stats on a one-line log", start_up, executable, args.pairs, "<= 1.5 s")
        pairs(f"first screen on {SAMPLE.name} (tmux)",
              lambda c: first_screen([*c, str(SAMPLE)], empty), executable, args.pairs,
              "<= 1.5 s")  # fmt: skip
        log = args.log
        if args.no_index:
            return
        if log is None:
            log = work / "audit.jsonl"
            write(args.events, str(log))
        size = log.stat().st_size / 1e6
        pairs(f"indexing, --stats on {log.name} ({size:.0f} MB)",
              lambda c: wall([*c, "--stats", str(log)], empty), executable, args.pairs,
              "executable within 10% of installed")  # fmt: skip


if __name__ == "__main__":
    main()
