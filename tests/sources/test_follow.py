"""Following a live file: partial lines, rotation, truncation, deletion, waiting, errors.

Writers are real: either this test appending with single write calls, or a separate process
(logwriter.py) appending and rotating concurrently with the reader.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kaudit_tui.sources import SourceStatus, open_sources

from .writers import Live, append, ids, timed_line, timed_lines, unreadable

LOGWRITER = Path(__file__).with_name("logwriter.py")


def run_writer(path: Path, prefix: str, count: int, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(LOGWRITER), str(path), prefix, str(count), *options]
    )


def compress(path: Path) -> None:
    """Compress a backup as lumberjack does after rotating: write the .gz, then remove it."""
    with path.open("rb") as plain, gzip.open(f"{path}.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    path.unlink()


async def wait_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if process.poll() is not None:
            assert process.returncode == 0
            return
        await asyncio.sleep(0.02)
    process.kill()
    raise AssertionError("writer did not finish")


async def test_half_written_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 3))
    line = timed_line("half")
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        await live.wait_ids(ids("a", 3))
        append(log, line[:40])
        await asyncio.sleep(0.2)
        assert len(live.got.lines) == 3, "a partial line must not be delivered while following"
        append(log, line[40:])
        await live.wait_ids(ids("a", 3) + Counter(["half"]))
        assert live.got.states(str(log))[:2] == ["reading", "following"]


async def test_writer_appending_in_pieces(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.touch()
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.01)) as live:
        writer = run_writer(log, "p", 300, "--pieces", "--delay", "0.002")
        await wait_process(writer)
        await live.wait_ids(ids("p", 300))


@pytest.mark.parametrize("compress", [False, True])
async def test_rename_rotation_while_a_writer_keeps_appending(
    tmp_path: Path, compress: bool
) -> None:
    log = tmp_path / "audit.log"
    log.touch()
    options = ["--every", "700", "--delay", "0.0005"] + (["--compress"] if compress else [])
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        writer = run_writer(log, "r", 3000, *options)
        await wait_process(writer)
        await live.wait_ids(ids("r", 3000))
        assert live.got.states().count("rotated") >= 1
    backups = sorted(p.name for p in tmp_path.iterdir() if p.name != "audit.log")
    assert len(backups) == 4, backups
    assert all(name.endswith(".log.gz" if compress else ".log") for name in backups)


async def test_rotation_is_reported_and_the_old_file_finished_first(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 10))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.05)) as live:
        await live.wait_ids(ids("a", 10))
        append(log, timed_lines("late", 5))  # written just before the rename
        log.rename(tmp_path / "audit-2026-11-26T10-00-00.000.log")
        append(log, timed_lines("new", 5))
        await live.wait_ids(ids("a", 10) + ids("late", 5) + ids("new", 5))
        assert live.got.ordered_ids[10:] == [f"late-{i}" for i in range(5)] + [
            f"new-{i}" for i in range(5)
        ]
        assert live.got.states() == ["reading", "following", "rotated", "following"]
        assert live.got.statuses[2].message == f"{log} was rotated; reading the new file"
        old_reader = live.got.batches[0].reader
        assert [end.reader for end in live.got.ends] == [old_reader]
        assert old_reader.read_at(0, 20) == timed_lines("a", 1)[:20], "still readable"


async def test_two_rotations_between_polls_lose_nothing(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 10))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.5)) as live:
        await live.wait_ids(ids("a", 10))
        writer = run_writer(log, "b", 90, "--every", "30")  # three files, two rotations
        await wait_process(writer)
        await live.wait_ids(ids("a", 10) + ids("b", 90), timeout=10)


async def test_rotations_between_polls_with_compressed_backups(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 10))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.5)) as live:
        await live.wait_ids(ids("a", 10))
        writer = run_writer(log, "c", 120, "--every", "30", "--compress")
        await wait_process(writer)
        backups = sorted(p.name for p in tmp_path.iterdir() if p.name != "audit.log")
        assert len(backups) == 3, f"the writer lost a backup: {backups}"
        assert all(name.endswith(".log.gz") for name in backups), backups
        await live.wait_ids(ids("a", 10) + ids("c", 120), timeout=10)


@pytest.mark.parametrize("then", ["compressed", "removed"])
async def test_missed_backup_changes_before_the_follower_gets_to_it(
    tmp_path: Path, then: str
) -> None:
    """Three rotations between two polls leave two backups never held open. The follower
    lists them, then reads them one by one; meanwhile lumberjack compresses in the background
    (the plain file is removed once the .gz is complete) or its retention removes backups, so
    the second one can change while the first is being read. Compressed, it is read from the
    .gz; removed, its loss is reported rather than silent."""
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 10))
    first = tmp_path / "audit-2026-11-26T10-00-02.000.log"
    second = tmp_path / "audit-2026-11-26T10-00-03.000.log"

    def reading_first(item: object) -> bool:
        return isinstance(item, SourceStatus) and item.message.endswith(first.name)

    sources = open_sources([str(log)], follow=True, poll_interval=0.02)
    async with Live(sources, hold=reading_first) as live:
        await live.wait_ids(ids("a", 10))
        # ~10 MiB: many more batches than the source set reads ahead while it is held.
        first.write_bytes(b"".join(timed_line(f"big-{i}", pad=100_000) for i in range(100)))
        second.write_bytes(timed_lines("c", 30))
        log.rename(tmp_path / "audit-2026-11-26T10-00-01.000.log")
        new = tmp_path / "new"
        new.write_bytes(timed_lines("d", 5))
        new.rename(log)
        await asyncio.wait_for(live.holding.wait(), 10)
        # The follower listed the second backup as plain and is blocked inside the first.
        if then == "compressed":
            compress(second)
        else:
            second.unlink()
        live.resume()
        expected = ids("a", 10) + ids("big", 100) + ids("d", 5)
        await live.wait_ids(expected + ids("c", 30) if then == "compressed" else expected)
        messages = [s.message for s in live.got.statuses]
        if then == "compressed":
            assert f"reading missed backup {second}.gz" in messages
        else:
            gone = f"{second}: removed before it could be read; the events in it are missing"
            assert gone in messages
            assert live.got.statuses[messages.index(gone)].state == "error"


async def test_backups_existing_at_start_are_not_read_when_not_given(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    (tmp_path / "audit-2026-11-26T09-00-00.000.log").write_bytes(timed_lines("old", 5))
    log.write_bytes(timed_lines("a", 5))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.05)) as live:
        await live.wait_ids(ids("a", 5))
        writer = run_writer(log, "b", 20, "--every", "10")
        await wait_process(writer)
        await live.wait_ids(ids("a", 5) + ids("b", 20))


async def test_copytruncate_restarts_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 50))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        await live.wait_ids(ids("a", 50))
        first_reader = live.got.batches[0].reader
        shutil.copyfile(log, tmp_path / "audit.log.1")
        os.truncate(log, 0)
        await live.wait_for(lambda got: "truncated" in got.states())
        append(log, timed_lines("b", 20))
        await live.wait_ids(ids("a", 50) + ids("b", 20))
        assert first_reader.read_at(0, 100) == b"", "offsets into the old content are void"
        last = live.got.batches[-1]
        assert last.reader is not first_reader
        assert any(end.reader is first_reader for end in live.got.ends)


async def test_truncated_and_refilled_between_polls(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 10))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.4)) as live:
        await live.wait_ids(ids("a", 10))
        await asyncio.sleep(0.05)
        fd = os.open(log, os.O_WRONLY | os.O_TRUNC)  # one step: truncate, then a longer refill
        os.write(fd, timed_lines("b", 40))
        os.close(fd)
        await live.wait_ids(ids("a", 10) + ids("b", 40))
        assert "truncated" in live.got.states()


async def test_copytruncate_writer_process(tmp_path: Path) -> None:
    """copytruncate loses what is written between the copy and the truncation, for any
    reader; the writer pauses before each rotation, as a daily logrotate run would."""
    log = tmp_path / "audit.log"
    log.touch()
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        writer = run_writer(
            log, "t", 400, "--every", "100", "--mode", "copytruncate", "--settle", "0.3"
        )
        await wait_process(writer)
        await live.wait_ids(ids("t", 400))


async def test_deleted_then_recreated(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 20))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        await live.wait_ids(ids("a", 20))
        log.unlink()
        await live.wait_for(lambda got: "waiting" in got.states())
        append(log, timed_lines("b", 20))
        await live.wait_ids(ids("a", 20) + ids("b", 20))
        waiting = [s for s in live.got.statuses if s.state == "waiting"]
        assert str(log) in waiting[0].message


async def test_missing_file_is_waited_for(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        await live.wait_for(lambda got: got.states() == ["waiting"])
        assert live.got.statuses[0].message == f"{log}: no such file — waiting for it to appear"
        append(log, timed_lines("late", 5))
        await live.wait_ids(ids("late", 5))


async def test_unreadable_new_file_is_an_error_until_fixed(shared_dir: Path) -> None:
    tmp_path = shared_dir
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 5))
    async with Live(open_sources([str(log)], follow=True, poll_interval=0.02)) as live:
        await live.wait_ids(ids("a", 5))
        log.rename(tmp_path / "audit-2026-11-26T10-00-00.000.log")
        log.write_bytes(timed_lines("b", 5))
        with unreadable(log):
            await live.wait_for(lambda got: "error" in got.states())
        log.chmod(0o644)
        await live.wait_ids(ids("a", 5) + ids("b", 5))
        error = next(s for s in live.got.statuses if s.state == "error")
        assert error.message == f"{log}: permission denied (retrying)"
