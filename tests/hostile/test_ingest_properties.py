"""Generated and mutated log lines through the real Ingestor, from a real file.

Whatever the bytes, indexing never raises, every line ends up in an event or in the skip
count, batching does not change the result, and every event reads back as the text it came
from (valid JSON by the standard's rules, which allow integers of any size).
"""

from __future__ import annotations

import json

from hypothesis import assume, given
from hypothesis import strategies as st

from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import NO_TIME, parse_time
from tests.hostile.indexing import indexed, line_count
from tests.hostile.strategies import FIELD_PATHS, encode, events, json_values, line_batches

_IDENTITY = ("kind", "apiVersion")
"""Fields that say whether a JSON object is an audit event at all."""

logs = line_batches.map(lambda lines: b"\n".join(lines) + b"\n")


@given(logs)
def test_every_line_becomes_an_event_or_a_counted_skip(data: bytes) -> None:
    # A line "[" opens a JSON array (gcloud --format=json), whose "[" and "]" lines are an
    # envelope, counted neither as events nor as skips (tests/core/test_ingest_arrays.py).
    assume(all(line.strip() != b"[" for line in data.split(b"\n")))
    with indexed(data) as result:
        store = result.store
        assert result.ingestor.lines == line_count(data)
        assert len(store) + store.skips.lines == line_count(data), dict(store.skips.counts)


@given(logs, st.integers(1, 4))
def test_batching_does_not_change_what_is_indexed(data: bytes, per_batch: int) -> None:
    with indexed(data) as whole, indexed(data, per_batch) as split:
        assert _rows(whole.store) == _rows(split.store)
        assert whole.store.skips.counts == split.store.skips.counts


@given(logs)
def test_every_event_reads_back_as_the_line_it_came_from(data: bytes) -> None:
    lines = data.split(b"\n")
    with indexed(data) as result:
        store = result.store
        for row in range(len(store)):
            record = store.raw_record(row)
            assert any(line.endswith(record) for line in lines)
            # Bytes that are not UTF-8 inside parts the index does not read (a body, an
            # unknown key) do not cost the event: the JSON structure is still whole.
            text = store.event_json(row).decode("utf-8", "replace")
            assert type(json.loads(text)) is dict


@given(st.lists(events(), min_size=1, max_size=8))
def test_well_formed_events_keep_every_field(generated: list[dict]) -> None:
    data = b"".join(encode(event) + b"\n" for event in generated)
    with indexed(data) as result:
        store = result.store
        assert len(store) == len(generated) and store.skips.total == 0
        for row, event in enumerate(generated):
            assert _indexed_fields(store.row(row)) == _expected_fields(event)


@given(events(), st.data())
def test_a_field_of_the_wrong_type_never_costs_the_event(event: dict, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from([p for p in FIELD_PATHS if p[0] not in _IDENTITY]))
    target = event
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(target.get(key), dict) else {}
    target[path[-1]] = data.draw(json_values)
    with indexed(encode(event) + b"\n") as result:
        store = result.store
        assert len(store) == 1, dict(store.skips.counts)
        row = store.row(0)
        if path[0] != "verb":
            assert row["verb"] == event["verb"]
        if path[0] != "requestURI":
            assert row["uri"] == event["requestURI"]


@given(logs, st.integers(16, 400))
def test_lines_over_the_size_limit_are_skipped_with_their_reason(data: bytes, limit: int) -> None:
    with indexed(data, max_line=limit) as result:
        store = result.store
        assert all(len(store.raw_record(row)) <= limit for row in range(len(store)))
        assert len(store) + store.skips.lines == line_count(data)
        too_long = sum(1 for line in data.split(b"\n")[:-1] if len(line.rstrip(b"\r")) > limit)
        reason = f"line longer than {limit} bytes"
        assert store.skips.counts[reason] <= too_long


def _rows(store: EventStore) -> list[dict]:
    """Every indexed field of every row, except the (temporary) file name."""
    return [{**store.row(r), "source": None} for r in range(len(store))]


def _indexed_fields(row: dict) -> tuple:
    return (row["user"], row["groups"], row["verb"], row["uri"], row["ua"], row["ip"],
            row["name"], row["ns"], row["code"], row["id"], row["ts"], row["rx"])  # fmt: skip


def _expected_fields(event: dict) -> tuple:
    ref = event.get("objectRef", {})
    stage = parse_time(event["stageTimestamp"])
    received = parse_time(event["requestReceivedTimestamp"])
    if stage == NO_TIME:
        stage = received
    elif received == NO_TIME:
        received = stage
    return (
        event["user"]["username"],
        tuple(event["user"]["groups"]),
        event["verb"],
        event["requestURI"],
        event["userAgent"],
        tuple(event["sourceIPs"]),
        ref.get("name", ""),
        ref.get("namespace", ""),
        event["responseStatus"]["code"],
        event["auditID"],
        stage,
        received,
    )
