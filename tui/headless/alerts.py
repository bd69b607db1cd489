"""``--alerts``: the built-in triage rules and those of ``--rules`` over every matching event,
one JSON line per alert (Falco's JSON alert format, plus the event's ``auditID``), in log
order."""

from __future__ import annotations

import functools
import gc
import itertools
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from kaudit_tui.core.detect.render import AlertRenderer
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.usage import load_rules_files

from .printing import safe_json

if TYPE_CHECKING:
    from kaudit_tui.core.alerts import RowAlerts
    from kaudit_tui.core.detect import Ruleset
    from kaudit_tui.core.detect.engine import Counted, Fired

    from .forked import Channel, Child


def load_ruleset(paths: list[str], default: bool = True) -> Ruleset:
    """The built-in rules (unless ``default`` is False) and those of ``paths``, notes on
    stderr; a missing or broken file is a usage error."""
    ruleset = load_rules_files(paths, default)
    for note in ruleset.loaded.notes():
        print(f"kaudit-tui: note: {sanitize(note)}", file=sys.stderr)
    return ruleset


_ROWS = 4096
"""Fired rows whose alerts are formatted and written at once."""
_HELD = 1 << 16
"""Rows scanned at once when the writer may hold them (the scanner's work per call is partly
per distinct value of the batch, so a few large batches cost less than many small ones)."""
SPLIT_FROM = 1 << 16
"""Held rows from which the work is shared with forked children (see :meth:`_write_split`)."""
MAX_PARTS = 4


def default_parts() -> int:
    """Processes sharing the alerts of held rows: one per usable core (at most ``MAX_PARTS``),
    where this process can fork."""
    from kaudit_tui.core.helperproc import usable_cores

    from .forked import can_fork

    return min(usable_cores(), MAX_PARTS) if can_fork() else 1


