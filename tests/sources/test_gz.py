"""The gzip inflater on its own: members, padding, damage, bounded steps."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from kaudit_tui.sources.gz import (
    OUT_CHUNK,
    GzipError,
    GzipInflater,
    StreamInflater,
    same_content,
)


class Collect:
    def __init__(self) -> None:
        self.data = bytearray()
        self.pieces: list[int] = []

    def append(self, data: bytes) -> None:
        self.data += data
        self.pieces.append(len(data))


def inflate(path: Path) -> tuple[Collect, GzipError | None, int]:
    sink = Collect()
    fd = os.open(path, os.O_RDONLY)
    inflater = GzipInflater(fd, sink)
    steps = 0
    try:
        while not inflater.done:
            before = len(sink.data)
            inflater.step()
            assert len(sink.data) - before <= OUT_CHUNK
            steps += 1
    except GzipError as exc:
        return sink, exc, steps
    finally:
        os.close(fd)
    return sink, None, steps


def text(n: int) -> bytes:
    return b"".join(b"line %d %s\n" % (i, os.urandom(8).hex().encode()) for i in range(n))


def test_members_and_zero_padding_read_as_one_stream(tmp_path: Path) -> None:
    a, b = text(100), text(100)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(a) + gzip.compress(b) + b"\0" * 1024)
    sink, error, _ = inflate(path)
    assert error is None and bytes(sink.data) == a + b


def test_steps_are_bounded(tmp_path: Path) -> None:
    data = b"a" * (3 * OUT_CHUNK + 5)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(data))
    sink, error, steps = inflate(path)
    assert error is None and bytes(sink.data) == data and steps >= 4


def test_truncated_stream_keeps_what_came_before(tmp_path: Path) -> None:
    data = text(20000)
    whole = gzip.compress(data)
    path = tmp_path / "x.gz"
    path.write_bytes(whole[: len(whole) // 2])
    sink, error, _ = inflate(path)
    assert error is not None and "ends early" in str(error)
    assert 0 < len(sink.data) < len(data) and data.startswith(sink.data)


@pytest.mark.parametrize(
    "damage",
    [
        lambda whole: whole[:-8] + bytes(8),  # wrong CRC and length
        lambda whole: b"not gzip at all\n",
        lambda whole: whole + b"trailing garbage",
    ],
)
def test_corrupt_stream_is_an_error(tmp_path: Path, damage) -> None:  # noqa: ANN001
    path = tmp_path / "x.gz"
    path.write_bytes(damage(gzip.compress(text(50))))
    _, error, _ = inflate(path)
    assert error is not None and "corrupt gzip data" in str(error)


def test_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(b"")
    sink, error, _ = inflate(path)
    assert error is None and sink.data == b""


def test_same_content(tmp_path: Path) -> None:
    data = text(500)
    plain = tmp_path / "x"
    plain.write_bytes(data)
    packed = tmp_path / "x.gz"
    fd = os.open(plain, os.O_RDONLY)
    try:
        for content, same in ((data, True), (data[:-1], False), (data + b"x", False)):
            packed.write_bytes(gzip.compress(content))
            gz_fd = os.open(packed, os.O_RDONLY)
            try:
                assert same_content(gz_fd, fd) is same
            finally:
                os.close(gz_fd)
    finally:
        os.close(fd)


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_a_piped_stream_inflates_member_after_member_as_it_arrives(piece: int) -> None:
    first, second = text(300), text(2000)
    data = gzip.compress(first) + gzip.compress(second) + b"\0" * 10
    inflater = StreamInflater()
    out = bytearray()
    for start in range(0, len(data), piece):
        for part in inflater.feed(data[start : start + piece]):
            assert len(part) <= OUT_CHUNK
            out += part
    inflater.finish()
    assert bytes(out) == first + second


def test_a_piped_stream_cut_short_or_corrupt_is_an_error() -> None:
    # Fixed content: bytes overwritten in random deflate data can happen to decode.
    lines = b"".join(b"line %d %08x\n" % (i, i * 2654435761 % 2**32) for i in range(3000))
    data = gzip.compress(lines, mtime=0)
    cut = StreamInflater()
    assert b"".join(cut.feed(data[: len(data) // 2]))
    with pytest.raises(GzipError, match="ends early"):
        cut.finish()
    with pytest.raises(GzipError, match="corrupt"):
        list(StreamInflater().feed(data[:20] + b"\xff" * 200))
