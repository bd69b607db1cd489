"""Without the compiled scanner, the indexing helper starts with the program when the command
line names large files, and the first indexer to need a helper takes that one over instead of
starting another; with it, indexing uses two threads and no helper starts."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaudit_tui.core import helperproc, linescan
from kaudit_tui.core.parallel import SPLIT_MIN, ParallelIngestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.events import numbered_line

pytestmark = pytest.mark.skipif(helperproc.usable_cores() < 2, reason="needs two cores")


@pytest.fixture(autouse=True)
def no_helper_left() -> Iterator[None]:
    yield
    early = helperproc.take_early()
    if early is not None:
        early[0].kill()
        early[0].wait()
        for pipe in (early[0].stdin, early[0].stdout, early[1]):
            pipe.close()  # type: ignore[union-attr]


def _log(path: Path, size: int) -> Path:
    lines, total = [], 0
    while total < size:
        lines.append(numbered_line(len(lines)))
        total += len(lines[-1])
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture
def no_compiled_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    """As an install without a C compiler (and so without the scanner) runs."""
    monkeypatch.setattr(helperproc, "compiled_scanner", lambda: False)


@pytest.mark.skipif(not linescan.AVAILABLE, reason="the compiled scanner was not built")
def test_with_the_compiled_scanner_large_files_start_no_helper(tmp_path: Path) -> None:
    log = _log(tmp_path / "audit.log", helperproc.EARLY_BYTES)
    helperproc.start_early([str(log)])
    assert not helperproc.has_early()
    shared = ParallelIngestor(EventStore())
    data = log.read_bytes()
    shared.feed(FileReader(str(log)), 0, data)
    assert not shared.sharing and shared.lines == data.count(b"\n")


@pytest.mark.usefixtures("no_compiled_scanner")
def test_large_files_start_the_helper_at_once(tmp_path: Path) -> None:
    log = _log(tmp_path / "audit.log", helperproc.EARLY_BYTES)
    helperproc.start_early([str(log), "-", str(tmp_path / "missing.log")])
    early = helperproc.take_early()
    assert early is not None
    helper = early[0]
    assert pickle.load(helper.stdout) == "ready"  # type: ignore[arg-type]
    helper.stdin.close()  # type: ignore[union-attr]
    assert helper.wait(timeout=30) == 0  # its pipe closed: it ends by itself
    helper.stdout.close()  # type: ignore[union-attr]
    early[1].close()


def test_small_files_and_pipes_start_no_helper(tmp_path: Path) -> None:
    log = _log(tmp_path / "audit.log", 64 * 1024)
    helperproc.start_early([str(log), "-"])
    assert not helperproc.has_early()


@pytest.mark.usefixtures("no_compiled_scanner")
def test_the_first_large_batch_takes_the_early_helper_over(tmp_path: Path) -> None:
    log = _log(tmp_path / "audit.log", helperproc.EARLY_BYTES)
    helperproc.start_early([str(log)])
    assert helperproc.has_early()
    shared = ParallelIngestor(EventStore(), helper=True)
    try:
        data = log.read_bytes()
        cut = data.rfind(b"\n", 0, 2 * SPLIT_MIN) + 1
        shared.feed(FileReader(str(log)), 0, data[:cut])
        assert shared.sharing and not helperproc.has_early()
    finally:
        shared.close()
