"""Indexing bytes through a real file, the way the sources deliver them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore


@dataclass
class Indexed:
    store: EventStore
    ingestor: Ingestor
    data: bytes


def batches(data: bytes, lines_per_batch: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) batches of complete lines, ``lines_per_batch`` lines each."""
    offset = 0
    while offset < len(data):
        end = offset
        for _ in range(lines_per_batch):
            newline = data.find(b"\n", end)
            end = len(data) if newline < 0 else newline + 1
            if end == len(data):
                break
        yield offset, data[offset:end]
        offset = end


@contextmanager
def indexed(data: bytes, lines_per_batch: int = 1 << 30, **options: int) -> Iterator[Indexed]:
    """Write ``data`` to a temporary file and index it from there, batch by batch."""
    fd, path = tempfile.mkstemp(prefix="kaudit-tui-hostile-")
    try:
        os.write(fd, data)
        store = EventStore()
        ingestor = Ingestor(store, **options)
        reader = FileReader(path)
        try:
            for offset, batch in batches(data, lines_per_batch):
                ingestor.feed(reader, offset, batch)
            ingestor.finish(reader)
            yield Indexed(store, ingestor, data)
        finally:
            reader.close()
    finally:
        os.close(fd)
        os.unlink(path)


def line_count(data: bytes) -> int:
    """Lines in ``data``, counting an unterminated last line."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
