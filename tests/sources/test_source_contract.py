"""The file, rotated-set and pipe sources keep the source protocol (``source_contract``)."""

from __future__ import annotations

import asyncio
import gzip
import os
from pathlib import Path

import pytest

from kaudit_tui.core.segments import FileReader
from kaudit_tui.sources import (
    LineBatch,
    OpenOptions,
    SegmentEnd,
    Source,
    SourceStatus,
    open_inputs,
)

from .source_contract import SourceContract, check_close_without_reading
from .writers import append, timed_lines

BACKUP_1 = "audit-2026-11-26T09-00-00.000.log"
BACKUP_2 = "audit-2026-11-26T10-00-00.000.log.gz"


def one_source(*paths: Path | str, follow: bool = False, stdin_fd: int | None = None) -> Source:
    options = OpenOptions(follow=follow, poll_interval=0.02, stdin_fd=stdin_fd)
    (source,) = open_inputs([str(path) for path in paths], options)
    return source


async def test_a_plain_file(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    data = timed_lines("a", 500)
    log.write_bytes(data)
    async with SourceContract(lambda: one_source(log)) as contract:
        await contract.until_end(data)
    assert contract.statuses() == ["reading", "ended"]


async def test_a_file_without_a_final_newline(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    data = timed_lines("a", 3) + b'{"kind":"Event"'
    log.write_bytes(data)
    async with SourceContract(lambda: one_source(log)) as contract:
        await contract.until_end(data)


async def test_an_empty_file(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(b"")
    async with SourceContract(lambda: one_source(log)) as contract:
        await contract.until_end(b"")


async def test_a_rotated_set_with_plain_and_gzip_backups(tmp_path: Path) -> None:
    first, second, active = timed_lines("b1", 50), timed_lines("b2", 60), timed_lines("a", 70)
    (tmp_path / BACKUP_1).write_bytes(first)
    (tmp_path / BACKUP_2).write_bytes(gzip.compress(second))
    (tmp_path / "audit.log").write_bytes(active)
    paths = [tmp_path / "audit.log", tmp_path / BACKUP_2, tmp_path / BACKUP_1]
    async with SourceContract(lambda: one_source(*paths)) as contract:
        await contract.until_end(first + second + active)
    assert contract.statuses() == ["reading", "reading", "reading", "ended"]


async def test_a_followed_file_across_appends_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    (tmp_path / BACKUP_1).write_bytes(old := timed_lines("old", 20))
    log.write_bytes(one := timed_lines("one", 30))
    async with SourceContract(lambda: one_source(log, tmp_path / BACKUP_1, follow=True)) as c:
        await c.until_caught_up(old + one)
        append(log, two := timed_lines("two", 10))
        await c.until_caught_up(old + one + two)
        log.rename(tmp_path / "audit-2026-11-26T11-00-00.000.log")
        log.write_bytes(three := timed_lines("three", 5))
        await c.until_caught_up(old + one + two + three)
        log.write_bytes(four := timed_lines("four", 2))  # truncated and refilled in place
        await c.until_caught_up(old + one + two + three + four)
    assert "rotated" in c.statuses() and "truncated" in c.statuses()


async def test_a_followed_file_that_appears_later(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    async with SourceContract(lambda: one_source(log, follow=True)) as contract:
        await contract.until_caught_up(b"")
        assert contract.statuses()[0] == "waiting"
        log.write_bytes(data := timed_lines("late", 4))
        await contract.until_caught_up(data)


async def test_a_pipe(tmp_path: Path) -> None:
    ends: list[int] = []

    def open_pipe() -> Source:
        read, write = os.pipe()
        ends.append(write)
        return one_source("-", stdin_fd=read)

    async with SourceContract(open_pipe) as contract:
        os.write(ends[0], first := timed_lines("p", 20))
        await contract.until_caught_up(first)
        os.write(ends[0], second := timed_lines("q", 20) + b'{"partial":')
        await contract.until_caught_up(first + timed_lines("q", 20))
        os.close(ends[0])
        await contract.until_end(first + second)
    assert contract.statuses() == ["reading", "ended"]


async def test_a_pipe_closed_while_being_read(tmp_path: Path) -> None:
    ends: list[int] = []

    def open_pipe() -> Source:
        read, write = os.pipe()
        ends.append(write)
        return one_source("-", stdin_fd=read)

    async with SourceContract(open_pipe) as contract:
        os.write(ends[0], data := timed_lines("p", 5))
        await contract.until_caught_up(data)
        os.close(ends[0])  # the test's own end; the source's goes with close()


async def test_sources_closed_without_being_read(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 3))
    (tmp_path / BACKUP_2).write_bytes(gzip.compress(timed_lines("b", 3)))
    await check_close_without_reading(lambda: one_source(log, tmp_path / BACKUP_2))
    await check_close_without_reading(lambda: one_source(log, follow=True))
    ends: list[int] = []

    def open_pipe() -> Source:
        read, write = os.pipe()
        ends.append(write)
        return one_source("-", stdin_fd=read)

    await check_close_without_reading(open_pipe, cleanup=lambda: os.close(ends[0]))


class _Broken:
    """A source that breaks one rule of the protocol, to show the contract notices."""

    label = "broken"

    def __init__(self, rule: str, path: Path) -> None:
        self.rule = rule
        self.reader = FileReader(str(path), "broken")

    async def items(self):  # noqa: ANN201
        data = self.reader.read_at(0, 1 << 20)
        half = data.index(b"\n") + 1
        yield SourceStatus(self.label, "reading", "reading")
        if self.rule == "offsets":
            yield LineBatch(self.reader, half, data[half:])
            yield LineBatch(self.reader, 0, data[:half])
        else:
            yield LineBatch(self.reader, 0, data)
        if self.rule == "silent wait":
            await asyncio.sleep(3600)  # waits without CaughtUp
        if self.rule != "no segment end":
            yield SegmentEnd(self.reader)
        yield SourceStatus(self.label, "ended", "done")

    def close(self) -> None:
        self.reader.close()


@pytest.mark.parametrize("rule", ["offsets", "silent wait", "no segment end"])
async def test_the_contract_notices_a_broken_source(tmp_path: Path, rule: str) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(data := timed_lines("a", 4))
    with pytest.raises(AssertionError):
        async with SourceContract(lambda: _Broken(rule, log)) as contract:
            if rule == "silent wait":
                await contract.until_caught_up(data, timeout=0.5)
            else:
                await contract.until_end(data, timeout=5)
