"""Piped input: a real subprocess writing into a pipe, spooled and re-readable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kaudit_tui.sources import LineBatch, open_sources

from .writers import Collected, collect, ids, timed_lines

WRITER = textwrap.dedent(
    """
    import os, sys, time
    data = open(sys.argv[1], "rb").read()
    pieces = int(sys.argv[2])
    step = len(data) // pieces + 1
    for start in range(0, len(data), step):   # cuts fall mid-line: the reader must wait
        os.write(1, data[start:start + step])
        time.sleep(0.01)
    """
)


def start_writer(tmp_path: Path, data: bytes, pieces: int) -> subprocess.Popen[bytes]:
    payload = tmp_path / "payload"
    payload.write_bytes(data)
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(payload), str(pieces)], stdout=subprocess.PIPE
    )


@pytest.mark.parametrize("follow", [False, True])
async def test_subprocess_pipe_read_to_its_end(tmp_path: Path, follow: bool) -> None:
    writer = start_writer(tmp_path, timed_lines("p", 2000), pieces=37)
    assert writer.stdout is not None
    fd = os.dup(writer.stdout.fileno())
    writer.stdout.close()
    got = await collect(open_sources(["-"], follow=follow, stdin_fd=fd))
    assert writer.wait(5) == 0
    assert got.audit_ids == ids("p", 2000)
    assert set(got.labels) == {"stdin"}
    assert got.states() == ["reading", "ended"]
    assert got.statuses[-1].message.startswith("stdin: end of stream")


async def test_unterminated_last_line_of_a_pipe_is_delivered(tmp_path: Path) -> None:
    writer = start_writer(tmp_path, timed_lines("u", 3).rstrip(b"\n"), pieces=5)
    assert writer.stdout is not None
    fd = os.dup(writer.stdout.fileno())
    writer.stdout.close()
    got = await collect(open_sources(["-"], follow=False, stdin_fd=fd))
    writer.wait(5)
    assert got.audit_ids == ids("u", 3)


async def test_pipe_spool_is_private_and_removed_on_close(tmp_path: Path) -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, timed_lines("s", 10))
    os.close(write_fd)
    sources = open_sources(["-"], follow=False, stdin_fd=read_fd)
    got = Collected()
    async for item in sources:
        got.add(item)
    spool = next(item.reader for item in got.batches if isinstance(item, LineBatch))
    info = os.fstat(spool.fd)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_nlink == 0, "the spool must have no name on disk"
    await sources.aclose()
    assert spool.fd == -1
    with pytest.raises(OSError):
        os.fstat(read_fd)  # the set owned the stdin descriptor and closed it


async def test_stdin_redirected_from_a_file_is_read_in_place(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("f", 50))
    fd = os.open(log, os.O_RDONLY)
    got = await collect(open_sources(["-"], follow=False, stdin_fd=fd))
    assert got.audit_ids == ids("f", 50)
    assert set(got.labels) == {"stdin"}


async def test_named_pipe_path_is_spooled(tmp_path: Path) -> None:
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    sources = open_sources([str(fifo)], follow=False)  # must not block without a writer
    writer = subprocess.Popen(
        [sys.executable, "-c", f"open({str(fifo)!r}, 'wb').write({timed_lines('n', 20)!r})"]
    )
    got = await collect(sources)
    assert writer.wait(5) == 0
    assert got.audit_ids == ids("n", 20)


async def test_process_substitution_path_is_read_as_a_pipe_even_when_following(
    tmp_path: Path,
) -> None:
    """``kaudit-tui <(kubectl logs -f ...)`` names a pipe, which is spooled, not followed."""
    payload = tmp_path / "payload"
    payload.write_bytes(timed_lines("s", 30))
    writer = subprocess.Popen(["cat", str(payload)], stdout=subprocess.PIPE, pass_fds=())
    assert writer.stdout is not None
    path = f"/dev/fd/{writer.stdout.fileno()}"
    sources = open_sources([path], follow=True)
    writer.stdout.close()
    got = await collect(sources)
    writer.wait(5)
    assert got.audit_ids == ids("s", 30)
    assert got.states() == ["reading", "ended"]
