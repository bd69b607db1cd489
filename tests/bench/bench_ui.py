"""UI responsiveness with a million events (run on demand; prints figures, asserts nothing).

Run: ``python tests/bench/bench_ui.py [EVENTS] [--big-gb N]`` (defaults: 1,000,000 events and
a 1 GB file for the first-screen measurement; ``--big-gb 0`` skips it).

Measured, as medians over repeated runs, on a loaded app (Textual's headless driver, 160x50):

- query applied and screen redrawn: from submitting a query to the table's visible lines
  rebuilt for the new view (filter in the worker thread, view swap, strip rendering);
- page down and jump to end: the key's action plus the visible lines rebuilt;

and, in a real terminal under tmux, the time from starting ``kaudit-tui FILE`` until its status
shows every event (``N / N events``) against a standalone bare ``orjson.loads`` loop process on
the same file, alternated (``--pairs``), and the time until the first screen shows events on a
1 GB log. Targets: <= 100 ms for each median, <= 1 s to first screen, all indexed within 1.25
times the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaudit_tui.sources import open_sources  # noqa: E402
from kaudit_tui.ui.app import KauditApp  # noqa: E402
from kaudit_tui.ui.theming import bundled_dir  # noqa: E402
from tests.bench.bench_whole import BARE_LOOP  # noqa: E402
from tests.bench.generate import events  # noqa: E402

QUERIES = ("verb:delete", "code:>=400", "ns:team-7", "user:system:node:*", "", "resource:secrets")
SIZE = (160, 50)


def write_log(path: Path, count: int) -> None:
    with open(path, "wb") as out:
        for line in events(count):
            out.write(line + b"\n")


def write_big(path: Path, gigabytes: float) -> int:
    """Repeat a 100k-event block until the file reaches the size (fast to produce)."""
    block = b"".join(line + b"\n" for line in events(100_000, seed=11))
    target = int(gigabytes * 1e9)
    written = 0
    with open(path, "wb") as out:
        while written < target:
            out.write(block)
            written += len(block)
    return written


def report(label: str, samples: list[float], target_ms: float) -> None:
    median = statistics.median(samples) * 1000
    verdict = "ok" if median <= target_ms else "SLOW"
    print(
        f"{label:<38} median {median:7.1f} ms   p90 {_p90(samples) * 1000:7.1f} ms   "
        f"(target <= {target_ms:.0f} ms: {verdict})"
    )


def _p90(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


async def measure_app(path: Path, count: int) -> None:
    app = KauditApp(open_sources([str(path)], follow=False), theme_dirs=[bundled_dir()])
    async with app.run_test(size=SIZE) as pilot:
        start = time.perf_counter()
        while len(app.store) < count or app.live.source_state() != "ended":
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        loaded = time.perf_counter() - start
        print(f"{count:,} events loaded through the app in {loaded:.1f} s "
              f"({count / loaded:,.0f} events/s)")  # fmt: skip
        table = app.table

        def redraw() -> None:
            for y in range(table.size.height):
                table.render_line(y)

        async def apply(text: str) -> None:
            app._submit_filter(text)
            while app.filtering or app.query_text != text:
                await asyncio.sleep(0.001)
            app._update()
            redraw()

        samples = []
        for _ in range(3):
            for text in QUERIES:
                began = time.perf_counter()
                await apply(text)
                samples.append(time.perf_counter() - began)
                print(f"    {text or '(no filter)':<24} {len(table.rows):>9,} rows "
                      f"{samples[-1] * 1000:7.1f} ms")  # fmt: skip
        report("query applied + screen redrawn", samples, 100)

        await apply("")
        table.action_first()
        redraw()
        report("page down", timed(lambda: (table.action_page_down(), redraw()), 50), 100)
        to_end = timed_pair(table.action_first, lambda: (table.action_last(), redraw()))
        report("jump to end", to_end, 100)
        to_start = timed_pair(table.action_last, lambda: (table.action_first(), redraw()))
        report("jump to start", to_start, 100)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return samples


def timed_pair(setup: Callable[[], object], action: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(20):
        setup()
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return samples


def _compiled() -> None:
    # An installed package has its bytecode compiled at install time (pip does it); a checkout
    # run with PYTHONDONTWRITEBYTECODE would recompile every module on each start instead.
    package = Path(__file__).resolve().parents[2] / "tui"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def in_tmux(path: Path, shown: Callable[[str], bool], timeout: float) -> tuple[float, str] | None:
    """Start ``kaudit-tui FILE`` in tmux (160x50) and poll its screen until ``shown`` holds:
    the seconds since the start, and the screen then; None if not within ``timeout``."""
    tmux = shutil.which("tmux")
    assert tmux is not None
    socket = f"kaudit-bench-{time.monotonic_ns()}"
    command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "kaudit_tui", str(path)))
    began = time.perf_counter()
    subprocess.run([tmux, "-L", socket, "-f", "/dev/null", "new-session", "-d", "-x", "160",
                    "-y", "50", command], check=True)  # fmt: skip
    try:
        while time.perf_counter() - began < timeout:
            screen = subprocess.run([tmux, "-L", socket, "capture-pane", "-p"],
                                    capture_output=True, text=True).stdout  # fmt: skip
            if shown(screen):
                return time.perf_counter() - began, screen
            time.sleep(0.01)
        return None
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True)


def all_indexed(path: Path, count: int, pairs: int) -> None:
    """Time from starting ``kaudit-tui FILE`` in tmux until its status shows every event
    (``N / N events``), against a standalone bare ``orjson.loads`` loop process on the same
    file, alternated; medians of the pairs."""
    if shutil.which("tmux") is None:
        print("all indexed in the UI: skipped (tmux is not installed)")
        return
    _compiled()
    done = f"{count:,} / {count:,} events"
    bare = [sys.executable, "-c", BARE_LOOP, str(path)]
    ui_times, bare_times = [], []
    for pair in range(pairs):
        for which in ("bare", "ui") if pair % 2 else ("ui", "bare"):
            if which == "bare":
                began = time.perf_counter()
                subprocess.run(bare, check=True)
                bare_times.append(time.perf_counter() - began)
                continue
            found = in_tmux(path, lambda screen: done in screen, 120)
            if found is None:
                print("all indexed in the UI: not within 120 s")
                return
            ui_times.append(found[0])
        print(
            f"  pair {pair + 1}: UI all indexed {ui_times[-1]:.2f} s, "
            f"bare loop {bare_times[-1]:.2f} s, ratio {ui_times[-1] / bare_times[-1]:.2f}"
        )
    ui, loop = statistics.median(ui_times), statistics.median(bare_times)
    print(
        f"all indexed in the UI ({count:,} events, {path.stat().st_size / 1e6:,.0f} MB, "
        f"tmux 160x50): median {ui:.2f} s against a bare loop {loop:.2f} s, "
        f"ratio {ui / loop:.2f}"
    )


def _status_with_events(screen: str) -> str | None:
    """The status line once the screen shows events (not ``0 / 0 events``), else None."""
    if " events" not in screen or "\n0 / 0 events" in screen or ":" not in screen:
        return None
    lines = [line for line in screen.splitlines() if " events" in line]
    return lines[-1] if lines and not lines[-1].startswith("0 / 0") else None


def first_screen(path: Path) -> None:
    if shutil.which("tmux") is None:
        print("time to first screen: skipped (tmux is not installed)")
        return
    _compiled()
    found = in_tmux(path, lambda screen: _status_with_events(screen) is not None, 30)
    if found is None:
        print("time to first screen: no events shown within 30 s")
        return
    elapsed, screen = found
    verdict = "ok" if elapsed <= 1.0 else "SLOW"
    print(f"time to first screen on {path.stat().st_size / 1e9:.2f} GB: "
          f"{elapsed * 1000:.0f} ms (target <= 1000 ms: {verdict})")  # fmt: skip
    print(f"    status then: {(_status_with_events(screen) or '').strip()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--big-gb", type=float, default=1.0)
    parser.add_argument("--pairs", type=int, default=3, help="for the all-indexed time")
    parser.add_argument(
        "--terminal-only",
        action="store_true",
        help="only the times measured in tmux (all indexed, first screen)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        log = Path(tmp) / "audit.log"
        began = time.perf_counter()
        write_log(log, args.events)
        print(f"generated {args.events:,} events ({log.stat().st_size / 1e6:,.0f} MB) "
              f"in {time.perf_counter() - began:.1f} s")  # fmt: skip
        all_indexed(log, args.events, args.pairs)
        if not args.terminal_only:
            asyncio.run(measure_app(log, args.events))
        log.unlink()
        if args.big_gb > 0:
            big = Path(tmp) / "big-audit.log"
            write_big(big, args.big_gb)
            first_screen(big)


if __name__ == "__main__":
    main()
