"""Which backups a follower must still read after a rotation, in the directory states that
rotation with background compression leaves at the moment the follower looks.

lumberjack renames ``audit.log`` to ``audit-<time>.log``, creates a new ``audit.log`` and then,
in the background, writes ``audit-<time>.log.gz`` and removes the plain backup. The follower
holds the file it read before the rotation (old) and the one it just opened (new); each state
below is built from real files and real descriptors.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kaudit_tui.sources.missed import holds, missed_backups
from kaudit_tui.sources.rotated import Backup

from .writers import timed_lines

NAMES = [f"audit-2026-11-26T10-00-0{i}.000.log" for i in range(6)]


def time_of(index: int) -> datetime:
    return datetime(2026, 11, 26, 10, 0, index)


class Rotations:
    """An active file rotated by hand, each backup optionally compressed afterwards."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.log = directory / "audit.log"
        self.rotated = 0
        self.fds: list[int] = []

    def write(self, prefix: str) -> None:
        self.log.write_bytes(timed_lines(prefix, 20))

    def hold(self) -> int:
        """Open the active file, as the follower does."""
        fd = os.open(self.log, os.O_RDONLY)
        self.fds.append(fd)
        return fd

    def rotate(self, *, compress: bool) -> Path:
        backup = self.directory / NAMES[self.rotated]
        self.rotated += 1
        self.log.rename(backup)
        if compress:
            packed = backup.with_name(backup.name + ".gz")
            packed.write_bytes(gzip.compress(backup.read_bytes()))
            backup.unlink()
            return packed
        return backup


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Rotations]:
    rotations = Rotations(tmp_path)
    yield rotations
    for fd in rotations.fds:
        os.close(fd)


def names(backups: list[Backup]) -> list[str]:
    return [Path(b.preferred).name for b in backups]


@pytest.mark.parametrize("compress", [False, True])
def test_only_files_never_held_are_missed(files: Rotations, compress: bool) -> None:
    files.write("old")
    old = files.hold()
    files.rotate(compress=compress)
    files.write("never-held")
    files.rotate(compress=compress)
    files.write("new")
    new = files.hold()
    missed, known_until = missed_backups(str(files.log), None, old, new)
    assert names(missed) == [NAMES[1] + (".gz" if compress else "")]
    assert known_until == time_of(1)


def test_nothing_missed_after_one_rotation_compressed_at_once(files: Rotations) -> None:
    files.write("old")
    old = files.hold()
    files.rotate(compress=True)
    files.write("new")
    new = files.hold()
    assert missed_backups(str(files.log), None, old, new) == ([], time_of(0))


def test_new_file_rotated_and_compressed_before_the_look_is_not_read_twice(
    files: Rotations,
) -> None:
    """The follower opened the new file, which was rotated and compressed before it listed
    the backups: that ``.gz`` is read through the held descriptor, not as a missed backup, and
    the next rotation still finds the file after it, which the follower never held."""
    files.write("old")
    old = files.hold()
    files.rotate(compress=True)
    files.write("new")
    new = files.hold()
    files.rotate(compress=True)  # the new file's own backup
    files.write("never-held")
    assert missed_backups(str(files.log), None, old, new) == ([], time_of(0))

    files.rotate(compress=True)
    files.write("newer")
    newer = files.hold()
    missed, known_until = missed_backups(str(files.log), time_of(0), new, newer)
    assert names(missed) == [NAMES[2] + ".gz"]
    assert known_until == time_of(2)


def test_rotation_between_opening_and_listing_at_start(files: Rotations) -> None:
    """Following began by opening the file, which was rotated before the existing backups
    were listed: its own backup counts as existing at start. The next backup, compressed
    already, is a file never held and must not be taken for the old file's."""
    files.write("old")
    old = files.hold()
    files.rotate(compress=True)  # listed at start: known_until is its time
    files.write("never-held")
    files.rotate(compress=True)
    files.write("new")
    new = files.hold()
    missed, known_until = missed_backups(str(files.log), time_of(0), old, new)
    assert names(missed) == [NAMES[1] + ".gz"]
    assert known_until == time_of(1)


def test_backup_listed_plain_and_compressed_since_is_recognised(files: Rotations) -> None:
    files.write("old")
    old = files.hold()
    plain = files.directory / NAMES[0]
    listed = Backup(str(files.log), time_of(0), str(plain), None)
    files.rotate(compress=True)
    assert holds(listed, old)


def test_compressed_backup_must_match_the_held_file_exactly(files: Rotations) -> None:
    """A ``.gz`` is the held file only if it decompresses to all of its bytes and no more."""
    files.write("old")
    old = files.hold()
    content = files.log.read_bytes()
    backup = files.rotate(compress=True)
    listed = Backup(str(files.log), time_of(0), None, str(backup))
    assert holds(listed, old)
    for other in (content[:-1], content + b"\n", content[:-2] + b"x\n"):
        backup.write_bytes(gzip.compress(other))
        assert not holds(listed, old)
    half = len(content) // 2
    backup.write_bytes(gzip.compress(content[:half]) + gzip.compress(content[half:]))
    assert holds(listed, old), "concatenated gzip members are one stream"
    backup.unlink()
    assert not holds(listed, old), "a backup removed meanwhile is not the held file"
