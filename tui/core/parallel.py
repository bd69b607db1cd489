"""Index large batches with two processes: this one and a helper.

Indexing is bound by the Python work done per event (decoding and interning), so one process
tops out at one core. A large batch (a backlog being read for the first time) is cut in two at a
newline: a helper process indexes the second part with an :class:`Ingestor` of its own while
this process indexes the first, and the helper's rows are then appended after ours with their
codes translated into the store's tables. Rows, codes and skips come out exactly as one Ingestor
makes them (the tests compare the two).

The part travels through memory both processes map, and only a few numbers through the pipe;
the helper's rows come back as arrays. Pretty-printed documents are cut between two of them (the
helper's part ends between documents too, and the rest of the batch is done here after it).
Small batches (a followed file's new lines), other batches that continue a multi-line JSON
document, and machines with one core use this process alone; so does everything after the
helper fails in any way.
"""

from __future__ import annotations

import contextlib
import mmap
import pickle
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any, BinaryIO

import msgspec
import numpy as np

from kaudit_tui.core import helperproc
from kaudit_tui.core.helperproc import (  # the helper's command line is named here too
    HELPER_FLAG,  # noqa: F401
    helper_command,  # noqa: F401
    usable_cores,
)
from kaudit_tui.core.ingest import DEFAULT_MAX_LINE, Ingestor
from kaudit_tui.core.segments import RawReader
from kaudit_tui.core.store import COLUMNS, OTHER_ID, EventStore, SkipLog
from kaudit_tui.core.tables import InternTable
from kaudit_tui.core.texts import text_table

SPLIT_MIN = 256 * 1024
"""Batches smaller than this are indexed here alone: sharing them would cost more than it
saves."""
START_AFTER = 4 << 20
"""Bytes of large batches indexed here before the helper is started: a small log never pays
for a second interpreter, and the first screen of a large one is not slowed by its start."""
_SENT = tuple(name for name in COLUMNS if name != "seg")
"""The columns the helper sends back (the segment column is this process's)."""
_READY = "ready"
_SHARE_LIMITS = (0.1, 0.7)
_PATIENCE = 0.5
"""How long to wait for a late helper: this fraction of the time its part would take here,"""
_LATENCY = 0.005
"""... plus this many seconds for the round trip of a part."""


class HelperRows(msgspec.Struct):
    """The helper's rows for its part of a batch, coded in the helper's own tables."""

    columns: dict[str, np.ndarray]
    new_shapes: dict[str, list[tuple]]
    """Client (``who``) and request (``what``) shapes the helper coded since its last part;
    its shape codes are kept across parts."""
    values: dict[str, tuple[np.ndarray, list[str]]]
    """For names, URIs and other audit IDs: the helper codes the rows use, and their values."""
    skips: SkipLog
    lines: int
    in_document: bool
    """The part ended inside a multi-line JSON document: its rows are not to be used."""
    coerced: dict[str, list[int]]
    """Helper shape codes (any, new or not) first marked coerced during this part."""
    seconds: float
    """Wall-clock time the helper took for the part."""
    cpu_seconds: float


