"""Reading one finished segment (a plain file or a ``.gz`` backup) from start to end."""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator

from kaudit_tui.core.segments import FileReader

from .cursor import LineCursor
from .gz import GzipError, GzipInflater
from .items import LineBatch, SegmentEnd, SourceStatus
from .spool import SpoolReader

Item = LineBatch | SegmentEnd | SourceStatus
_SPOOL_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


async def read_plain(reader: FileReader) -> AsyncIterator[Item]:
    """All lines of a file that is not growing, the last one even without a newline."""
    cursor = LineCursor(reader)
    while batch := await cursor.next_batch(final=True):
        yield batch
    yield SegmentEnd(reader)


async def read_gzip(fd: int, path: str, spool: SpoolReader) -> AsyncIterator[Item]:
    """Lines of a ``.gz`` backup, decompressed into ``spool`` as they are read.

    A stream that stops early (lumberjack still compressing) or is corrupt is reported as an
    error status, not raised: the complete lines before the damage have been delivered, and
    the other files of the set are still worth reading.
    """
    inflater = GzipInflater(fd, spool)
    cursor = LineCursor(spool)
    try:
        while not inflater.done:
            for batch in await asyncio.to_thread(_inflate_step, inflater, cursor):
                yield batch
    except GzipError as exc:
        while complete := await cursor.next_batch(final=False):
            yield complete
        yield SourceStatus(spool.label, "error", f"{path}: {exc}; read up to the damage")
    except OSError as exc:
        while batch := await cursor.next_batch(final=False):
            yield batch
        yield SourceStatus(spool.label, "error", _failure(path, spool, exc))
    finally:
        os.close(fd)
    yield SegmentEnd(spool)


def _failure(path: str, spool: SpoolReader, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.errno in _SPOOL_FULL:
        return (
            f"{path}: stopped after {spool.size} bytes decompressed: the spool file in "
            f"{spool.directory} cannot grow ({reason}); set KAUDIT_TUI_SPOOL_DIR to a "
            "directory with room"
        )
    return f"{path}: read failed after {spool.size} bytes decompressed ({reason})"


def _inflate_step(inflater: GzipInflater, cursor: LineCursor) -> list[LineBatch]:
    """One decompression step plus the lines it completed, in one worker-thread hop."""
    inflater.step()
    batches = []
    while batch := cursor.read_batch(final=inflater.done):
        batches.append(batch)
    return batches
