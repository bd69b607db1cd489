"""Batches end at a line end however the lines fall against the read size, and a batch is the
lines themselves, not a copy cut out of a larger read."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaudit_tui.core.segments import FileReader
from kaudit_tui.sources.cursor import PROBE, LineCursor

CHUNK = 4 * PROBE


def _batches(path: Path, chunk: int = CHUNK) -> list[bytes]:
    reader = FileReader(str(path))
    try:
        cursor = LineCursor(reader, chunk=chunk)
        batches = []
        while (batch := cursor.read_batch(final=True)) is not None:
            assert batch.offset == sum(map(len, batches))
            batches.append(batch.data)
        return batches
    finally:
        reader.close()


@pytest.mark.parametrize(
    "lengths",
    [
        [CHUNK - 1],  # a line that ends exactly at the end of the chunk
        [CHUNK - 2, 5, 7],
        [100] * 3000,  # many lines, a newline in every probe
        [CHUNK - PROBE // 2, 3 * PROBE, 10],  # the probe window inside one long line
        [3 * CHUNK, 50, 2 * CHUNK + 3],  # lines longer than the chunk
        [10, 20],  # less than a probe in all
    ],
    ids=["exact", "just-short", "many", "probe-in-a-line", "longer-than-chunk", "tiny"],
)
def test_batches_are_whole_lines_in_order(tmp_path: Path, lengths: list[int]) -> None:
    data = b"".join(b"x" * (length - 1) + b"\n" for length in lengths)
    path = tmp_path / "audit.log"
    path.write_bytes(data)
    batches = _batches(path)
    assert b"".join(batches) == data
    assert all(batch.endswith(b"\n") for batch in batches)
    if max(lengths) < CHUNK:  # each read takes as many whole lines as fit in a chunk
        assert all(len(batch) <= CHUNK for batch in batches)
        assert all(len(batch) + lengths[0] > CHUNK for batch in batches[:-1])


def test_an_unterminated_last_line_comes_last_when_final(tmp_path: Path) -> None:
    data = b"a" * (CHUNK + 10) + b"\n" + b"tail without newline"
    path = tmp_path / "audit.log"
    path.write_bytes(data)
    assert b"".join(_batches(path)) == data
    reader = FileReader(str(path))
    try:
        cursor = LineCursor(reader, chunk=CHUNK)
        first = cursor.read_batch(final=False)
        assert first is not None and first.data.endswith(b"\n")
        assert cursor.read_batch(final=False) is None  # the half-written line waits
    finally:
        reader.close()
