"""``--print`` streams: each burst's matches are written once it is indexed, not at the end.

Real processes and real pipes. The output must be the same bytes as printing after indexing
everything (the path relative times still take), whatever the input form.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from kaudit_tui.core.helperproc import compiled_scanner
from kaudit_tui.core.query import parse_query
from kaudit_tui.headless.run import counts_from_newest
from tests.bench.generate import write
from tests.conftest import LOGS
from tests.hostile import run as hostile
from tests.hostile.corpus import CORPUS

COMMAND = [sys.executable, "-m", "kaudit_tui"]
# The same program with streaming turned off, as for a query with relative times.
NOT_STREAMING = [
    sys.executable,
    "-c",
    "import sys, kaudit_tui.headless.run as run; from kaudit_tui.cli import main; "
    "run.counts_from_newest = lambda query: True; sys.exit(main(sys.argv[1:]))",
]
SAMPLES = [
    "falco-k8s-audit-trace-files.jsonl",  # JSON lines
    "k8s-website-docs-2017-eventlist-v1beta1.json",  # an EventList document
    "k8s-website-docs-2017-legacy-format.log",  # legacy text lines
    "liggitt-audit2rbac-demo-v1beta1-original.log",  # kubectl logs prefixes
    "sysdig-aks-eventhub-records.json",  # AKS records
    "sysdig-aks-single-event-pretty-bom.json",  # pretty-printed, byte-order mark
    "k8s-website-docs-2017-v1alpha1-v1beta1.jsonl",  # old API versions
]


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 35 MB of generated events: many batches, more than a pipe holds."""
    path = tmp_path_factory.mktemp("stream") / "audit.log"
    write(40_000, str(path))
    return path


def run(command: list[str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*command, *args], capture_output=True, timeout=120)


def bytes_read(pid: int) -> int:
    """Bytes the process has read so far (``read``/``pread`` calls: files, modules, pipes)."""
    with open(f"/proc/{pid}/io") as io:
        fields = dict(line.split(": ") for line in io.read().splitlines())
    return int(fields["rchar"])


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listed:
            found.update(int(child) for child in listed.read().split())
    return found


def test_the_first_line_comes_before_the_file_is_read(big_log: Path) -> None:
    process = subprocess.Popen(
        [*COMMAND, "--print", str(big_log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        first = process.stdout.readline()
        read_so_far = bytes_read(process.pid)
        assert process.poll() is None  # still indexing (and blocked on the full pipe)
        # Printing after indexing would have read the whole file (and its modules) by now.
        assert read_so_far < big_log.stat().st_size
        with big_log.open("rb") as log:
            assert first == log.readline()
        # Keep reading until the indexing helper process runs (an install without the compiled
        # scanner has one), then go away like ``head``.
        helper_expected = len(os.sched_getaffinity(0)) >= 2 and not compiled_scanner()
        helpers: set[int] = set()
        lines = 1
        while (not helpers if helper_expected else lines < 2000) and process.stdout.readline():
            lines += 1
            if lines % 500 == 0:
                helpers = children(process.pid)
        if helper_expected:
            assert helpers, "the helper process never started"
        assert process.poll() is None
        process.stdout.close()
        assert process.wait(60) == 0
        assert b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    for pid in helpers:  # stopped and reaped by the program before it ended
        assert not os.path.exists(f"/proc/{pid}"), f"helper {pid} left behind"


def test_print_into_head_exits_0_quietly(big_log: Path) -> None:
    shell = f"{' '.join(COMMAND)} --print {big_log} | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    with big_log.open("rb") as log:
        assert done.stdout == log.readline()


@pytest.mark.parametrize("name", SAMPLES)
def test_streamed_output_is_the_same_bytes(name: str) -> None:
    path = str(LOGS / name)
    streamed, at_the_end = run(COMMAND, "--print", path), run(NOT_STREAMING, "--print", path)
    assert streamed.returncode == at_the_end.returncode == 0
    assert streamed.stdout == at_the_end.stdout and streamed.stdout
    assert streamed.stderr == at_the_end.stderr


def test_streamed_output_on_a_terminal_is_the_same_escaped_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("--print", CORPUS / "events.jsonl", CORPUS / "legacy.log", CORPUS / "skipped.log")
    code, streamed = hostile.run_on_terminal(*args)
    assert code == 0 and streamed and b"\x1b" not in streamed
    monkeypatch.setattr(hostile, "COMMAND", NOT_STREAMING)
    assert hostile.run_on_terminal(*args) == (0, streamed)


def test_several_sources_stream_in_merged_order(big_log: Path) -> None:
    paths = [str(big_log), *(str(LOGS / name) for name in SAMPLES)]
    streamed, at_the_end = run(COMMAND, "--print", *paths), run(NOT_STREAMING, "--print", *paths)
    assert streamed.returncode == at_the_end.returncode == 0
    assert streamed.stdout == at_the_end.stdout
    with_query = ["--print", "-q", "verb:get,delete code:>=400 OR user:system:node:*", *paths]
    assert run(COMMAND, *with_query).stdout == run(NOT_STREAMING, *with_query).stdout


def test_relative_times_count_from_the_newest_event_of_the_whole_input(big_log: Path) -> None:
    done = run(COMMAND, "--print", "-q", "since:1s", str(big_log))
    assert done.returncode == 0, done.stderr
    printed = [orjson.loads(line)["stageTimestamp"] for line in done.stdout.splitlines()]
    events = [orjson.loads(line) for line in big_log.read_bytes().splitlines()]
    newest = max(event["stageTimestamp"] for event in events)
    # Streaming would have counted back from each batch's newest event and printed too much.
    assert 0 < len(printed) < len(events) / 2
    assert min(printed) >= f"{newest[:17]}{float(newest[17:-1]) - 1:09.6f}Z"


@pytest.mark.parametrize(
    ("text", "relative"),
    [
        ("since:15m", True),
        ("verb:get OR NOT (until:1h ns:x)", True),
        ("since:2026-11-26T10:00:00Z until:2026-11-27", False),
        ("verb:get 15m", False),
        ("", False),
    ],
)
def test_which_queries_count_from_the_newest_event(text: str, relative: bool) -> None:
    assert counts_from_newest(parse_query(text)) is relative


def test_max_events_with_streaming_prints_every_match_once(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    write(50, str(log))
    done = run(COMMAND, "--print", "--max-events", "5", str(log))
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout == log.read_bytes()
    done = run(COMMAND, "--print", "--stats", "--json", "--max-events", "5", str(log))
    assert done.stdout == log.read_bytes()
    stats, notice = done.stderr.split(b"}\nkaudit-tui: ")
    assert orjson.loads(stats + b"}")["events"] == 5
    assert notice == (
        b"--print wrote every matching event; the other outputs cover the newest 5 events; "
        b"45 older ones were dropped (--max-events)\n"
    )


@pytest.mark.parametrize("as_json", [False, True])
def test_stats_beside_print_go_to_stderr(as_json: bool) -> None:
    path = str(LOGS / "falco-k8s-audit-trace-files.jsonl")
    extra = ["--json"] if as_json else []
    both = run(COMMAND, "--print", "--stats", *extra, path)
    assert both.returncode == 0, both.stderr
    assert both.stdout == run(COMMAND, "--print", path).stdout  # JSON lines only, for jq
    alone = run(COMMAND, "--stats", *extra, path)
    assert alone.stdout and both.stderr.startswith(alone.stdout)
