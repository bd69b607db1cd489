"""Compact event lines indexed a batch at a time by the compiled scanner (``_linescan.c``).

Per event, the Python path decodes a typed struct, builds a shape key and interns a name and a
URI: a few microseconds, twice what a bare ``orjson.loads`` of the line costs. The scanner does
that reading in C for the lines it can read with certainty (compact v1 events as kube-apiserver
writes them) and stops at any other line, which the Python path then reads. Parsing holds no
GIL, so two threads share it (see ``Ingestor._scan_lines``); turning the parsed lines into rows
is done in order: shape keys are asked of the Python path once each and remembered, URIs are
coded in the store's compact table (texts.py), and the batch's distinct object names come back
to be coded here. Codes come out exactly as the Python path gives them event by event, so the
index is the same either way (the tests compare the two column by column).

The extension is optional: where it was not built (no C compiler at install time),
:data:`AVAILABLE` is False and every line takes the Python path.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import msgspec
import numpy as np

from kaudit_tui.core.store import EventStore

try:
    from kaudit_tui.core import _linescan
except ImportError:  # built without a C compiler: the Python path reads every line
    _linescan = None  # type: ignore[assignment]

AVAILABLE = _linescan is not None
if AVAILABLE:
    parse = _linescan.parse
    """``parse(data, start, end)``: read the event lines of ``data[start:end]`` up to the first
    one left to the Python path, without the GIL (threads may parse parts of a batch at once);
    :meth:`LineScanner.scan` then indexes them."""
    Lines = _linescan.Lines
else:
    Lines = object  # type: ignore[assignment,misc]
ROW = np.dtype(
    [("shapes", "<i8"), ("name", "<u4"), ("uri", "<u4"), ("code", "<i8"), ("off", "<i8"),
     ("len", "<i8"), ("ts", "<i8"), ("rx", "<i8"), ("id_hi", "<u8"), ("id_lo", "<u8")]
)  # fmt: skip
"""One row as the scanner packs it (``Row`` in _linescan.c)."""

SPLIT_MIN = 256 * 1024
"""Batches from this size have their second half parsed in another thread (two cores)."""
_pool: ThreadPoolExecutor | None = None


def parse_ahead(data: bytes, start: int, end: int) -> Future[Lines]:
    """:func:`parse` in a worker thread, while this one goes on (it holds no GIL)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(1, thread_name_prefix="kaudit-parse")
    return _pool.submit(parse, data, start, end)


ShapeCodes = Callable[[bytes], int | None]
"""Both shape codes of the event on a line (``who | what << 32``), or None when its fields
have the wrong types; coded in the store's tables. Asked once per shape key."""


class Scanned(msgspec.Struct):
    """What one call read: ``count`` rows, and where the line left to Python starts."""

    stop: int
    count: int
    columns: Callable[[int, int], dict[str, np.ndarray]]
    """``columns(segment, offset)``: the rows as store columns."""


class LineScanner:
    """Runs the compiled scanner for one :class:`Ingestor` and codes what it finds."""

    def __init__(self, store: EventStore, shape_codes: ShapeCodes) -> None:
        self.store = store
        self._shape_codes = shape_codes
        self._scanner = _linescan.Scanner()
        """Remembers the shape keys it was told the codes of, across calls."""

    def scan(self, data: bytes, lines: Lines) -> Scanned:
        """Index what :func:`parse` read of ``data``, up to the first line left to the Python
        path (one whose shape key ``shape_codes`` has no codes for: wrong types)."""
        stop, raw, names = self._scanner.scan(lines, self.store.uris.values, self._shape_codes)
        rows = np.frombuffer(raw, ROW)
        if not len(rows):
            return Scanned(stop, 0, _no_columns)
        # codes in order of first occurrence, as the Python path gives them event by event
        name_codes = self.store.names.distinct_codes(names).astype(np.uint32)

        def columns(segment: int, offset: int) -> dict[str, np.ndarray]:
            count = len(rows)
            shapes = rows["shapes"]
            code = rows["code"]
            return {
                "who": (shapes & 0xFFFFFFFF).astype(np.uint32),
                "what": (shapes >> 32).astype(np.uint32),
                "name": name_codes[rows["name"]],
                "uri": rows["uri"],
                "code": np.where((code >= 0) & (code < 1000), code, 0),
                "ts": rows["ts"],
                "rx": rows["rx"],
                "id_hi": rows["id_hi"],
                "id_lo": rows["id_lo"],
                "seg": np.full(count, segment, dtype=np.uint16),
                "off": rows["off"] + offset,
                "len": rows["len"],
                "item": np.full(count, -1, dtype=np.int32),
            }

        return Scanned(stop, len(rows), columns)


def _no_columns(segment: int, offset: int) -> dict[str, np.ndarray]:
    return {"who": np.zeros(0, dtype=np.uint32)}
