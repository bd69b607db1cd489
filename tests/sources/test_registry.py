"""A new kind of input is one module and one registration: here a tiny in-memory source,
registered through the public registry, checked against the protocol and read end to end
the way ``kaudit-tui --print`` reads (in-process, through the shared pipeline)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest

from kaudit_tui.cli import main
from kaudit_tui.sources import (
    LineBatch,
    OpenOptions,
    SegmentEnd,
    SourceError,
    SourceStatus,
    SourceYield,
    open_inputs,
    register_opener,
)
from kaudit_tui.sources.registry import opener_for

from .source_contract import SourceContract, check_close_without_reading
from .writers import timed_line

# -- the new kind: one module's worth ---------------------------------------------------------


class MemoryReader:
    """Raw text kept in memory (a real kind would keep a file or a spool)."""

    def __init__(self, label: str, data: bytes) -> None:
        self.label = label
        self.data = data

    def read_at(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


class MemorySource:
    """Delivers prepared lines one per batch, like a receiver handing over requests."""

    def __init__(self, label: str, lines: list[bytes]) -> None:
        self.label = label
        self.lines = lines
        self.closed = 0

    async def items(self) -> AsyncIterator[SourceYield]:
        yield SourceStatus(self.label, "reading", f"{self.label}: reading memory")
        reader = MemoryReader(self.label, b"".join(self.lines))
        offset = 0
        for line in self.lines:
            yield LineBatch(reader, offset, line)
            offset += len(line)
            await asyncio.sleep(0)
        yield SegmentEnd(reader)
        yield SourceStatus(self.label, "ended", f"{self.label}: {len(self.lines)} lines")

    def close(self) -> None:
        self.closed += 1


def verb(line: bytes, name: str) -> bytes:
    return line.replace(b'"verb":"list"', b'"verb":"' + name.encode() + b'"')


STORED = {
    "demo": [verb(timed_line(f"mem-{i}", i + 0.5), "get" if i % 2 else "delete") for i in range(6)]
}


def stage_time(line: bytes) -> str:
    return orjson.loads(line)["stageTimestamp"]


def is_memory(spec: str) -> bool:
    return spec.startswith("mem:")


def open_memory(spec: str, options: OpenOptions) -> MemorySource:
    name = spec.removeprefix("mem:")
    if name not in STORED:
        raise SourceError(f"{spec}: no such memory")
    return MemorySource(name, STORED[name])


# -- the registration, and what it gives -----------------------------------------------------


@pytest.fixture
def memory_kind() -> Iterator[None]:
    unregister = register_opener(is_memory, open_memory, name="memory")
    yield
    unregister()
    assert opener_for("mem:demo") is None


async def test_the_new_kind_keeps_the_protocol(memory_kind: None) -> None:
    def open_one() -> MemorySource:
        (source,) = open_inputs(["mem:demo"], OpenOptions(follow=False))
        assert isinstance(source, MemorySource)
        return source

    async with SourceContract(open_one) as contract:
        await contract.until_end(b"".join(STORED["demo"]))
    await check_close_without_reading(open_one)


def test_print_reads_the_new_kind_merged_with_a_file(
    memory_kind: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "audit.log"
    file_lines = [verb(timed_line(f"file-{i}", i), "get" if i % 3 else "patch") for i in range(6)]
    log.write_bytes(b"".join(file_lines))
    code = main(["--print", "-q", "-verb:get", "mem:demo", str(log)])
    out = capfd.readouterr().out.encode()
    assert code == 0
    everything = sorted(STORED["demo"] + file_lines, key=stage_time)
    expected = [line.rstrip(b"\n") for line in everything if b'"verb":"get"' not in line]
    assert out.splitlines() == expected
    assert len(expected) == 5  # three deletes from memory, two patches from the file


def test_stats_counts_the_new_kind_by_source(
    memory_kind: None, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stats", "--json", "-q", "source:demo verb:delete", "mem:demo"]) == 0
    stats = orjson.loads(capfd.readouterr().out)
    assert stats["events"] == 3 and stats["total"] == 6


def test_an_input_the_new_kind_cannot_open_exits_1(
    memory_kind: None, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["--print", "mem:nothing"]) == 1
    assert "mem:nothing: no such memory" in capfd.readouterr().err


def test_unclaimed_specs_are_file_paths(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="mem:demo: no such file"):
        open_inputs(["mem:demo"], OpenOptions(follow=False))
