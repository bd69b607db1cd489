"""Reading finished inputs to their end: plain files, gzip backups, several files, errors."""

from __future__ import annotations

import gzip
import os
import stat
from collections import Counter
from pathlib import Path

import orjson
import pytest

from kaudit_tui.sources import SourceError, open_sources

from .writers import collect, ids, timed_line, timed_lines, unreadable

DATA = Path(__file__).parent.parent / "data" / "logs"


async def test_plain_file_every_line_once_and_rereadable(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 500))
    got = await collect(open_sources([str(log)], follow=False))
    assert got.audit_ids == ids("a", 500)
    assert got.states(str(log)) == ["reading", "ended"]
    assert len(got.ends) == 1


async def test_real_log_lines_arrive_in_file_order(tmp_path: Path) -> None:
    sample = DATA / "liggitt-audit2rbac-demo-v1beta1-original.log"
    got = await collect(open_sources([str(sample)], follow=False))
    expected = [orjson.loads(line)["auditID"] for line in sample.read_bytes().splitlines()]
    assert len(expected) == 757
    assert got.ordered_ids == expected


async def test_final_line_without_newline_is_delivered(tmp_path: Path) -> None:
    sample = tmp_path / "cut.jsonl"
    sample.write_bytes((DATA / "alcideio-rbac-tool-auditgen.jsonl").read_bytes().rstrip(b"\n"))
    got = await collect(open_sources([str(sample)], follow=False))
    assert sum(got.audit_ids.values()) == 6
    assert not got.batches[-1].data.endswith(b"\n")


async def test_line_longer_than_a_read_chunk_stays_whole(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(timed_line("small-0") + timed_line("huge", pad=3 << 20) + timed_line("small-1"))
    got = await collect(open_sources([str(log)], follow=False))
    assert got.ordered_ids == ["small-0", "huge", "small-1"]


async def test_empty_file_ends_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    got = await collect(open_sources([str(log)], follow=False))
    assert got.lines == [] and got.states() == ["reading", "ended"]


async def test_gzip_backup_is_decompressed_into_a_private_spool(tmp_path: Path) -> None:
    backup = tmp_path / "audit-2026-11-26T10-00-00.000.log.gz"
    backup.write_bytes(gzip.compress(timed_lines("g", 3000)))
    sources = open_sources([str(backup)], follow=False)
    got = await collect_keeping_open(sources)
    assert got.audit_ids == ids("g", 3000)
    spool = got.batches[0].reader
    info = os.fstat(spool.fd)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_nlink == 0, "the spool must have no name on disk"
    await sources.aclose()
    assert spool.fd == -1


async def test_concatenated_gzip_members_are_one_stream(tmp_path: Path) -> None:
    backup = tmp_path / "audit.log.gz"
    backup.write_bytes(gzip.compress(timed_lines("m", 10)) + gzip.compress(timed_lines("n", 10)))
    got = await collect(open_sources([str(backup)], follow=False))
    assert got.audit_ids == ids("m", 10) + ids("n", 10)


async def test_partial_gzip_is_reported_not_fatal(tmp_path: Path) -> None:
    whole = gzip.compress(timed_lines("p", 2000))
    partial = tmp_path / "audit-2026-11-26T10-00-00.000.log.gz"
    partial.write_bytes(whole[: len(whole) // 2])
    after = tmp_path / "after.log"
    after.write_bytes(timed_lines("q", 5))
    got = await collect(open_sources([str(partial), str(after)], follow=False))
    read = got.audit_ids
    assert read - ids("q", 5) <= ids("p", 2000), "only whole events from the partial backup"
    assert 0 < sum((read - ids("q", 5)).values()) < 2000
    assert read & ids("q", 5) == ids("q", 5), "the next file is still read"
    errors = [s for s in got.statuses if s.state == "error"]
    assert len(errors) == 1 and str(partial) in errors[0].message
    assert "ends early" in errors[0].message


async def test_file_that_is_not_gzip_is_reported(tmp_path: Path) -> None:
    fake = tmp_path / "audit.log.gz"
    fake.write_bytes(timed_lines("f", 3))
    got = await collect(open_sources([str(fake)], follow=False))
    assert got.lines == []
    assert [s.state for s in got.statuses if s.state == "error"] == ["error"]


async def test_several_files_all_read(tmp_path: Path) -> None:
    paths = []
    for n in range(3):
        path = tmp_path / f"node{n}.log"
        path.write_bytes(timed_lines(f"n{n}", 100, start=n * 100))
        paths.append(str(path))
    got = await collect(open_sources(paths, follow=False))
    assert got.audit_ids == ids("n0", 100) + ids("n1", 100) + ids("n2", 100)
    assert Counter(got.labels) == Counter({p: 100 for p in paths})


@pytest.mark.parametrize("follow", [False, True])
def test_directory_is_an_error(tmp_path: Path, follow: bool) -> None:
    with pytest.raises(SourceError, match="is a directory") as caught:
        open_sources([str(tmp_path)], follow=follow)
    assert str(tmp_path) in str(caught.value)


def test_missing_file_is_an_error_when_not_following(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    with pytest.raises(SourceError) as caught:
        open_sources([str(missing)], follow=False)
    assert str(caught.value) == f"{missing}: no such file"


def test_permission_denied_is_an_error(shared_dir: Path) -> None:
    secret = shared_dir / "audit.log"
    secret.write_bytes(timed_lines("s", 1))
    with unreadable(secret), pytest.raises(SourceError) as caught:
        open_sources([str(secret)], follow=False)
    assert str(caught.value) == f"{secret}: permission denied"


def test_no_paths_is_an_error() -> None:
    with pytest.raises(SourceError, match="no input"):
        open_sources([], follow=False)


async def collect_keeping_open(sources):  # type: ignore[no-untyped-def]
    """Like ``collect`` but leaves the set open, so readers can be inspected afterwards."""
    from .writers import Collected

    got = Collected()
    async for item in sources:
        got.add(item)
    return got
