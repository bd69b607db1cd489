"""OR, NOT and parentheses in the headless modes: real subprocesses on a real sample log."""

from __future__ import annotations

import orjson

from tests.test_cli import LIGGITT, run


def events_where(verbs: set[str]) -> list[dict]:
    events = [orjson.loads(line) for line in LIGGITT.read_bytes().splitlines()]
    return [event for event in events if event["verb"] in verbs]


def test_print_with_or_selects_either_side() -> None:
    result = run("--print", "-q", "verb:get OR verb:list", str(LIGGITT))
    assert result.returncode == 0, result.stderr
    printed = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert printed == events_where({"get", "list"})
    assert len(printed) == 379 + 14


def test_print_with_a_negated_group_selects_the_rest() -> None:
    result = run("--print", "-q", "NOT (verb:get OR verb:list)", str(LIGGITT))
    assert result.returncode == 0, result.stderr
    printed = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert printed == events_where({"delete", "patch", "create"})


def test_stats_with_or_counts_either_side() -> None:
    result = run("--stats", "--json", "-q", "verb:get OR verb:list", str(LIGGITT))
    assert result.returncode == 0, result.stderr
    stats = orjson.loads(result.stdout)
    assert (stats["events"], stats["total"]) == (393, 757)
    verbs = {entry["value"]: entry["count"] for entry in stats["fields"]["verb"]}
    assert verbs == {"get": 379, "list": 14}

    text = run("--stats", "-q", "(verb:get OR verb:list) resource:pods", str(LIGGITT))
    assert text.returncode == 0, text.stderr
    pods = [
        e for e in events_where({"get", "list"}) if e.get("objectRef", {}).get("resource") == "pods"
    ]
    assert text.stdout.decode().splitlines()[0].startswith(f"{len(pods)} / 757 events")


def test_an_unbalanced_parenthesis_exits_2_pointing_at_it() -> None:
    result = run("--print", "-q", "(verb:get OR verb:list", str(LIGGITT))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "column 1: unclosed '('" in message and "Traceback" not in message
    result = run("--stats", "-q", "verb:get) OR verb:list", str(LIGGITT))
    assert result.returncode == 2
    assert "column 9: unbalanced ')'" in result.stderr.decode()