class ParallelIngestor:
    """An :class:`Ingestor` (same ``feed``/``finish``) that shares large batches with a
    helper process."""

    def __init__(
        self, store: EventStore, *, max_line: int = DEFAULT_MAX_LINE, helper: bool | None = None
    ) -> None:
        """``helper``: use a helper process (default: when this process may use two cores)."""
        self.store = store
        self.local = Ingestor(store, max_line=max_line)
        self.helper_lines = 0
        self.helper_cpu_seconds = 0.0
        """CPU time the helper spent indexing: it is not this process's (benchmarks add it)."""
        self.share = 0.5
        """Fraction of a batch the helper takes, tuned so that both processes end together."""
        # With the compiled scanner, this process parses in two threads instead: cheaper than
        # a second interpreter and the round trip of its rows.
        self._enabled = (
            helper if helper is not None else usable_cores() >= 2 and not self.local.compiled
        )
        self._helper: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._alone = 0
        """Bytes of large batches indexed here alone before the helper was started."""
        self._pending = False
        """A part was sent and its answer not yet read."""
        self._shared_file: BinaryIO | None = None
        """Memory both processes map (an anonymous file): the part for the helper."""
        self._shared: mmap.mmap | None = None
        self._shape_codes = {"who": np.zeros(1, np.uint32), "what": np.zeros(1, np.uint32)}
        """Per shape column: the store's code for each of the helper's codes."""

    @property
    def lines(self) -> int:
        return self.local.lines + self.helper_lines

    @property
    def sharing(self) -> bool:
        """Is a helper process running (or starting)?"""
        return self._helper is not None

    @property
    def helper_pid(self) -> int | None:
        helper = self._helper
        return helper.pid if helper is not None else None

    def prepare(self, data: bytes) -> None:
        """See :meth:`Ingestor.prepare`."""
        self.local.prepare(data)

    def feed(self, reader: RawReader, offset: int, data: bytes) -> range:
        """Index the complete lines in ``data``; returns the ids of the rows appended."""
        first_row = self.store.next_id
        self._collect()
        cuts = self._cut(reader, data)
        if cuts is None:
            self.local.feed(reader, offset, data)
            return range(first_row, self.store.next_id)
        cut, stop = cuts  # the helper's part: data[cut:stop]; the rest after it is done here
        sent = self._send(offset + cut, memoryview(data)[cut:stop])
        started = time.perf_counter()
        self.local.feed(reader, offset, data[:cut])
        ours = time.perf_counter() - started
        # Wait for the helper only while that is clearly quicker than doing its part here: a
        # helper starved of CPU by other work on the machine must not hold indexing back.
        patience = _PATIENCE * ours * (stop - cut) / cut + _LATENCY
        part = self._receive(patience) if sent else None
        waited = time.perf_counter() - started - ours
        if part is None or part.in_document or self.local.in_document(reader):
            if part is None and self._pending:  # late: its rows will be dropped when they come
                self._balance(ours / cut, 2 * (ours + waited) / (stop - cut))
            self.local.feed(reader, offset + cut, data[cut:])
        else:
            # A helper that was done first took its own time; one we waited for, ours and more.
            theirs = ours + waited if waited > 0.001 else part.seconds
            self._balance(ours / cut, theirs / (stop - cut))
            self._append(reader, part)
            if stop < len(data):
                self.local.feed(reader, offset + stop, data[stop:])
        return range(first_row, self.store.next_id)

    def finish(self, reader: RawReader) -> range:
        """The reader has no more data (see :meth:`Ingestor.finish`)."""
        return self.local.finish(reader)

    def start(self) -> bool:
        """Start the helper now and wait until it takes work; False if it cannot run."""
        if self._helper is None and self._enabled:
            self._start()
        while self._helper is not None and not self._ready:
            self._check_ready(None)
        return self._ready

    def close(self) -> None:
        """Stop the helper; this process indexes alone from now on.

        Safe to call from another thread while a batch is being indexed: that batch is then
        finished here. The helper also stops by itself when this process ends.
        """
        self._enabled = False
        self._pending = False
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.kill()  # first: a read of its answer in the indexing thread then ends
            helper.wait()
            for pipe in (helper.stdin, helper.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):  # a request it never read
                        pipe.close()

    # -- the helper ------------------------------------------------------------------------
    def _cut(self, reader: RawReader, data: bytes) -> tuple[int, int] | None:
        """Where the helper's part of ``data`` starts and ends, or None to index it here alone."""
        if not self._enabled or len(data) < SPLIT_MIN:
            return None
        if self._helper is None:
            self._alone += len(data)
            if self._alone >= START_AFTER or helperproc.has_early():
                self._start()
            return None
        if not self._ready and not self._check_ready(0):
            return None  # still starting: this batch is not worth waiting for
        if self._pending:
            return None  # still busy with a part that was done here meanwhile
        at = int(len(data) * (1 - self.share))
        documents = _between_documents(data, at)
        if documents is not None:
            return documents
        if self.local.in_document(reader):
            return None
        cut = data.find(b"\n", at) + 1
        return (cut, len(data)) if 0 < cut < len(data) else None

    def _start(self) -> None:
        if not self._enabled:  # closed meanwhile, from another thread
            return
        try:
            self._helper, self._shared_file = helperproc.spawn()
        except (OSError, AttributeError):  # no memfd_create (not Linux), no processes left
            self.close()

    def _check_ready(self, timeout: float | None) -> bool:
        """Has the helper said it is ready (waiting up to ``timeout`` seconds)?"""
        helper = self._helper
        try:
            answered = _readable(helper.stdout, timeout)  # type: ignore[union-attr]
        except (OSError, ValueError, AttributeError):  # stopped meanwhile
            return False
        if answered:
            self._ready = self._receive() == _READY
        return self._ready

    def _send(self, offset: int, part: memoryview) -> bool:
        """Put ``part`` (which starts at ``offset``) in the shared memory and ask for it."""
        helper = self._helper
        try:
            shared = self._shared
            if shared is None or len(shared) < len(part):
                shared = self._grow(len(part))
            shared[: len(part)] = part
            request = (offset, len(part), len(shared), self.local.max_line)
            pickle.dump(request, helper.stdin, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[union-attr]
            helper.stdin.flush()  # type: ignore[union-attr]
            self._pending = True
        except (OSError, ValueError, AttributeError):  # the helper is gone (or was stopped)
            self.close()
            return False
        return True

    def _grow(self, size: int) -> mmap.mmap:
        assert self._shared_file is not None
        size = max(size, 2 * len(self._shared) if self._shared is not None else 0)
        self._shared_file.truncate(size)
        self._shared = mmap.mmap(self._shared_file.fileno(), size)
        return self._shared

    def _receive(self, timeout: float | None = None) -> Any:
        """The helper's answer (None: it failed, or has not answered within ``timeout``)."""
        helper = self._helper
        try:
            if timeout is not None and not _readable(helper.stdout, timeout):  # type: ignore[union-attr]
                return None  # still pending: collected (and dropped) later
            answer = pickle.load(helper.stdout)  # type: ignore[union-attr,arg-type]
        except Exception:  # the helper died, failed or was stopped: index here from now on
            self.close()
            return None
        self._pending = False
        if isinstance(answer, HelperRows):
            self.helper_cpu_seconds += answer.cpu_seconds
            self._learn_shapes(answer)  # even when its rows are not used: later parts use them
        return answer

    def _collect(self) -> None:
        """Take in a late answer, if it has come: its rows were indexed here meanwhile."""
        if self._pending:
            self._receive(0)

    def _balance(self, local_per_byte: float, helper_per_byte: float) -> None:
        """Move the cut so that both processes would have ended together."""
        if local_per_byte <= 0 or helper_per_byte <= 0:
            return
        ideal = local_per_byte / (local_per_byte + helper_per_byte)
        low, high = _SHARE_LIMITS
        self.share = min(high, max(low, 0.8 * self.share + 0.2 * ideal))

    def _learn_shapes(self, part: HelperRows) -> None:
        """Add the shapes the helper coded for the first time to the translations."""
        for column, table in (("who", self.store.who), ("what", self.store.what)):
            new = part.new_shapes[column]
            if new:
                codes = np.array([table.code(shape) for shape in new], np.uint32)
                self._shape_codes[column] = np.concatenate([self._shape_codes[column], codes])
            for code in part.coerced[column]:
                table.mark_coerced(int(self._shape_codes[column][code]))

    def _append(self, reader: RawReader, part: HelperRows) -> None:
        store = self.store
        columns = part.columns
        for column in ("who", "what"):
            columns[column] = self._shape_codes[column][columns[column]]
        columns["name"] = _translate(columns["name"], part.values["name"], store.names)
        columns["uri"] = _translate(columns["uri"], part.values["uri"], store.uris)
        other = columns["id_hi"] == np.uint64(OTHER_ID)
        if other.any():
            ids = _translate(columns["id_lo"][other], part.values["id"], store.other_ids)
            columns["id_lo"][other] = ids
        seg = store.segment_id(reader)
        columns["seg"] = np.full(len(columns["off"]), seg, np.uint16)
        store.append(columns)
        store.skips.merge(part.skips, seg)
        self.helper_lines += part.lines


def _translate(
    codes: np.ndarray, values: tuple[np.ndarray, Sequence[str]], table: InternTable[str]
) -> np.ndarray:
    """Helper codes as codes of ``table``, given the (sorted) helper codes used and their
    values."""
    used, texts = values
    if not len(used):
        return np.zeros(len(codes), np.uint32)
    found = np.fromiter(table.codes(texts), np.uint32, count=len(texts))
    return found[np.searchsorted(used, codes)]


def _between_documents(data: bytes, at: int) -> tuple[int, int] | None:
    """For pretty-printed documents one after another (``aws logs tail --format json``,
    awscli's pages): the helper's part from just after the closing line ``}`` of one near
    ``at`` to just after the last one, so that it starts and ends between documents (a batch
    of complete lines mostly ends inside one). None when there are not two such lines (JSON
    lines hold none).

    The cut is checked as any other: a part that does not end between documents (the layout
    was not what it looked like) is done again here.
    """
    first = data.find(b"\n}\n", at)
    if first < 0:
        return None
    last = data.rfind(b"\n}\n", first + 1)
    return (first + 3, last + 3) if last > first else None


# -- in the helper process ------------------------------------------------------------------
class _Part:
    """Stands for the source of every part: the helper indexes, it never reads back."""

    label = "part"

    def read_at(self, offset: int, length: int) -> bytes:
        raise LookupError("the helper does not read events back")


class _Helper:
    """The helper's own store and ingestor. Its shapes stay coded across parts (the parent
    keeps a translation of each); its rows go to the parent after every part, and its
    names, URIs and other IDs are coded afresh for every part (they travel as text)."""

    def __init__(self) -> None:
        self.store = EventStore()
        self.ingestor = Ingestor(self.store)
        self.source = _Part()
        self.shapes_sent = {"who": 1, "what": 1}  # code 0, the empty shape, is known to both
        self.coerced_sent = {"who": 0, "what": 0}

    def index(self, offset: int, data: bytes) -> HelperRows:
        started, cpu = time.perf_counter(), time.process_time()
        store, ingestor = self.store, self.ingestor
        store.skips = SkipLog()
        lines = ingestor.lines
        ingestor.feed(self.source, offset, data)
        in_document = ingestor.in_document(self.source)
        ingestor.forget_document(self.source)
        columns = {name: store.column(name).copy() for name in _SENT}
        new_shapes, coerced = {}, {}
        for column, table in (("who", store.who), ("what", store.what)):
            new_shapes[column] = table.shapes.values[self.shapes_sent[column] :]
            self.shapes_sent[column] = len(table)
            coerced[column] = table.coerced_log[self.coerced_sent[column] :]
            self.coerced_sent[column] = len(table.coerced_log)
        other = columns["id_lo"][columns["id_hi"] == np.uint64(OTHER_ID)]
        values = {
            "name": _used(columns["name"], store.names),
            "uri": _used(columns["uri"], store.uris),
            "id": _used(other, store.other_ids),
        }
        store.evict_to(0)
        # Names, URIs and IDs travel as text: fresh tables hold only the next part's.
        store.names, store.uris, store.other_ids = InternTable(""), text_table(), InternTable("")
        return HelperRows(columns, new_shapes, values, store.skips, ingestor.lines - lines,
                          in_document, coerced, time.perf_counter() - started,
                          time.process_time() - cpu)  # fmt: skip


def _readable(stream: BinaryIO, timeout: float | None) -> bool:
    """Can ``stream`` be read without blocking (waiting up to ``timeout`` seconds)? With
    ``poll``: ``select`` fails for descriptors numbered 1024 or more, which a process with many
    open files gives out."""
    poller = select.poll()
    poller.register(stream, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


def _used(codes: np.ndarray, table: InternTable[str]) -> tuple[np.ndarray, list[str]]:
    used = np.unique(codes)
    return used, list(map(table.values.__getitem__, used.tolist()))


def serve(shared_fd: int) -> None:
    """The helper's loop: index each part the parent puts in the shared memory, until the
    parent's pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    helper = _Helper()
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    shared: mmap.mmap | None = None
    pickle.dump(_READY, answers)
    answers.flush()
    while True:
        try:
            offset, length, size, max_line = pickle.load(requests)
        except EOFError:
            return
        if shared is None or len(shared) != size:
            if shared is not None:
                shared.close()
            shared = mmap.mmap(shared_fd, size)
        helper.ingestor.max_line = max_line
        answer = helper.index(offset, shared[:length])
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    # Run as ``python -m``: pickled classes must carry the module's own name, not __main__.
    from kaudit_tui.core.parallel import serve as serve_here

    serve_here(int(sys.argv[1]))
