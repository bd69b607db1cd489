"""A top-level JSON array (``gcloud logging read --format=json``): its elements are records, its
``[`` and ``]`` lines an envelope; an array that is never closed counts its ``[`` as skipped."""

from __future__ import annotations

import pytest

from tests.events import event_line
from tests.hostile.indexing import indexed


def _element(n: int) -> bytes:
    return event_line(audit_id=f"00000000-0000-4000-8000-{n:012d}").rstrip(b"\n")


@pytest.mark.parametrize(
    ("data", "events", "skipped"),
    [
        (b"[\n" + _element(1) + b",\n" + _element(2) + b"\n]\n", 2, {}),
        (b"[\n]\n", 0, {}),
        (b"[\n", 0, {"truncated JSON array": 1}),
        (b"[\n" + _element(1) + b"\n", 1, {"truncated JSON array": 1}),
        (_element(1) + b"\n[\n" + _element(2) + b"\n", 2, {"truncated JSON array": 1}),
    ],
)
def test_array_lines_are_an_envelope_unless_the_array_is_never_closed(
    data: bytes, events: int, skipped: dict[str, int]
) -> None:
    with indexed(data) as result:
        assert len(result.store) == events
        assert dict(result.store.skips.counts) == skipped
