"""Shared test helpers: index real files into a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore

DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"


def index_files(*paths: Path | str, chunk: int = 1 << 16) -> EventStore:
    """Index files the way the sources deliver them: batches of complete lines."""
    store = EventStore()
    ingestor = Ingestor(store)
    for path in paths:
        reader = FileReader(str(path))
        data = Path(path).read_bytes()
        offset = 0
        while offset < len(data):
            end = data.rfind(b"\n", offset, offset + chunk) + 1
            if end <= offset:
                end = min(len(data), data.find(b"\n", offset) + 1 or len(data))
            ingestor.feed(reader, offset, data[offset:end])
            offset = end
        ingestor.finish(reader)
    return store


@pytest.fixture
def write_log(tmp_path: Path):
    """Write lines (bytes or str) to a log file in tmp_path and return its path."""

    def write(content: bytes | str, name: str = "audit.log") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write
