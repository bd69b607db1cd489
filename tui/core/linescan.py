"""Compact event lines indexed a batch at a time by the compiled scanner (``_linescan.c``).

Per event, the Python path decodes a typed struct, builds a shape key and interns a name and a
URI: a few microseconds, twice what a bare ``orjson.loads`` of the line costs. The scanner does
that reading in C for the lines it can read with certainty (compact v1 events as kube-apiserver
writes them) and stops at any other line, which the Python path then reads; it returns the
rows' numbers and, for the shape keys, names and URIs, the distinct values of the batch in
order of first occurrence. Here those few values become codes, with the same tables and in the
same order as the Python path gives them one event at a time, so that the index comes out the
same either way (the tests compare the two row by row).

The extension is optional: where it was not built (no C compiler at install time),
:data:`AVAILABLE` is False and every line takes the Python path.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

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
    [("shapes", "<i8"), ("key", "<u4"), ("name", "<u4"), ("uri", "<u4"), ("pad", "<u4"),
     ("code", "<i8"), ("off", "<i8"), ("len", "<i8"), ("ts", "<i8"), ("rx", "<i8"),
     ("id_hi", "<u8"), ("id_lo", "<u8")]
)  # fmt: skip
"""One row as the scanner packs it (``Row`` in _linescan.c)."""
NOT_NEW = (1 << 32) - 1
"""``key`` of a row whose shape key the scanner knew before the call (``shapes`` holds its
codes); any other value indexes the call's new keys."""
_FAILS = -1
"""Told to the scanner for a key whose fields have the wrong types: its lines are Python's."""

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
have the wrong types; coded in the store's tables."""


@dataclass
class Scanned:
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
        path."""
        stop, raw, keys, key_rows, names, uris = self._scanner.scan(lines)
        rows = np.frombuffer(raw, ROW)
        shapes = rows["shapes"]
        if keys:
            new, cut = self._new_keys(data, rows, keys, key_rows)
            if cut < len(rows):  # a key the Python path reads (its fields have the wrong types)
                stop = int(rows["off"][cut])
                rows = rows[:cut]
                names = names[: _groups_used(rows["name"])]
                uris = uris[: _groups_used(rows["uri"])]
            fresh = rows["key"] != NOT_NEW
            shapes = rows["shapes"].copy()
            shapes[fresh] = new[rows["key"][fresh]]
        if not len(rows):
            return Scanned(stop, 0, _no_columns)
        # codes in order of first occurrence, as the Python path gives them event by event
        name_codes = self.store.names.distinct_codes(names).astype(np.uint32)
        uri_codes = self.store.uris.distinct_codes(uris).astype(np.uint32)

        def columns(segment: int, offset: int) -> dict[str, np.ndarray]:
            count = len(rows)
            code = rows["code"]
            return {
                "who": (shapes & 0xFFFFFFFF).astype(np.uint32),
                "what": (shapes >> 32).astype(np.uint32),
                "name": name_codes[rows["name"]],
                "uri": uri_codes[rows["uri"]],
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

    def _new_keys(
        self, data: bytes, rows: np.ndarray, keys: list[bytes], key_rows: list[int]
    ) -> tuple[np.ndarray, int]:
        """Both shape codes of each key new in the call (coded from its first line, in order),
        and the first row not to index here: that of the first key whose event the Python
        path must read (``len(rows)`` if none). The scanner is told what was found."""
        settled: list[int | None] = []
        cut = len(rows)
        for row_index in key_rows:
            row = rows[row_index]
            start = int(row["off"])
            both = self._shape_codes(data[start : start + int(row["len"])])
            if both is None:
                settled.append(_FAILS)
                cut = row_index
                break
            settled.append(both)
        self._scanner.settle(settled)
        codes = np.zeros(len(keys), dtype=np.int64)
        found = settled[: len(settled) - (cut < len(rows))]
        codes[: len(found)] = found
        return codes, cut


def _groups_used(groups: np.ndarray) -> int:
    """How many groups (numbered by first occurrence) the rows use: a prefix of the list."""
    return int(groups.max()) + 1 if len(groups) else 0


def _no_columns(segment: int, offset: int) -> dict[str, np.ndarray]:
    return {"who": np.zeros(0, dtype=np.uint32)}
