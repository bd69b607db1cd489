"""Shared test helpers: index real files into a real store."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore

DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"


def feed_in_batches(ingestor: Ingestor, reader: FileReader, data: bytes, chunk: int) -> None:
    """Feed ``data`` (read from ``reader``) the way the sources deliver it: batches of
    complete lines of about ``chunk`` bytes; then finish the reader."""
    offset = 0
    while offset < len(data):
        end = data.rfind(b"\n", offset, offset + chunk) + 1
        if end <= offset:
            end = min(len(data), data.find(b"\n", offset) + 1 or len(data))
        ingestor.feed(reader, offset, data[offset:end])
        offset = end
    ingestor.finish(reader)


def index_files(*paths: Path | str, chunk: int = 1 << 16) -> EventStore:
    """Index files the way the sources deliver them: batches of complete lines."""
    store = EventStore()
    ingestor = Ingestor(store)
    for path in paths:
        feed_in_batches(ingestor, FileReader(str(path)), Path(path).read_bytes(), chunk)
    return store


@pytest.fixture
def write_log(tmp_path: Path):
    """Write lines (bytes or str) to a log file in tmp_path and return its path."""

    def write(content: bytes | str, name: str = "audit.log") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


NOBODY = 65534


@functools.cache
def _nobody_cannot_run() -> str | None:
    """Why this checkout's interpreter cannot run as ``nobody`` (None when it can)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return "running as root and setpriv(1) is missing: cannot drop privileges"
    probe = subprocess.run(
        [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-c", "import kaudit_tui"],
        capture_output=True, cwd="/", timeout=60,
    )  # fmt: skip
    if probe.returncode != 0:
        return f"user nobody cannot run this checkout's Python here: {probe.stderr[-200:]!r}"
    return None


def as_nobody(argv: list[str]) -> list[str]:
    """``argv`` run as user ``nobody`` when the tests run as root (root ignores file modes).

    Skips the calling test when privileges cannot be dropped, or when the checkout lives where
    ``nobody`` may not enter (a clone under /root, say).
    """
    if os.geteuid() != 0:
        return list(argv)
    reason = _nobody_cannot_run()
    if reason is not None:
        pytest.skip(reason)
    setpriv = shutil.which("setpriv")
    return [str(setpriv), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
