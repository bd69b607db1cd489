"""``--explain``, ``--policy-report`` and the ``rule:``/``logged:`` query fields, end to end."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import orjson
import pytest

from kaudit_tui.core.policy import attributes_from_event, explain_record, load_policy
from tests.conftest import DATA, LOGS

GCE = DATA / "policies" / "gce.yaml"
WEBSITE = DATA / "policies" / "k8s-website-audit-policy.yaml"
LOG_FILES = [
    LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log",
    LOGS / "falco-k8s-audit-trace-files.jsonl",
]


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args], capture_output=True, timeout=120
    )


def expected_records(policy_path, paths) -> list[dict]:
    """The same decisions computed the other way: each event dict straight to the engine."""
    policy = load_policy(str(policy_path))
    records = []
    for path in paths:
        for line in path.read_bytes().splitlines():
            event = orjson.loads(line)
            decision = policy.evaluate(attributes_from_event(event))
            records.append(
                explain_record(decision, event["auditID"], event.get("stage"), **request(event))
            )
    return records


def request(event: dict) -> dict:
    """What an ``--explain`` record says of the request, read straight from the event."""
    ref = event.get("objectRef") or {}
    resource, sub = ref.get("resource", ""), ref.get("subresource", "")
    return {
        "verb": event.get("verb"),
        "user": (event.get("user") or {}).get("username"),
        "resource": f"{resource}/{sub}" if sub else resource,
        "namespace": ref.get("namespace"),
        "name": ref.get("name"),
        "code": (event.get("responseStatus") or {}).get("code"),
    }


@pytest.mark.parametrize("policy", [GCE, WEBSITE], ids=lambda p: p.name)
def test_explain_agrees_with_evaluating_each_event(policy) -> None:
    result = run("--policy", str(policy), "--explain", *map(str, LOG_FILES))
    assert result.returncode == 0, result.stderr
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert records == expected_records(policy, LOG_FILES)
    assert list(records[0]) == [
        "auditID", "stage", "rule", "level", "omitStages", "omitManagedFields", "logged",
        "verb", "user", "resource", "namespace", "name", "code",
    ]  # fmt: skip
    assert any(r["code"] is None for r in records) and any(type(r["code"]) is int for r in records)
    assert any("/" in (r["resource"] or "") for r in records)  # resource/subresource


def test_explain_honours_the_query() -> None:
    result = run("-p", str(GCE), "--explain", "-q", "verb:delete", str(LOG_FILES[1]))
    assert result.returncode == 0, result.stderr
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    deletes = [
        orjson.loads(line)["auditID"]
        for line in LOG_FILES[1].read_bytes().splitlines()
        if orjson.loads(line)["verb"] == "delete"
    ]
    assert [r["auditID"] for r in records] == deletes


def test_rule_and_logged_query_fields_select_by_decision() -> None:
    records = expected_records(GCE, LOG_FILES[:1])
    by_rule = Counter(r["rule"] for r in records)
    rule, count = by_rule.most_common(1)[0]
    result = run("-p", str(GCE), "--stats", "--json", "-q", f"rule:{rule}", str(LOG_FILES[0]))
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout)["events"] == count
    not_logged = sum(1 for r in records if not r["logged"])
    result = run("-p", str(GCE), "--stats", "--json", "-q", "logged:false", str(LOG_FILES[0]))
    assert orjson.loads(result.stdout)["events"] == not_logged > 0


def test_policy_report_json_totals() -> None:
    result = run("-p", str(GCE), "--policy-report", "--json", *map(str, LOG_FILES))
    assert result.returncode == 0, result.stderr
    report = orjson.loads(result.stdout)
    lines = [line for path in LOG_FILES for line in path.read_bytes().splitlines()]
    assert report["total"]["events"] == len(lines)
    assert report["total"]["bytesLogged"] == sum(len(line) for line in lines)
    assert 0 < report["total"]["bytesWouldWrite"] < report["total"]["bytesLogged"]
    rules = {row["rule"]: row for row in report["rules"]}
    counts = Counter(r["rule"] for r in expected_records(GCE, LOG_FILES))
    assert {rule: row["events"] for rule, row in rules.items() if row["events"]} == dict(counts)
    assert None in rules and len(rules) == 18  # 17 GCE rules and "no rule"
    assert set(report["rules"][0]) == {"rule", "level", "events", "bytesLogged", "bytesWouldWrite"}


def test_policy_report_text_has_a_totals_line() -> None:
    result = run("-p", str(GCE), "--policy-report", str(LOG_FILES[0]))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "total" in text and "no rule" in text and "would write" in text


def test_a_broken_policy_names_file_and_line_and_exits_2(tmp_path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n")
    result = run("-p", str(policy), "--explain", str(LOG_FILES[1]))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert f"{policy}:4" in message and "level" in message and "Loud" in message
    assert "Traceback" not in message


def test_explain_without_a_policy_is_a_usage_error() -> None:
    result = run("--explain", str(LOG_FILES[1]))
    assert result.returncode == 2 and b"--policy" in result.stderr


def test_a_missing_policy_file_is_said_in_plain_words(tmp_path) -> None:  # noqa: ANN001
    missing = tmp_path / "nonexistent.yaml"
    done = run("--stats", "-p", str(missing), str(LOG_FILES[0]))
    assert done.returncode == 2
    assert done.stderr.decode() == f"kaudit-tui: policy {missing}: no such file\n"
