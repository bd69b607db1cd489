"""A query that starts with a negation is passed to ``-q`` as typed, in every mode."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from kaudit_tui.cli import parse_args, query_values_attached
from tests.conftest import DATA, LOGS
from tests.e2e.tmux import Terminal, kaudit, needs_tmux

FALCO = LOGS / "falco-k8s-audit-trace-files.jsonl"
GCE = DATA / "policies" / "gce.yaml"
EVENTS = [orjson.loads(line) for line in FALCO.read_bytes().splitlines()]


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args], capture_output=True, timeout=120
    )


def not_get_or_list() -> list[dict]:
    return [e for e in EVENTS if e["verb"] not in ("get", "list")]


@pytest.mark.parametrize(
    "words",
    [
        ["-q", "-verb:get,list"],
        ["--query", "-verb:get,list"],
        ["--que", "-verb:get,list"],
        ["-q-verb:get,list"],
        ["-q=-verb:get,list"],
        ["--query=-verb:get,list"],
    ],
)
def test_print_takes_a_negated_query_in_every_spelling(words: list[str]) -> None:
    result = run("--print", *words, str(FALCO))
    assert result.returncode == 0, result.stderr
    printed = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert printed == not_get_or_list() and printed


def test_print_with_two_negations_and_the_file_first() -> None:
    user = EVENTS[0]["user"]["username"]
    result = run("--print", str(FALCO), "-q", f"-user:{user} -verb:get")
    assert result.returncode == 0, result.stderr
    printed = [orjson.loads(line) for line in result.stdout.splitlines()]
    expected = [e for e in EVENTS if e["user"]["username"] != user and e["verb"] != "get"]
    assert printed == expected


def test_stats_takes_a_negated_query() -> None:
    result = run("--stats", "--json", "-q", "-verb:get,list", str(FALCO))
    assert result.returncode == 0, result.stderr
    stats = orjson.loads(result.stdout)
    assert stats["events"] == len(not_get_or_list())
    verbs = {entry["value"]: entry["count"] for entry in stats["fields"]["verb"]}
    assert verbs == dict(Counter(e["verb"] for e in not_get_or_list()).most_common(10))


def test_explain_takes_a_negated_query() -> None:
    result = run("-p", str(GCE), "--explain", "-q", "-verb:get,list", str(FALCO))
    assert result.returncode == 0, result.stderr
    ids = [orjson.loads(line)["auditID"] for line in result.stdout.splitlines()]
    assert ids == [e["auditID"] for e in not_get_or_list()]


def test_a_query_option_without_a_value_is_still_a_usage_error() -> None:
    result = run("--print", str(FALCO), "-q")
    assert result.returncode == 2
    assert b"expected one argument" in result.stderr


def test_the_ui_gets_the_query_as_typed() -> None:
    args = parse_args(["-q", "-user:x ns:y", "audit.log"])
    assert args.query == "-user:x ns:y" and args.sources == ["audit.log"]
    args = parse_args(["audit.log", "--query", "-verb:get", "--theme", "kaudit-light"])
    assert args.query == "-verb:get" and args.theme == "kaudit-light"


def test_words_after_double_dash_are_left_alone() -> None:
    assert query_values_attached(["--", "-q", "x"]) == ["--", "-q", "x"]
    assert query_values_attached(["-q", "--", "f"]) == ["--query=--", "f"]


@pytest.mark.e2e
@needs_tmux
def test_the_ui_opens_with_a_negated_query(tmp_path: Path) -> None:
    term = Terminal(kaudit("-q", "-verb:get,list", str(FALCO)), tmp_path)
    try:
        term.wait_for(f"{len(not_get_or_list())} / {len(EVENTS)} events")
        term.keys("q")
        assert term.exit_code() == 0
    finally:
        term.close()
