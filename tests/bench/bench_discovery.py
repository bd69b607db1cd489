"""How long discovery takes before the UI can start (run on demand, prints figures).

    .venv/bin/python tests/bench/bench_discovery.py

Three cases: a kubeadm node (manifest found first), a node where only a running process
names the apiserver (every /proc/PID/cmdline is read, with a few hundred extra processes),
and a log directory with thousands of unrelated files next to the rotated backups.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kaudit_tui.discovery import discover
from kaudit_tui.discovery.rotation import rotated_set

NODES = Path(__file__).resolve().parent.parent / "data" / "nodes"


def timed(label: str, run: Callable[[], object], repeat: int) -> None:
    run()
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    per_call = (time.perf_counter() - start) / repeat
    print(f"{label:<58} {per_call * 1000:8.2f} ms per call")


def main() -> None:
    with tempfile.TemporaryDirectory() as top:
        root = Path(top) / "kubeadm"
        shutil.copytree(NODES / "kubeadm", root)
        timed("kubeadm node, manifest + 3 log files", lambda: discover(root=str(root)), 200)

        empty = Path(top) / "empty"
        empty.mkdir()
        sleepers = [subprocess.Popen(["sleep", "60"]) for _ in range(300)]
        apiserver = subprocess.Popen(
            ["kube-apiserver", "-c", "import time; time.sleep(60)", "--audit-log-path=/x.log"],
            executable=sys.executable,
        )
        try:
            time.sleep(0.5)
            count = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit())
            timed(
                f"process scan of /proc ({count} processes)",
                lambda: discover(root=str(empty), proc="/proc"),
                20,
            )
        finally:
            for proc in [*sleepers, apiserver]:
                proc.kill()
                proc.wait()

        logs = Path(top) / "logs"
        logs.mkdir()
        for i in range(10_000):
            (logs / f"other-{i}.log").touch()
        for day in range(1, 29):
            for hour in range(0, 24, 6):
                (logs / f"audit-2026-02-{day:02d}T{hour:02d}-00-00.000.log.gz").touch()
        (logs / "audit.log").touch()
        found = rotated_set(str(logs / "audit.log"))
        timed(
            f"rotated set: {len(found) - 1} backups among 10k other files",
            lambda: rotated_set(str(logs / "audit.log")),
            20,
        )


if __name__ == "__main__":
    main()