class AlertWriter:
    """Evaluates events read back from the store and writes their alerts to stdout.

    Like ``--print``, the JSON goes out with every character a terminal could act on escaped
    (``\\u`` escapes: the same JSON). A closed pipe raises ``BrokenPipeError``.
    """

    def __init__(
        self,
        store: EventStore,
        ruleset: Ruleset,
        row_alerts: RowAlerts | None = None,
        hold: bool = False,
        parts: int | None = None,
        split_from: int = SPLIT_FROM,
    ) -> None:
        self.store = store
        self.ruleset = ruleset
        self.row_alerts = row_alerts
        """The alerts of every row, when the query already needed them (``alert:``)."""
        self.scanner = row_alerts.scanner if row_alerts is not None else ruleset.scanner(store)
        self.renderer = AlertRenderer(ruleset, store)
        self.out = sys.stdout.buffer
        self.alerts = 0
        self.hold = hold
        """May rows wait for more (until :meth:`finish`)? Only when none can leave the store
        meanwhile and nobody waits for each burst's alerts (no cap, not following)."""
        self.parts = (parts or default_parts()) if row_alerts is None else 1
        """Processes that share held rows (this one and forked children)."""
        self.split_from = split_from
        self._held: list[np.ndarray] = []
        self._held_count = 0

    def write(self, rows: np.ndarray) -> None:
        """The alerts of the events of ``rows`` (ids still in the store), in order; held
        rows wait until about ``_HELD`` of them have come, or, when several processes can
        share them, until :meth:`finish`."""
        if self.hold:
            self._held.append(rows)
            self._held_count += len(rows)
            if self._held_count < _HELD or self.parts > 1:
                return
            rows = np.concatenate(self._held)
            self._held, self._held_count = [], 0
        self._write(rows)

    def finish(self) -> None:
        """Write the alerts of the rows held back."""
        if self._held:
            rows = np.concatenate(self._held)
            self._held, self._held_count = [], 0
            if self.parts > 1 and len(rows) >= self.split_from:
                self._write_split(rows)
            else:
                self._write(rows)

    def _write(self, rows: np.ndarray) -> None:
        for lines, _ in self._render(self._fired(rows)):
            self.out.write(b"\n".join(lines) + b"\n")
        self.out.flush()

    def _render(
        self, fired: list[Fired], keyed: bool = False
    ) -> Iterator[tuple[list[bytes], list[Fired]]]:
        """The alert lines of ``fired``, a block at a time, each line safe for a terminal;
        with ``keyed``, each block's rows and their rules (a line each, in order)."""
        for at in range(0, len(fired), _ROWS):
            keys: list[Fired] | None = [] if keyed else None
            lines = self.renderer.lines(fired[at : at + _ROWS], keys)
            self.alerts += len(lines)
            if not lines:
                continue
            if not all(line.isascii() and b"\x7f" not in line for line in lines):
                lines = [safe_json(line) for line in lines]
            yield lines, keys or []

    def _write_split(self, rows: np.ndarray) -> None:
        """The alerts of ``rows``, decided, formatted and written part by part by forked
        children, in turn.

        Rate windows count events in log order, so a child counts none: it sends back the
        events of its part that meet a rate rule's condition, this process counts those in
        order and sends the child the windows that fire; the child formats those few alerts,
        puts them in place among its own, says it is ready and writes its part when told to
        (once the part before is written). A part whose child fails before it is ready is done
        here; one that fails while writing ends the run (as a closed output does)."""
        from .forked import Child, ChildFailed

        chunks = np.array_split(rows, self.parts)
        self.out.flush()
        # The children's garbage collector leaves what exists now alone: walking it would
        # copy every page of this process's objects into each child.
        gc.freeze()
        try:
            children = [Child(functools.partial(self._child, chunk)) for chunk in chunks]
        finally:
            gc.unfreeze()
        try:
            # Every part's windows first, in order, sent as soon as counted: children format
            # their alerts meanwhile.
            counted = [
                self._counted(child, chunk) for chunk, child in zip(chunks, children, strict=True)
            ]
            writing: Child | None = None
            for chunk, child, (windows, fired) in zip(chunks, children, counted, strict=True):
                if fired is None and not _ready(child):
                    fired, _ = self._scan_part(chunk)
                if writing is not None:
                    self._written(writing)
                    writing = None
                if fired is None:
                    try:
                        child.send("write")
                        writing = child
                        continue
                    except ChildFailed:  # it had written nothing: it writes once told to
                        child.stop()
                        fired, _ = self._scan_part(chunk)
                for data in self._output(self._blocks(fired), windows):
                    self.out.write(data)
                self.out.flush()
            if writing is not None:
                self._written(writing)
        finally:
            for child in children:
                child.stop()

    def _counted(self, child: Child, rows: np.ndarray) -> tuple[list[Fired], list[Fired] | None]:
        """The rate windows that fire in ``child``'s part of ``rows``, counted and sent to it;
        and, if it failed, the part's other alerts, found here."""
        from .forked import ChildFailed

        fired = None
        try:
            windows = self.scanner.count_windows(child.receive())
        except ChildFailed:
            child.stop()
            fired, deferred = self._scan_part(rows)
            return self.scanner.count_windows(deferred), fired
        try:
            child.send(windows)
        except ChildFailed:
            child.stop()
            fired, _ = self._scan_part(rows)
        return windows, fired

    def _child(self, rows: np.ndarray, channel: Channel) -> None:
        """A child's share of :meth:`_write_split`."""
        before = self.alerts
        fired, deferred = self._scan_part(rows)
        channel.send(deferred)
        blocks = self._blocks(fired)  # while this process counts the windows
        output = self._output(blocks, channel.receive())
        channel.send("ready")
        channel.receive()  # write
        for data in output:
            self.out.write(data)
        self.out.flush()
        channel.send(self.alerts - before)

    def _written(self, child: Child) -> None:
        """Wait for ``child`` to have written its part."""
        from .forked import BROKEN_PIPE, ChildFailed

        try:
            self.alerts += child.receive()
        except ChildFailed:
            if child.wait() == BROKEN_PIPE:
                raise BrokenPipeError from None
            raise RuntimeError("a process writing alerts failed") from None
        child.wait()

    def _scan_part(self, rows: np.ndarray) -> tuple[list[Fired], list[Counted]]:
        """The rows of ``rows`` that fire rules but for rate windows, and the events those
        would count."""
        deferred: list[Counted] = []
        return self.scanner.scan(rows, deferred=deferred), deferred

    def _blocks(self, fired: list[Fired]) -> list[_Block]:
        return [_Block.of(lines, keys) for lines, keys in self._render(fired, keyed=True)]

    def _output(self, blocks: list[_Block], windows: list[Fired]) -> list[bytes]:
        """What a part writes: its ``blocks`` with the alerts of ``windows`` in place."""
        return list(_merged(blocks, self._keyed_lines(windows)))

    def _keyed_lines(self, fired: list[Fired]) -> list[tuple[tuple[int, int], bytes]]:
        """The alert lines of ``fired``, each with its row and rule."""
        return [
            (key, line)
            for lines, keys in self._render(fired, keyed=True)
            for key, line in zip(_line_keys(keys), lines, strict=True)
        ]

    def _fired(self, rows: np.ndarray) -> list[Fired]:
        if self.row_alerts is None:
            return self.scanner.scan(rows)
        codes = self.row_alerts.codes(rows)
        sets = self.row_alerts.sets
        fired = codes != 0
        return [
            (row, sets[code])
            for row, code in zip(rows[fired].tolist(), codes[fired].tolist(), strict=True)
        ]


