"""``kaudit_rate``: rules that fire on N matching events of one group within a time window.

Expected alerts follow the documented semantics (tui/core/detect/rate.py, README): the event
that brings N into ``(t - window, t]`` fires, then the group is quiet for a window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from kaudit_tui.core.detect import RulesError, Ruleset, load_rules_text
from kaudit_tui.core.parallel import ParallelIngestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.conftest import index_files
from tests.events import audit_event

RULE = """- rule: Many gets
  desc: d
  condition: ka.verb=get
  output: "%ka.user.name"
  priority: WARNING
  source: k8s_audit
  kaudit_rate: {rate}
"""


def stamp(second: int) -> str:
    return f"2026-11-26T10:{second // 60:02d}:{second % 60:02d}.000000Z"


def scan_lines(tmp_path: Path, rate: str, events: list[dict], *, batch: int = 0) -> list[int]:
    """Line numbers (from 1) of the events that fire the rule, scanning in batches of
    ``batch`` rows (0: all at once)."""
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    store = index_files(path)
    scanner = Ruleset(load_rules_text(RULE.format(rate=rate))).scanner(store)
    rows = np.arange(store.first_id, store.next_id)
    size = batch or len(rows)
    fired = []
    for start in range(0, len(rows), size):
        fired += [row - store.first_id + 1 for row, _ in scanner.scan(rows[start : start + size])]
    return fired


def gets(user: str, seconds: list[int]) -> list[dict]:
    return [audit_event(user=user, verb="get", stage_time=stamp(s)) for s in seconds]


def test_the_nth_event_within_the_window_fires_then_the_group_is_quiet(tmp_path: Path) -> None:
    events = gets("a", [0, 1, 2, 3, 70, 71, 72, 73, 74, 140, 141])
    # 3 within 10 s: third event (2 s); quiet until 12 s; 70/71/72: fires at 72 (line 7);
    # quiet until 82 s; 140/141: only two
    assert scan_lines(tmp_path, "{count: 3, window: 10s}", events) == [3, 7]


def test_events_too_far_apart_never_fire(tmp_path: Path) -> None:
    events = gets("a", [0, 10, 20, 30, 40])
    assert scan_lines(tmp_path, "{count: 2, window: 10s}", events) == []
    assert scan_lines(tmp_path, "{count: 2, window: 11s}", events) == [2, 4]


def test_groups_count_apart(tmp_path: Path) -> None:
    pairs = zip(gets("a", [0, 1, 2]), gets("b", [0, 1, 2]), strict=True)
    events = [event for pair in pairs for event in pair]
    assert scan_lines(tmp_path, "{count: 3, window: 1m}", events) == [3]  # no by: one group
    assert scan_lines(tmp_path, "{count: 3, window: 1m, by: ka.user.name}", events) == [5, 6]
    assert scan_lines(tmp_path, "{count: 6, window: 1m}", events) == [6]


def test_state_carries_from_one_batch_to_the_next(tmp_path: Path) -> None:
    events = gets("a", list(range(0, 40, 2)))
    whole = scan_lines(tmp_path, "{count: 4, window: 7s, by: ka.user.name}", events)
    assert whole == [4, 8, 12, 16, 20]
    for batch in (1, 3, 7):
        assert scan_lines(tmp_path, "{count: 4, window: 7s}", events, batch=batch) == whole


def test_events_without_a_time_do_not_count(tmp_path: Path) -> None:
    events = [audit_event(verb="get", stage_time=None, received=None) for _ in range(5)]
    assert scan_lines(tmp_path, "{count: 2, window: 1h}", events) == []


def test_a_group_field_the_index_cannot_tell_is_read_from_the_event(tmp_path: Path) -> None:
    events = gets("a", [0, 1]) + [audit_event(user={"username": 5}, verb="get")] * 2
    assert scan_lines(tmp_path, "{count: 2, window: 1h, by: ka.user.name}", events) == [2, 4]


@pytest.mark.parametrize(
    ("rate", "words"),
    [
        ("{count: many, window: 1m}", "count must be a whole number"),
        ("{count: 0, window: 1m}", "count must be at least 1"),
        ("{count: 3, window: soon}", "window must be a duration"),
        ("{count: 3, window: 1m, by: ka.nope}", "unknown field 'ka.nope'"),
        ("{count: 3, window: 1m, every: 2}", "unknown key 'every'"),
        ("3", "must be a mapping"),
    ],
)
def test_a_bad_window_is_an_error_naming_the_rule_and_line(rate: str, words: str) -> None:
    with pytest.raises(RulesError) as caught:
        load_rules_text(RULE.format(rate=rate))
    assert str(caught.value).startswith("rules-1.yaml:7: rule 'Many gets': kaudit_rate")
    assert words in str(caught.value)


def test_an_override_replaces_the_window(tmp_path: Path) -> None:
    override = "- rule: Many gets\n  kaudit_rate: {count: 9, window: 1s}\n"
    override += "  override:\n    kaudit_rate: replace\n"
    loaded = load_rules_text(RULE.format(rate="{count: 3, window: 1m}"), override)
    assert loaded.warnings == []
    rate = loaded.rules[0].rate
    assert rate is not None and (rate.count, rate.window_us) == (9, 1_000_000)


def test_values_coerced_in_the_helper_process_are_known_to_the_main_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user name of the wrong type, indexed by the helper, still makes its shape one the
    index cannot answer for: the scanner then reads those events."""
    from kaudit_tui.core import parallel

    monkeypatch.setattr(parallel, "_LATENCY", 60.0)
    path = tmp_path / "audit.log"
    odd = orjson.dumps(audit_event(user={"username": True, "groups": []})) + b"\n"
    plain = orjson.dumps(audit_event(user="alice")) + b"\n"
    path.write_bytes((plain * 3000 + odd) * 4)
    store = EventStore()
    ingestor = ParallelIngestor(store, helper=True)
    assert ingestor.start()
    try:
        reader = FileReader(str(path))
        data = path.read_bytes()
        ingestor.feed(reader, 0, data)
        ingestor.finish(reader)
        assert ingestor.helper_lines > 0
    finally:
        ingestor.close()
    odd_codes = {int(store.column("who")[i]) for i in range(3000, len(store), 3001)}
    assert odd_codes <= store.who.coerced
