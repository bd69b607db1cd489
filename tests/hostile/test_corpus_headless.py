"""The hostile corpus through the headless modes: nothing raw reaches the terminal.

Text output (``--stats``, ``--policy-report``, warnings, errors, skipped-line reasons) shows
every control character, bidi control and zero-width character as a visible escape. JSON
output keeps its meaning (the same strings after decoding) but writes those characters as
``\\u`` escapes. ``--print`` gives back exactly the bytes it read, on a pipe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.corpus import CORPUS, corpus_events, unsafe_characters
from tests.hostile.run import run, run_on_terminal

EVENTS = CORPUS / "events.jsonl"
LEGACY = CORPUS / "legacy.log"
SKIPPED = CORPUS / "skipped.log"
POLICY = CORPUS / "policy.yaml"
ALL = (EVENTS, LEGACY, SKIPPED)


def text_of(output: bytes) -> str:
    """Output as text: it must be valid UTF-8, and must hold nothing a terminal acts on."""
    text = output.decode("utf-8")
    assert not unsafe_characters(text), sorted(set(unsafe_characters(text)))
    return text


def test_stats_text_shows_every_payload_escaped() -> None:
    result = run("--stats", "--top", "50", *ALL)
    assert result.returncode == 0
    shown = text_of(result.stdout)
    assert shown.splitlines()[0] == "20 / 20 events (6 lines skipped)"
    for visible in ("\\x1b]52;c;", "\\x1b[2J", "\\x9b", "\\u202e", "\\u200b", "\\u2028", "\\x7f"):
        assert visible in shown
    reasons = text_of(result.stderr)
    assert "skipped 6 lines that held no audit event" in reasons
    assert "kind '\\x1b[31mPod\\x1b[0m\\u202e'" in reasons  # quoted in its skip reason


def test_stats_json_keeps_the_values_and_escapes_them() -> None:
    result = run("--stats", "--json", "--top", "50", EVENTS)
    assert result.returncode == 0
    stats = json.loads(text_of(result.stdout))
    users = {entry["value"] for entry in stats["fields"]["user"]}
    logged = {json.loads(line)["user"]["username"] for line in corpus_events()[:15]}
    assert logged <= users


def test_explain_keeps_every_audit_id_and_escapes_it() -> None:
    result = run("--explain", "--policy", POLICY, EVENTS)
    assert result.returncode == 0
    records = [json.loads(line) for line in text_of(result.stdout).splitlines()]
    assert [r["auditID"] for r in records] == [json.loads(e)["auditID"] for e in corpus_events()]
    warning = text_of(result.stderr)
    assert 'unknown field "verbs\\x1b[31m"' in warning


@pytest.mark.parametrize("json_output", [False, True])
def test_policy_report_is_safe(json_output: bool) -> None:
    result = run("--policy-report", "--policy", POLICY, *ALL, *(["--json"] if json_output else []))
    assert result.returncode == 0
    text_of(result.stdout)
    text_of(result.stderr)


def test_a_refused_policy_quotes_its_payloads_escaped() -> None:
    result = run("--stats", "--policy", CORPUS / "bad-policy.yaml", EVENTS)
    assert result.returncode == 2
    message = text_of(result.stderr)
    assert "\\x1b]52;c;YmFk\\x07" in message and "Traceback" not in message


def test_print_gives_back_exactly_the_lines_it_read() -> None:
    result = run("--print", EVENTS, SKIPPED)
    assert result.returncode == 0
    assert result.stdout == EVENTS.read_bytes()


def test_print_of_legacy_lines_is_json_with_the_controls_escaped() -> None:
    result = run("--print", LEGACY)
    assert result.returncode == 0
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["user"]["username"] == "alice\x1b]52;c;ZWNobyBwd25lZA==\x07"
    assert b"\x1b" not in result.stdout


def test_print_to_a_terminal_escapes_what_the_terminal_would_act_on() -> None:
    code, shown = run_on_terminal("--print", EVENTS)
    assert code == 0
    lines = text_of(shown).splitlines()
    assert [json.loads(line) for line in lines] == [json.loads(e) for e in corpus_events()]


def test_stats_on_a_terminal_is_safe() -> None:
    code, shown = run_on_terminal("--stats", *ALL)
    assert code == 0
    text_of(shown)


def test_a_query_with_escapes_fails_with_a_safe_message() -> None:
    result = run("--stats", "-q", 'user:"\x1b]52;c;eA==\x07', EVENTS)
    assert result.returncode == 2
    message = text_of(result.stderr)
    assert "unclosed quote" in message
    typed, caret = message.splitlines()[-2:]
    assert caret.index("^") == typed.index('"')


def test_a_query_for_an_escaped_value_finds_its_event() -> None:
    result = run("--print", "-q", 'user:"alice\x1b]52;c;*"', EVENTS)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 2  # the BEL- and the ST-terminated payloads


def test_a_missing_source_with_escapes_in_its_name_is_reported_safely(tmp_path: Path) -> None:
    result = run("--stats", tmp_path / "audit\x1b]0;x\x07.log")
    assert result.returncode == 1
    assert "\\x1b]0;x\\x07.log: no such file" in text_of(result.stderr)


def test_a_huge_request_response_event_is_indexed_and_printed_whole(tmp_path: Path) -> None:
    body = {"kind": "ConfigMap", "data": {f"k{i}": "\x1b[2J" + "v" * 1000 for i in range(9000)}}
    event = json.loads(corpus_events()[0])
    event.update(level="RequestResponse", requestObject=body, responseObject=body)
    line = json.dumps(event).encode()
    log = tmp_path / "huge.log"
    log.write_bytes(line + b"\n" + corpus_events()[1] + b"\n")
    assert len(line) > 16 << 20
    stats = run("--stats", log)
    assert text_of(stats.stdout).startswith("2 / 2 events")
    printed = run("--print", log)
    assert printed.stdout == log.read_bytes()