def _ready(child: Child) -> bool:
    """Whether ``child`` says it is ready to write (else it failed, and is stopped)."""
    from .forked import ChildFailed

    try:
        child.receive()
    except ChildFailed:
        child.stop()
        return False
    return True


class _Block(NamedTuple):
    """Alert lines of a part as they are written, with the row and rule of each line and
    where it ends in ``data``."""

    data: bytes
    rows: np.ndarray
    rules: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, lines: list[bytes], keys: list[Fired]) -> _Block:
        counts = [len(hits) for _, hits in keys]
        return cls(
            b"\n".join(lines) + b"\n",
            np.repeat(np.array([row for row, _ in keys], np.int64), counts),
            np.array([rule for _, hits in keys for rule in hits], np.int64),
            np.cumsum([len(line) + 1 for line in lines]),
        )


def _merged(blocks: list[_Block], extra: list[tuple[tuple[int, int], bytes]]) -> Iterator[bytes]:
    """The data of ``blocks`` with the lines of ``extra`` (few, keyed by row and rule) put in
    place: both are in order of row, then rule, and so is the result."""
    at = 0
    for block in blocks:
        last = int(block.rows[-1])
        stop = at
        while stop < len(extra) and extra[stop][0][0] <= last:
            stop += 1
        if stop == at:
            yield block.data
            continue
        # Where each extra line goes: before the block's first line of a later row and rule.
        width = max(int(block.rules.max()), max(rule for (_, rule), _ in extra[at:stop])) + 1
        keys = block.rows * width + block.rules
        wanted = np.array([row * width + rule for (row, rule), _ in extra[at:stop]], np.int64)
        cuts = [0, *np.take(np.r_[0, block.ends], np.searchsorted(keys, wanted)).tolist()]
        pieces = []
        for (start, end), (_, line) in zip(itertools.pairwise(cuts), extra[at:stop], strict=True):
            pieces += (block.data[start:end], line, b"\n")
        pieces.append(block.data[cuts[-1] :])
        at = stop
        yield b"".join(pieces)
    if at < len(extra):
        yield b"\n".join(line for _, line in extra[at:]) + b"\n"


def _line_keys(rows: list[Fired]) -> Iterator[tuple[int, int]]:
    """The row and rule of each line of rows that fired (a line per rule, in order)."""
    for row, hits in rows:
        for rule in hits:
            yield row, rule
