"""``--alerts`` and ``--rules``, end to end: Falco's JSON alert lines, and broken rules files
refused with exit code 2, naming file, line, rule and problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from kaudit_tui.core.detect import Ruleset
from kaudit_tui.core.detect.defaults import DEFAULT_RULES
from tests.conftest import DATA, LOGS
from tests.events import event_line

RULES = DATA / "rules" / "falco-k8s_audit_rules.yaml"
TRACES = LOGS / "falco-k8s-audit-trace-files.jsonl"
COMMUNITY = ("--no-default-rules", "--rules", RULES)
"""The community rules alone (without the built-in triage rules)."""
KEYS = ["time", "rule", "priority", "output", "output_fields", "source", "tags", "auditID"]


def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *map(str, args)], capture_output=True, timeout=120
    )


def alerts(result: subprocess.CompletedProcess[bytes]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def test_alerts_are_falco_json_lines_in_log_order() -> None:
    lines = alerts(run("--alerts", *COMMUNITY, TRACES))
    assert len(lines) == 66
    assert all(list(line) == KEYS for line in lines)
    assert {line["source"] for line in lines} == {"k8s_audit"}
    assert {line["tags"][0] for line in lines} == {"k8s"}
    assert {line["priority"] for line in lines} <= {
        "Warning",
        "Notice",
        "Informational",
        "Error",
    }
    ruleset = Ruleset.from_files([str(RULES)])
    expected = [
        (alert.rule, alert.audit_id)
        for line in TRACES.read_bytes().splitlines()
        for alert in ruleset.evaluate(orjson.loads(line))
    ]
    assert [(line["rule"], line["auditID"]) for line in lines] == expected
    first = lines[0]
    assert first["rule"] == "Anonymous Request Allowed"
    assert first["time"] == "2018-10-25T13:58:49.736141000Z"
    assert first["output"].startswith("13:58:49.736141000: Warning Request by anonymous user")
    assert first["output_fields"]["ka.user.name"] == "system:anonymous"
    assert first["output_fields"]["evt.time"] == 1540475929736141000
    assert first["auditID"] == "841d3e6d-90d2-43df-8da4-684738bee3d5"


def test_one_event_fires_several_rules() -> None:
    lines = alerts(run("--alerts", *COMMUNITY, "-q", "ns:kube-public", TRACES))
    assert [line["rule"] for line in lines] == [
        "Pod Created in Kube Namespace",
        "Service Account Created in Kube Namespace",
        "K8s Serviceaccount Created",
    ]
    assert lines[1]["auditID"] == lines[2]["auditID"]


def test_the_query_selects_the_events() -> None:
    lines = alerts(run("--alerts", *COMMUNITY, "-q", "resource:pods/exec", TRACES))
    assert [line["rule"] for line in lines] == ["Attach/Exec Pod"]
    assert lines[0]["output_fields"]["ka.uri.param[command]"] == "bash"


def test_a_query_counting_back_from_the_newest_event_applies_at_the_end() -> None:
    """``since:`` with a duration is applied once everything is read; then alerts are written."""
    streamed = alerts(run("--alerts", *COMMUNITY, TRACES))
    at_end = alerts(run("--alerts", *COMMUNITY, "-q", "since:100000h", TRACES))
    assert at_end == streamed
    recent = alerts(run("--alerts", *COMMUNITY, "-q", "since:1h", TRACES))
    assert 0 < len(recent) < len(streamed)


def test_later_rules_files_override_earlier_ones(tmp_path: Path) -> None:
    local = tmp_path / "local.yaml"
    local.write_text(
        "- rule: Attach/Exec Pod\n  priority: critical\n  override:\n    priority: replace\n"
    )
    lines = alerts(
        run(
            "--alerts",
            "--no-default-rules",
            "--rules",
            RULES,
            "--rules",
            local,
            "-q",
            "sub:exec",
            TRACES,
        )
    )
    assert [(line["rule"], line["priority"]) for line in lines] == [("Attach/Exec Pod", "Critical")]
    assert " Critical Attach/Exec to pod" in lines[0]["output"]


def test_skipped_rules_of_other_sources_are_noted(tmp_path: Path) -> None:
    syscall = tmp_path / "syscall.yaml"
    syscall.write_text(
        "- rule: Shell\n  desc: d\n  condition: proc.name = sh\n  output: o\n  priority: info\n"
    )
    result = run("--alerts", "--no-default-rules", "--rules", syscall, "--rules", RULES, TRACES)
    assert len(alerts(result)) == 66
    assert b"1 rule of other sources skipped (1 syscall); 48 k8s_audit rules loaded" in (
        result.stderr
    )


def test_alerts_without_any_rules_is_a_usage_error() -> None:
    result = run("--alerts", "--no-default-rules", TRACES)
    assert result.returncode == 2
    assert b"--no-default-rules needs rules: pass --rules FILE" in result.stderr
    assert result.stdout == b""


def test_alerts_alone_run_the_built_in_rules_and_rules_files_add_to_them() -> None:
    built_in = alerts(run("--alerts", TRACES))
    assert built_in
    assert all("kaudit" in line["tags"] for line in built_in)
    community = alerts(run("--alerts", *COMMUNITY, TRACES))
    both = alerts(run("--alerts", "--rules", RULES, TRACES))
    assert len(both) == len(built_in) + len(community)
    assert {line["rule"] for line in both} == {line["rule"] for line in built_in + community}


BASE = "- rule: R\n  desc: d\n  condition: {}\n  output: {}\n  priority: {}\n  source: k8s_audit\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            BASE.format("ka.verb = get and ka.bogus = 1", "o", "INFO"),
            ":3: rule 'R': condition column 19: unknown field 'ka.bogus'",
        ),
        (
            BASE.format("nomacro and ka.verb = get", "o", "INFO"),
            ":3: rule 'R': condition column 1: undefined macro 'nomacro'",
        ),
        (
            BASE.format("ka.verb in (get", "o", "INFO"),
            ":3: rule 'R': condition column 16: expected ',' or ')' in the list",
        ),
        (BASE.format("ka.verb = get", "o", "LOUD"), ":5: rule 'R': bad priority 'LOUD'"),
        (BASE.format("ka.verb = get", "'x=%ka.nope'", "INFO"), ":4: rule 'R': output: unknown"),
    ],
)
def test_broken_rules_files_are_usage_errors(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = run("--alerts", *COMMUNITY, "--rules", path, TRACES)
    assert result.returncode == 2
    assert result.stdout == b""
    message = result.stderr.decode()
    assert message.startswith(f"kaudit-tui: bad rules: {path}{words}"), message


def test_a_syntax_error_shows_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BASE.format("ka.verb = get and", "o", "INFO"))
    result = run("--alerts", "--rules", path, TRACES)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[1:] == [
        "  ka.verb = get and",
        "                   ^",
    ]


def test_a_missing_rules_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--alerts", "--rules", tmp_path / "nope.yaml", TRACES)
    assert result.returncode == 2
    assert b"nope.yaml: no such file" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--alerts", "--rules", RULES, "--print"], b"without --print"),
        (["--alerts", "--rules", RULES, "--rbac-for", "alice"], b"--rbac-for"),
    ],
)
def test_option_combinations(args: list, words: bytes) -> None:
    result = run(*args, TRACES)
    assert result.returncode == 2
    assert words in result.stderr


def test_alerts_with_stats_keep_stdout_json_lines() -> None:
    result = run("--alerts", *COMMUNITY, "--stats", TRACES)
    assert len(alerts(result)) == 66
    assert b"verb" in result.stderr


def test_what_a_terminal_could_act_on_is_escaped(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(event_line(user="mallory\u202e\x1b[31m", verb="get"))
    rules = tmp_path / "rules.yaml"
    rules.write_text(BASE.format("ka.verb = get", "'user=%ka.user.name'", "INFO"))
    result = run("--alerts", "--rules", rules, log)
    (line,) = alerts(result)
    assert b"\\u202e" in result.stdout and b"\\u001b" in result.stdout
    assert "\u202e" not in result.stdout.decode() and b"\x1b" not in result.stdout
    assert line["output"].endswith("user=mallory\u202e\x1b[31m")


def test_alert_and_priority_queries_select_events_by_the_rules_they_fire() -> None:
    ruleset = Ruleset.from_files([str(RULES)])
    events = [orjson.loads(line) for line in TRACES.read_bytes().splitlines()]
    fired = [[rule.name for rule in ruleset.matching(event)] for event in events]
    priorities = [{rule.priority for rule in ruleset.matching(event)} for event in events]

    printed = run(
        "--print", "--no-default-rules", "--rules", RULES, "-q", 'alert:"attach/exec pod"', TRACES
    )
    assert printed.returncode == 0, printed.stderr
    ids = [orjson.loads(line)["auditID"] for line in printed.stdout.splitlines()]
    assert ids == [
        e["auditID"] for e, names in zip(events, fired, strict=True) if "Attach/Exec Pod" in names
    ]
    assert len(ids) == 2

    quiet = run("--print", "--no-default-rules", "--rules", RULES, "-q", "alert:none", TRACES)
    assert len(quiet.stdout.splitlines()) == sum(not names for names in fired)

    # an event is selected by its alerts; --alerts then writes every alert of it
    lines = alerts(
        run("--alerts", "--no-default-rules", "--rules", RULES, "-q", "priority:>=warning", TRACES)
    )
    expected = [
        (name, event["auditID"])
        for event, names, p in zip(events, fired, priorities, strict=True)
        if "Warning" in p
        for name in names
    ]
    assert [(line["rule"], line["auditID"]) for line in lines] == expected
    assert {line["priority"] for line in lines} == {"Warning", "Informational"}

    wild = alerts(
        run(
            "--alerts",
            "--no-default-rules",
            "--rules",
            RULES,
            "-q",
            "alert:*ClusterRole*Created",
            TRACES,
        )
    )
    assert {line["rule"] for line in wild} >= {"K8s ClusterRole Created"}


def test_alert_queries_without_rules_say_what_they_need() -> None:
    result = run("--print", "--no-default-rules", "-q", "alert:any", TRACES)
    assert result.returncode == 2
    assert b"'alert' works once detection rules are loaded (--rules FILE)" in result.stderr
    result = run("--print", "--no-default-rules", "--rules", RULES, "-q", "priority:loud", TRACES)
    assert result.returncode == 2
    assert b"bad priority 'loud': expected a priority (emergency, alert," in result.stderr


def test_a_burst_alerts_once_at_the_event_that_fills_the_window(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(
        b"".join(
            event_line(
                audit_id=f"00000000-0000-4000-8000-{n:012d}",
                user="mallory",
                code=403,
                stage_time=f"2026-11-26T10:00:{n:02d}.000000Z",
            )
            for n in range(30)
        )
    )
    lines = alerts(run("--alerts", log))
    bursts = [line for line in lines if line["rule"] == "Burst of denied requests"]
    assert [line["auditID"] for line in bursts] == ["00000000-0000-4000-8000-000000000019"]
    assert bursts[0]["priority"] == "Warning"
    assert bursts[0]["time"] == "2026-11-26T10:00:19.000000000Z"
    assert bursts[0]["tags"] == ["burst", "kaudit"]


def test_alert_queries_use_the_built_in_rules_when_no_file_is_named() -> None:
    ruleset = Ruleset.from_files([str(DEFAULT_RULES)])
    events = [orjson.loads(line) for line in TRACES.read_bytes().splitlines()]
    # Burst rules fire only on a full window, which these few events never fill.
    expected = [e["auditID"] for e in events if any(r.rate is None for r in ruleset.matching(e))]
    printed = run("--print", "-q", "alert:any", TRACES)
    assert printed.returncode == 0, printed.stderr
    assert [orjson.loads(line)["auditID"] for line in printed.stdout.splitlines()] == expected
    assert expected
