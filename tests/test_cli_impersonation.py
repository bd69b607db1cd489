"""Impersonated requests in the headless modes, on the audit2rbac demo log, where an admin
(``system:admin``) impersonates ``alice``, ``bob`` and a service account: ``who:`` finds what was
done as them, and ``--stats`` counts them under ``as`` (expectations computed from the log's
JSON here, not from the index).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import orjson

from tests.conftest import LOGS
from tests.test_cli_stats import stats_json

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
FALCO = LOGS / "falco-k8s-audit-trace-files.jsonl"


def events() -> list[dict]:
    return [orjson.loads(line) for line in LIGGITT.read_bytes().splitlines() if line.strip()]


def impersonated(event: dict) -> str:
    return (event.get("impersonatedUser") or {}).get("username", "")


def acted_as(event: dict) -> str:
    return impersonated(event) or (event.get("user") or {}).get("username", "")


def code(event: dict) -> int:
    return (event.get("responseStatus") or {}).get("code", 0)


def print_ids(query: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", "--print", "-q", query, str(LIGGITT)],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [orjson.loads(line)["auditID"] for line in result.stdout.splitlines()]


def test_print_who_finds_the_requests_made_as_the_impersonated_user() -> None:
    expected = [e["auditID"] for e in events() if acted_as(e) == "alice"]
    assert expected, "the log impersonates alice"
    assert all(e["user"]["username"] != "alice" for e in events())
    assert print_ids("user:alice") == []
    assert print_ids("who:alice") == expected
    assert print_ids("who:alice,bob -code:2xx") == [
        e["auditID"] for e in events() if acted_as(e) in ("alice", "bob") and code(e) // 100 != 2
    ]


def test_stats_of_the_denied_requests_name_the_users_impersonated() -> None:
    denied = [e for e in events() if code(e) == 403]
    assert denied
    expected_as = Counter(impersonated(e) for e in denied if impersonated(e))
    assert expected_as
    stats = stats_json("--top", "1000", "-q", "code:403", str(LIGGITT))
    assert stats["events"] == len(denied)
    fields = stats["fields"]
    assert list(fields)[:2] == ["user", "as"]
    assert {e["value"]: e["count"] for e in fields["as"]} == dict(expected_as)
    assert {e["value"]: e["count"] for e in fields["user"]} == dict(
        Counter(e["user"]["username"] for e in denied)
    )


def test_stats_text_has_an_as_section_only_when_requests_are_impersonated() -> None:
    def text(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "kaudit_tui", "--stats", *args],
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.decode()

    with_as = text("-q", "code:403", str(LIGGITT)).split("\n\n")
    section = next(part for part in with_as if part.startswith("as\n"))
    denied_as = Counter(impersonated(e) for e in events() if code(e) == 403 and impersonated(e))
    lines = section.splitlines()[1:]
    assert {line.split()[1]: int(line.split()[0]) for line in lines} == dict(denied_as)
    assert [part.split("\n")[0] for part in with_as[1:3]] == ["user", "as"]
    # no impersonation among the matching events: no section, and none in JSON either
    assert not any(p.startswith("as\n") for p in text("-q", 'as:""', str(LIGGITT)).split("\n\n"))
    assert "as" not in stats_json(str(FALCO))["fields"]
