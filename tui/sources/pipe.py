"""Piped input: keeping the keyboard on fd 0, and spooling the pipe to a private file.

Textual reads keys from fd 0. When events arrive on stdin, ``detach_stdin`` moves the pipe
to a new descriptor and puts the terminal on fd 0 (POSIX only). The pipe is then read without
blocking and appended to a spool as fast as it arrives, so the writer is never held up by the
UI, memory stays bounded, and every event can be re-read later from the spool.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from .cursor import LineCursor
from .gz import MAGIC, GzipError, StreamInflater
from .items import CaughtUp, SegmentEnd, SourceError, SourceStatus
from .protocol import SourceYield as Item
from .spool import SpoolReader


def detach_stdin() -> int:
    """Move piped stdin to a new descriptor and put the controlling terminal on fd 0.

    Returns:
        The descriptor the piped data can be read from.

    Raises:
        SourceError: there is no terminal to read keys from (for example under cron).
    """
    try:
        tty = os.open("/dev/tty", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise SourceError(f"stdin: no terminal for the keyboard ({exc.strerror})") from None
    data_fd = os.dup(0)
    os.dup2(tty, 0)
    os.close(tty)
    return data_fd


class _SpoolingProtocol(asyncio.Protocol):
    """Appends whatever the pipe delivers to the spool and wakes the line reader.

    When the spool cannot take more (a full disk), reading stops: what was spooled stays
    indexed and readable, the writer sees a closed pipe, and the end status says why.
    """

    def __init__(self, spool: SpoolReader, wake: asyncio.Event) -> None:
        self.spool = spool
        self.wake = wake
        self.ended = False
        self.error: Exception | None = None
        self.spool_error: OSError | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._first: bytes | None = b""
        """The stream's first bytes, until they tell whether it is gzip (then None)."""
        self._inflater: StreamInflater | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self.spool_error is not None or self.error is not None:
            return
        if self._first is not None:  # gzip is told from the content (``aws s3 cp ... -``)
            data = self._first + data
            if len(data) < len(MAGIC) and MAGIC.startswith(data):
                self._first = data
                return
            self._first = None
            if data.startswith(MAGIC):
                self._inflater = StreamInflater()
        self._spool(data)
        self.wake.set()

    def _spool(self, data: bytes, final: bool = False) -> None:
        try:
            if self._inflater is None:
                self.spool.append(data)
            else:
                for piece in self._inflater.feed(data):
                    self.spool.append(piece)
                if final:
                    self._inflater.finish()
        except OSError as exc:
            self.spool_error = exc
            self._stop()
        except GzipError as exc:
            self.error = exc
            self._stop()

    def _stop(self) -> None:
        self.ended = True
        if self._transport is not None:
            self._transport.close()

    def eof_received(self) -> bool:
        if self.spool_error is None and self.error is None and (self._first or self._inflater):
            self._spool(self._first or b"", final=True)
        self.ended = True
        self.wake.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.error = exc
        self.ended = True
        self.wake.set()


class PipeSource:
    """A logical source reading a pipe (stdin, or a FIFO such as ``<(kubectl logs -f ...)``)."""

    def __init__(self, fd: int, label: str) -> None:
        self.label = label
        self._fd = fd
        self.spool = SpoolReader(label)
        self._transport: asyncio.ReadTransport | None = None

    async def items(self) -> AsyncIterator[Item]:
        wake = asyncio.Event()
        protocol = _SpoolingProtocol(self.spool, wake)
        pipe = os.fdopen(self._fd, "rb", buffering=0, closefd=False)
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.connect_read_pipe(lambda: protocol, pipe)
        yield SourceStatus(self.label, "reading", f"{self.label}: reading the pipe")
        cursor = LineCursor(self.spool)
        while True:
            wake.clear()  # before reading, so data arriving during the read is not missed
            ended = protocol.ended
            batch = await cursor.next_batch(final=ended)
            if batch:
                yield batch
            elif ended:
                break
            else:
                yield CaughtUp(self.label)
                await wake.wait()
        yield SegmentEnd(self.spool)
        if protocol.spool_error is not None:
            yield _spool_full_status(self.spool, protocol.spool_error)
        else:
            yield _end_status(self.label, protocol.error, self.spool.size)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.spool.close()


def _spool_full_status(spool: SpoolReader, error: OSError) -> SourceStatus:
    reason = error.strerror or str(error)
    return SourceStatus(
        spool.label,
        "error",
        f"{spool.label}: stopped reading after {spool.size} bytes: the spool file in "
        f"{spool.directory} cannot grow ({reason}); set KAUDIT_TUI_SPOOL_DIR to a directory "
        "with room",
    )


def _end_status(label: str, error: Exception | None, size: int) -> SourceStatus:
    if error is not None:
        return SourceStatus(label, "error", f"{label}: read failed after {size} bytes ({error})")
    return SourceStatus(label, "ended", f"{label}: end of stream ({size} bytes)")
