"""The columnar event index: a few numeric columns per event, raw text left on disk.

Per event the store keeps a *request shape* code (user, groups, verb, resource, namespace, stage,
level, user agent, source IPs, … interned together: a busy cluster has thousands of distinct
shapes, not millions), interned name and URI codes, the status code, two timestamps, the audit
ID as 128 bits, and a locator (segment, offset, length, item) of the raw record. That is about
70 bytes an event; no Python object per event stays alive. Rows have monotonic ids starting at
``first_id``; evicting old rows (``--max-events``) advances it.
"""

from __future__ import annotations

import mmap
import re
from collections import Counter

import msgspec
import numpy as np

from kaudit_tui.core.decode import (
    ClientShape,
    RequestShape,
    event_json,
    normalize_what,
    normalize_who,
    original_json,
)
from kaudit_tui.core.segments import RawReader
from kaudit_tui.core.tables import InternTable, ShapeTable
from kaudit_tui.core.texts import text_table

COLUMNS: dict[str, type] = {
    "who": np.uint32,
    "what": np.uint32,
    "name": np.uint32,
    "uri": np.uint32,
    "code": np.int16,
    "ts": np.int64,
    "rx": np.int64,
    "id_hi": np.uint64,
    "id_lo": np.uint64,
    "seg": np.uint16,
    "off": np.int64,
    "len": np.uint32,
    "item": np.int32,
}
OTHER_ID = (1 << 64) - 1
"""``id_hi`` marker of an audit ID that is not a UUID; ``id_lo`` then indexes ``other_ids``."""
_LOW64 = (1 << 64) - 1
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SKIP_EXAMPLES = 20
RELEASE_EVERY = 100_000
"""Evicted rows between two releases of unused interned values, at the least."""


MAPPED_BYTES = 1 << 20
"""Columns from this size live in anonymous memory maps."""


def _zeros(count: int, dtype: type) -> np.ndarray:
    """A column of ``count`` zeros. A large one is an anonymous memory map: its pages cost
    memory only once written, so the room reserved for rows to come (see
    :meth:`EventStore.reserve`) costs nothing until they come, whatever the C allocator does
    with large blocks."""
    size = count * np.dtype(dtype).itemsize
    if size < MAPPED_BYTES:
        return np.zeros(count, dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype)


def split_audit_id(audit_id: str, other_ids: InternTable[str]) -> tuple[int, int]:
    """A canonical UUID as two 64-bit halves; anything else via the ``other_ids`` table.

    Only text that :func:`join_audit_id` gives back unchanged counts as canonical (``int``
    alone would also take underscores, signs and spaces).
    """
    if len(audit_id) == 36 and _UUID.fullmatch(audit_id):
        value = int(audit_id.replace("-", ""), 16)
        if value >> 64 != OTHER_ID:
            return value >> 64, value & _LOW64
    return OTHER_ID, other_ids.code(audit_id)


def join_audit_id(hi: int, lo: int, other_ids: InternTable[str]) -> str:
    if hi == OTHER_ID:
        return other_ids.values[lo]
    text = f"{(hi << 64) | lo:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class SkipLog(msgspec.Struct):
    """Records that held no event: counts by reason, and a few locators of each to show."""

    counts: Counter[str] = msgspec.field(default_factory=Counter)
    examples: dict[str, list[tuple[int, int, int]]] = msgspec.field(default_factory=dict)
    lines: int = 0
    """Input lines that ended in no event (a skipped multi-line document counts all its lines),
    so that indexed events plus skipped lines add up to the lines read."""

    @property
    def total(self) -> int:
        """Skipped records (lines, documents, or items of a document)."""
        return sum(self.counts.values())

    def add(self, reason: str, segment: int, offset: int, length: int, lines: int = 1) -> None:
        self.counts[reason] += 1
        self.lines += lines
        examples = self.examples.setdefault(reason, [])
        if len(examples) < _SKIP_EXAMPLES:
            examples.append((segment, offset, length))

    def merge(self, other: SkipLog, segment: int) -> None:
        """Add the skips of ``other``, whose examples all come from ``segment``."""
        self.counts.update(other.counts)
        self.lines += other.lines
        for reason, found in other.examples.items():
            examples = self.examples.setdefault(reason, [])
            room = _SKIP_EXAMPLES - len(examples)
            examples.extend((segment, offset, length) for _, offset, length in found[:room])


