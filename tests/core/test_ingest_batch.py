"""Timestamps and audit IDs converted a batch at a time come back exactly as logged."""

from __future__ import annotations

import uuid

import pytest

from kaudit_tui.core.timestamps import (
    NO_TIME,
    RECEIVED_ORDER,
    STAGE_ORDER,
    EventTimes,
    event_times,
    line_time,
    parse_time,
)
from tests.conftest import index_files
from tests.events import event_line

UUIDS = [str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15) << 40, version=4)) for i in range(1, 6)]


def _line(audit_id: str, **fields: object) -> bytes:
    """An event line whose times are only those in ``fields``."""
    return event_line(**({"audit_id": audit_id, "received": None, "stage_time": None} | fields))


@pytest.mark.parametrize(
    "ids",
    [
        UUIDS,
        # Lengths that add up to whole UUIDs although no single ID is one.
        [UUIDS[0][:-1], "a" + UUIDS[1], UUIDS[2]],
        [UUIDS[0].upper(), UUIDS[1], "not-a-uuid", "", UUIDS[2]],
        ["ffffffff-ffff-ffff-8000-000000000001", UUIDS[0]],  # high half is the "other" marker
        [UUIDS[0].replace("-", "_"), "é" * 36, UUIDS[1]],
        ["0x" + UUIDS[0][2:], " " + UUIDS[1][1:], UUIDS[2][:35] + "\u00e9"],
    ],
)
def test_audit_ids_read_back_as_logged(ids: list[str], write_log) -> None:
    store = index_files(write_log(b"".join(_line(i) for i in ids)))
    assert [store.row(r)["id"] for r in range(len(store))] == ids


@pytest.mark.parametrize(
    "times",
    [
        ["2026-11-26T10:00:00.000001Z", "2026-11-26T23:59:59.999999Z"],
        ["2026-11-26T10:00:00.000001Z", "2026-11-26T10:00:00Z", "2026-11-26T11:00:00.5+01:00"],
        ["2026-11-26T10:00:00.000001Z", "2026-02-30T10:00:00.000001Z", "2026-11-26T10:00:00.0Z"],
        ["2024-02-29T10:00:00.000001Z", "2026-11-26T10:00:00.000001z", "1969-12-31T23:59:59.5Z"],
        # Values numpy's own parser would read differently from parse_time, or warn about.
        ["2026-11-26T10:00:00.000001Z", "0000-11-26T10:00:00.000001Z"],
        ["2026-11-26T10:00:00.000001Z", "2026-11-26T10:00:00.00001 Z"],
        ["2026-11-26T10:00:00.000001Z", "2026-11-26T10:00:00+00001Z"],
        ["2026-11-26t10:00:00.000001Z", "2026-11-26 10:00:00.000001Z"],
        ["2026-11-26T24:00:00.000000Z", "2026-11-26T10:60:00.000000Z"],
        ["2026-12-31T23:59:60.000000Z", "2026-11-26T10:00:00.000001Z"],
        # Lengths that add up to whole times although neither value is one.
        ["2026-11-26T10:00:00.123456", "Z2026-11-26T10:00:00.123456Z"],
    ],
)
def test_times_match_the_per_value_parser(times: list[str], write_log) -> None:
    lines = [
        _line(UUIDS[0], stageTimestamp=t, requestReceivedTimestamp=UUIDS[0] if i % 2 else t)
        for i, t in enumerate(times)
    ]
    store = index_files(write_log(b"".join(lines)))
    assert [store.row(r)["ts"] for r in range(len(store))] == [parse_time(t) for t in times]


_TIME_CASES = [
    # (stageTimestamp, metadata.creationTimestamp, requestReceivedTimestamp, timestamp),
    # then the expected (stage time, received time) as indexes into the four (None: none).
    (("2026-11-26T10:00:00.000004Z", "2026-11-26T10:00:03Z", "2026-11-26T10:00:00.000002Z",
      "2026-11-26T10:00:01Z"), (0, 2)),
    ((None, "2026-11-26T10:00:03Z", "2026-11-26T10:00:00.000002Z", "2026-11-26T10:00:01Z"),
     (1, 2)),
    ((None, None, "2026-11-26T10:00:00.000002Z", "2026-11-26T10:00:01Z"), (2, 2)),
    ((None, None, "bad", "2026-11-26T10:00:01Z"), (3, 3)),
    (("2026-11-26T10:00:00.000004Z", "2026-11-26T10:00:03Z", None, None), (0, 0)),
    (("bad", "2026-11-26T10:00:03Z", "bad", None), (1, 1)),
    ((None, None, None, None), (None, None)),
]  # fmt: skip


def test_time_fallbacks_are_taken_in_the_declared_order(write_log) -> None:
    # The stage time: stageTimestamp, v1beta1's creationTimestamp, then the received time's
    # fields; the received time: requestReceivedTimestamp, v1alpha1's timestamp, then the
    # stage time's. The batch conversion, the per-event path and line_time agree.
    assert STAGE_ORDER == ("stage", "created", "received", "logged")
    assert RECEIVED_ORDER == ("received", "logged", "stage", "created")
    lines, expected = [], []
    for index, (times, (stage, received)) in enumerate(_TIME_CASES):
        fields: dict = {"metadata": {"creationTimestamp": times[1]}} if times[1] else {}
        for key, value in zip(("stageTimestamp", None, "requestReceivedTimestamp", "timestamp"),
                              times, strict=True):  # fmt: skip
            if key and value:
                fields[key] = value
        lines.append(_line(UUIDS[index % 5], **fields))
        expected.append(tuple(NO_TIME if i is None else parse_time(times[i])
                              for i in (stage, received)))  # fmt: skip
        assert event_times(EventTimes(*times)) == expected[-1]
        assert (line_time(lines[-1]) or NO_TIME) == expected[-1][0]

    def indexed(log: bytes) -> list[tuple[int, int]]:
        store = index_files(write_log(log))
        return [(store.row(r)["ts"], store.row(r)["rx"]) for r in range(len(store))]

    for line, times in zip(lines, expected, strict=True):
        assert indexed(line) == [times]
    assert indexed(b"".join(lines)) == expected  # mixed fallbacks in one batch
