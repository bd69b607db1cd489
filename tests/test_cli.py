"""The command line as scripts use it: real subprocesses, real files and pipes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from tests.conftest import LOGS

FALCO = LOGS / "falco-k8s-audit-trace-files.jsonl"
LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def test_print_writes_json_lines_exactly_as_read() -> None:
    result = run("--print", str(FALCO))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == FALCO.read_bytes().splitlines()


def test_print_reads_a_pipe_and_strips_kubectl_prefixes(tmp_path: Path) -> None:
    lines = LIGGITT.read_bytes().splitlines()[:50]
    prefixed = b"".join(
        b"[pod/kube-apiserver-cp1/kube-apiserver] 2026-11-26T10:00:00.000000001Z " + line + b"\n"
        for line in lines
    )
    result = run("--print", stdin=prefixed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == lines


def test_print_with_a_query_selects_events() -> None:
    result = run("--print", "-q", "verb:delete resource:secrets", str(FALCO))
    assert result.returncode == 0, result.stderr
    events = [orjson.loads(line) for line in result.stdout.splitlines()]
    expected = [
        orjson.loads(line)
        for line in FALCO.read_bytes().splitlines()
        if b'"verb":"delete"' in line and b'"resource":"secrets"' in line
    ]
    assert events == expected and events


def test_stats_counts_by_field() -> None:
    result = run("--stats", "--json", str(LIGGITT))
    assert result.returncode == 0, result.stderr
    stats = orjson.loads(result.stdout)
    assert stats["events"] == stats["total"] == 757
    verbs = {entry["value"]: entry["count"] for entry in stats["fields"]["verb"]}
    assert verbs == {"get": 379, "delete": 164, "patch": 120, "create": 80, "list": 14}
    stages = {entry["value"]: entry["count"] for entry in stats["fields"]["stage"]}
    assert stages == {"ResponseComplete": 437, "RequestReceived": 320}


def test_stats_text_shows_shown_over_total() -> None:
    result = run("--stats", "-q", "code:403", str(LIGGITT))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0].startswith("11 / 757 events")


def test_skipped_lines_are_reported_on_stderr(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    log.write_bytes(FALCO.read_bytes().splitlines()[0] + b"\nnot an event\n{broken\n")
    result = run("--print", str(log))
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 1
    assert b"skipped 2 lines" in result.stderr
    assert b"Traceback" not in result.stderr


def test_missing_file_exits_1_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = run("--print", str(missing))
    assert result.returncode == 1
    assert str(missing).encode() in result.stderr
    assert b"Traceback" not in result.stderr


def test_bad_query_exits_2_pointing_at_the_column() -> None:
    result = run("--print", "-q", "verb:get usr:alice", str(FALCO))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "column 10" in message and "user" in message
    assert "Traceback" not in message


def test_bad_option_exits_2() -> None:
    assert run("--no-such-option").returncode == 2


def test_print_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_bytes(LIGGITT.read_bytes() * 20)
    with subprocess.Popen(
        [sys.executable, "-m", "kaudit_tui", "--print", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert orjson.loads(first)["kind"] == "Event"
    assert code == 0
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith(b"kaudit-tui ")
