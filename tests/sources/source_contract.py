"""A reusable check that a source keeps the source protocol (``kaudit_tui.sources.Source``).

Use it for every kind of input, on real files, pipes or whatever the source reads::

    async def test_my_source_keeps_the_protocol(tmp_path):
        async with SourceContract(lambda: open_my_source(...)) as contract:
            feed(b"first lines\\n")
            await contract.until_caught_up(b"first lines\\n")   # a live source
            finish()
            await contract.until_end(b"first lines\\n")         # a source that ends

``SourceContract`` opens the source with the factory it is given (after noting the open
descriptors), iterates ``items()`` in a task the way the source set does, and checks every
item as it arrives:

* only ``LineBatch``, ``SegmentEnd``, ``SourceStatus`` and ``CaughtUp`` are yielded;
* the first item is a ``reading`` or ``waiting`` status; every status and ``CaughtUp`` carries
  the source's label, every state is one of ``STATES``, every message is non-empty;
* per reader, batches are non-empty, ascend without overlapping, read back as they came
  (``reader.read_at``), and only a reader's last batch may miss its final newline;
* one reader at a time: a batch of a new reader only after the previous one's ``SegmentEnd``,
  and nothing for a reader after its ``SegmentEnd``;
* when ``items()`` returns: every reader has had its ``SegmentEnd`` and the last item is an
  ``ended`` or ``error`` status.

``until_caught_up`` checks the ``CaughtUp`` duty: once everything written so far has been
delivered, a ``CaughtUp`` follows the last batch. Leaving the ``async with`` cancels the
iteration wherever it is, calls ``close()`` twice, and checks that every descriptor opened
since the factory was called is closed again (close descriptors the test itself opened, such
as a pipe's write end, before leaving). ``check_close_without_reading`` covers a source that
is closed before it was ever iterated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable

from kaudit_tui.sources import CaughtUp, LineBatch, SegmentEnd, Source, SourceStatus
from kaudit_tui.sources.items import STATES

START_STATES = ("reading", "waiting")
END_STATES = ("ended", "error")


def open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


class SourceContract:
    """Drives one source and fails on the first item that breaks the protocol."""

    def __init__(self, factory: Callable[[], Source]) -> None:
        self._factory = factory
        self.source: Source | None = None
        self.items: list[object] = []
        self.done = False
        """``items()`` has returned (and the end checks passed)."""
        self.failure: BaseException | None = None
        self._offsets: dict[int, int] = {}
        self._unterminated: set[int] = set()
        self._ended: set[int] = set()
        self._current: int | None = None
        self._readers: dict[int, object] = {}
        self._task: asyncio.Task[None] | None = None
        self._fds: set[int] = set()

    # -- driving -----------------------------------------------------------------------------
    async def __aenter__(self) -> SourceContract:
        self._fds = open_fds()
        self.source = self._factory()
        assert isinstance(self.source, Source), "not a Source: needs label, items(), close()"
        assert isinstance(self.source.label, str) and self.source.label, "label must be text"
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self) -> None:
        assert self.source is not None
        try:
            async for item in self.source.items():
                self._check(item)
                self.items.append(item)
            self._check_end()
            self.done = True
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # reported by the waiting test, with the items so far
            self.failure = exc

    async def close(self) -> None:
        """Stop iterating, close the source twice, and check no descriptor is left open."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.source is not None:
            self.source.close()
            self.source.close()  # idempotent
        await asyncio.sleep(0)  # let a closed transport finish closing
        if self.failure is not None:
            raise self.failure
        leaked = open_fds() - self._fds
        assert not leaked, f"descriptors left open after close(): {sorted(leaked)}"

    # -- waiting -----------------------------------------------------------------------------
    @property
    def data(self) -> bytes:
        """Every line delivered so far, in order."""
        return b"".join(item.data for item in self.items if isinstance(item, LineBatch))

    def statuses(self) -> list[str]:
        return [item.state for item in self.items if isinstance(item, SourceStatus)]

    async def until_caught_up(self, expected: bytes, timeout: float = 10.0) -> None:
        """Wait until exactly ``expected`` was delivered and a ``CaughtUp`` came after it."""

        def caught_up() -> bool:
            if self.data != expected:
                return False
            last_batch = max(
                (i for i, item in enumerate(self.items) if isinstance(item, LineBatch)),
                default=-1,
            )
            return any(isinstance(item, CaughtUp) for item in self.items[last_batch + 1 :])

        await self._wait(caught_up, expected, timeout, "a CaughtUp after the last batch")

    async def until_end(self, expected: bytes, timeout: float = 10.0) -> None:
        """Wait until ``items()`` returns, having delivered exactly ``expected``."""
        await self._wait(lambda: self.done, expected, timeout, "the end of items()")
        assert self.data == expected

    async def _wait(
        self, ready: Callable[[], bool], expected: bytes, timeout: float, what: str
    ) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.failure is not None:
                raise self.failure
            assert expected.startswith(self.data), "delivered lines differ from those written"
            if self._task is not None and self._task.done() and not self.done:
                raise AssertionError(f"items() stopped early; items: {self.items[-5:]}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}: {len(self.data)} of {len(expected)} bytes "
                    f"delivered; last items: {self.items[-5:]}"
                )
            await asyncio.sleep(0.01)

    # -- checks ------------------------------------------------------------------------------
    def _check(self, item: object) -> None:
        assert self.source is not None
        label = self.source.label
        assert isinstance(item, LineBatch | SegmentEnd | SourceStatus | CaughtUp), item
        if not self.items:
            assert isinstance(item, SourceStatus) and item.state in START_STATES, (
                f"the first item must be a reading/waiting status, not {item!r}"
            )
        if isinstance(item, SourceStatus):
            assert item.label == label, f"status of {item.label!r} from source {label!r}"
            assert item.state in STATES, item.state
            assert isinstance(item.message, str) and item.message
        elif isinstance(item, CaughtUp):
            assert item.label == label, f"CaughtUp of {item.label!r} from source {label!r}"
        elif isinstance(item, SegmentEnd):
            key = id(item.reader)
            assert key not in self._ended, "two SegmentEnds for one reader"
            self._ended.add(key)
            self._readers[key] = item.reader
            if self._current == key:
                self._current = None
        else:
            self._check_batch(item)

    def _check_batch(self, batch: LineBatch) -> None:
        key = id(batch.reader)
        self._readers[key] = batch.reader  # keep it alive: ids stay unique
        assert key not in self._ended, "a batch for a reader after its SegmentEnd"
        assert self._current in (None, key), "a batch of a new reader before the last one ended"
        self._current = key
        assert batch.data, "an empty batch"
        assert key not in self._unterminated, "a batch after one that did not end in a newline"
        assert batch.offset >= self._offsets.get(key, 0), (
            f"offsets go back or overlap: {batch.offset} after {self._offsets.get(key)}"
        )
        self._offsets[key] = batch.offset + len(batch.data)
        if not batch.data.endswith(b"\n"):
            self._unterminated.add(key)
        read_back = batch.reader.read_at(batch.offset, len(batch.data))
        assert read_back == batch.data, "reader.read_at does not give the batch back"

    def _check_end(self) -> None:
        open_readers = set(self._readers) - self._ended
        assert not open_readers, "items() returned before every reader had its SegmentEnd"
        assert self.items, "items() yielded nothing"
        last = self.items[-1]
        assert isinstance(last, SourceStatus) and last.state in END_STATES, (
            f"the last item must be an ended/error status, not {last!r}"
        )


async def check_close_without_reading(
    factory: Callable[[], Source], cleanup: Callable[[], None] | None = None
) -> None:
    """A source closed before ``items()`` ever ran releases everything it opened.

    ``cleanup`` closes what the factory opened for the test itself (a pipe's write end).
    """
    before = open_fds()
    source = factory()
    source.close()
    source.close()
    if cleanup is not None:
        cleanup()
    await asyncio.sleep(0)
    leaked = open_fds() - before
    assert not leaked, f"descriptors left open by a source closed unread: {sorted(leaked)}"