class EventStore:
    """Append-only columnar index of audit events (see module docstring)."""

    def __init__(self, *, release_every: int = RELEASE_EVERY) -> None:
        """``release_every``: evicted rows between two releases of unused interned values, at
        the least (at most as many are evicted as remain)."""
        self.release_every = release_every
        self._capacity = 1024
        self._cols = {name: np.zeros(self._capacity, dtype) for name, dtype in COLUMNS.items()}
        self._start = 0
        """Array index of the oldest live row: eviction only moves it (see ``evict_to``)."""
        self._count = 0
        self.first_id = 0
        self.evicted = 0
        self._evicted_since_sweep = 0
        self.who = ShapeTable(ClientShape, normalize_who)
        self.what = ShapeTable(RequestShape, normalize_what)
        self.names: InternTable[str] = InternTable("")
        self.uris = text_table()
        self.other_ids: InternTable[str] = InternTable("")
        self.segments: list[RawReader] = []
        self._segment_ids: dict[int, int] = {}
        self.skips = SkipLog()

    # -- size ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    @property
    def next_id(self) -> int:
        return self.first_id + self._count

    def column(self, name: str) -> np.ndarray:
        """The live rows of a column, as a view.

        Rows in a view never change: appends write past it and eviction only moves the start,
        so a filter running in another thread keeps a consistent snapshot. A view does not see
        rows appended after it was taken.
        """
        return self._cols[name][self._start : self._start + self._count]

    def nbytes(self) -> int:
        return sum(col.nbytes for col in self._cols.values())

    # -- segments --------------------------------------------------------------------------
    def segment_id(self, reader: RawReader) -> int:
        key = id(reader)
        seg = self._segment_ids.get(key)
        if seg is None:
            seg = len(self.segments)
            if seg > np.iinfo(np.uint16).max:
                raise OverflowError("too many source segments")
            self.segments.append(reader)
            self._segment_ids[key] = seg
        return seg

    # -- fields ----------------------------------------------------------------------------
    def shape_table(self, field: str) -> tuple[str, ShapeTable]:
        """Which shape column (``who`` or ``what``) holds ``field``, and its table."""
        if field in self.who.fields:
            return "who", self.who
        return "what", self.what

    def field_value(self, row: int, field: str) -> object:
        """One shape field of one row (text, tuple for groups/ip, bool for objref)."""
        column, table = self.shape_table(field)
        shape = table.shapes.values[int(self._cols[column][self._index(row)])]
        return shape[table.fields.index(field)]

    def _index(self, row: int) -> int:
        """Array index of a live row id; LookupError for an evicted (or future) one."""
        if not self.first_id <= row < self.first_id + self._count:
            if row < self.first_id:
                raise LookupError(f"event {row} was dropped to keep within --max-events")
            raise LookupError(f"no event {row}")
        return row - self.first_id + self._start

    # -- appending -------------------------------------------------------------------------
    def append(self, columns: dict[str, list[int]]) -> range:
        """Append rows given as equally long lists per column; returns their row ids."""
        count = len(columns["who"])
        if not count:
            return range(self.next_id, self.next_id)
        self._reserve(count)
        end = self._start + self._count
        for name, values in columns.items():
            self._cols[name][end : end + count] = values
        start = self.next_id
        self._count += count
        return range(start, start + count)

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` live rows in all, now, so that the arrays are not copied
        again as they fill (a copy briefly holds both; untouched room costs no memory)."""
        if self._start + rows > self._capacity:
            self._reserve(rows - self._count)

    def _reserve(self, extra: int) -> None:
        """Room for ``extra`` more rows after the live ones.

        When the arrays are full, the live rows move to the front of *new* arrays, half as
        large again as they need: views taken before stay valid, and with eviction the arrays
        settle at about 1.5 times the cap, each row copied about twice in all.
        """
        if self._start + self._count + extra <= self._capacity:
            return
        needed = self._count + extra
        capacity = max(needed + needed // 2, 1024)
        live = slice(self._start, self._start + self._count)
        for name, col in self._cols.items():
            moved = _zeros(capacity, col.dtype)
            moved[: self._count] = col[live]
            self._cols[name] = moved
        self._capacity = capacity
        self._start = 0

    def evict_to(self, max_events: int) -> int:
        """Drop the oldest rows so at most ``max_events`` remain; returns how many went.

        Constant time: the start moves on. Once as many rows have gone as remain, the
        interned names, URIs and audit IDs no live row uses any more are released, so a long
        follow under a cap holds memory for the rows it keeps, not for all it has seen.
        """
        excess = self._count - max_events
        if excess <= 0:
            return 0
        self._start += excess
        self._count -= excess
        self.first_id += excess
        self.evicted += excess
        self._evicted_since_sweep += excess
        if self._evicted_since_sweep >= max(self._count, self.release_every):
            self._release_unused()
        return excess

    def _release_unused(self) -> None:
        self._evicted_since_sweep = 0
        for table, codes in (
            (self.names, self.column("name")),
            (self.uris, self.column("uri")),
            (self.other_ids, self.column("id_lo")[self.column("id_hi") == OTHER_ID]),
        ):
            used = np.zeros(len(table), np.bool_)
            used[codes] = True
            table.release(np.flatnonzero(~used))

    # -- reading rows back -----------------------------------------------------------------
    def row(self, row: int) -> dict[str, object]:
        """All indexed fields of one row as a dict (display and tests; never kept per event).

        Raises:
            LookupError: the row was evicted (``--max-events``) or does not exist yet.
        """
        i = self._index(row)
        cols = self._cols
        values: dict[str, object] = {}
        for column, table in (("who", self.who), ("what", self.what)):
            shape = table.shapes.values[int(cols[column][i])]
            values.update(zip(table.fields, shape, strict=True))
        values.update(
            name=self.names.values[int(cols["name"][i])],
            uri=self.uris.values[int(cols["uri"][i])],
            code=int(cols["code"][i]),
            ts=int(cols["ts"][i]),
            rx=int(cols["rx"][i]),
            id=join_audit_id(int(cols["id_hi"][i]), int(cols["id_lo"][i]), self.other_ids),
            source=self.segments[int(cols["seg"][i])].label,
        )
        return values

    def has_clusters(self) -> bool:
        """Does some event name the cluster it came from (see the ``cluster`` field)?"""
        return any(self.what.tables["cluster"].values)

    def raw_record(self, row: int) -> bytes:
        """The raw record text (a line, or a whole document) the row was indexed from.

        Raises:
            LookupError: the row was evicted (``--max-events``) or does not exist yet.
        """
        i = self._index(row)
        reader = self.segments[int(self._cols["seg"][i])]
        return reader.read_at(int(self._cols["off"][i]), int(self._cols["len"][i]))

    def event_json(self, row: int) -> bytes:
        """The event's JSON text, read back from disk (exactly as logged for JSON lines)."""
        return event_json(self.raw_record(row), int(self._cols["item"][self._index(row)]))

    def original_json(self, row: int) -> bytes:
        """The event as it was logged, for the detail view: as :meth:`event_json`, except that
        an event rebuilt from an envelope (a GKE Cloud Logging entry) is the whole entry."""
        return original_json(self.raw_record(row), int(self._cols["item"][self._index(row)]))
