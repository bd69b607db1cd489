"""Free text and ``/regex/`` terms: search the raw event text where it lives, on disk.

Each segment's candidate records are read in big windows (a few MB, merging records separated
by small gaps), lowered once, and searched with ``bytes.find`` or one compiled regex; a match
offset is mapped to its record by bisection over the record starts. Records holding several
events (EventList items, AKS records) are verified per event after a raw hit. Literal text is
also looked for in its JSON-escaped forms (Go's encoder writes ``&`` as ``\\u0026``), so what
the user sees in the detail view is what a search finds.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import msgspec
import numpy as np
import orjson

from kaudit_tui.core.decode import Skip, events_in, load_record
from kaudit_tui.core.query.errors import QueryCancelled

if TYPE_CHECKING:
    from kaudit_tui.core.segments import RawReader
    from kaudit_tui.core.store import EventStore

WINDOW = 8 << 20
"""Bytes read at once; one record longer than this is read whole."""
GAP = 16 << 10
"""Records closer than this are read in one window (reading a gap beats one more syscall)."""
SPARSE = 0.5
"""Below this share of candidate bytes in a window, search record by record, not the window."""


class Needle(msgspec.Struct, frozen=True):
    """What to look for: a literal (``find``) or a compiled regex, on lowered text or not.

    ``raw_prefilter``: a record holding several events is only parsed and verified per event
    when its raw text matched. True for literal text (its escaped forms are searched too);
    False for a regex, which cannot be rewritten for text escaped inside a JSON string.
    """

    literal: bytes | None
    regex: re.Pattern[bytes] | None
    lower: bool
    raw_prefilter: bool = True

    def search(self, data: bytes, pos: int, end: int) -> tuple[int, int] | None:
        if self.literal is not None:
            at = data.find(self.literal, pos, end)
            return None if at < 0 else (at, at + len(self.literal))
        match = self.regex.search(data, pos, end)  # type: ignore[union-attr]
        return None if match is None else match.span()


def _escape(text: bytes) -> bytes:
    return orjson.dumps(text.decode())[1:-1]


def _go_escape(text: bytes) -> bytes:
    return text.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def _variants(text: str) -> list[bytes]:
    """The forms a piece of text can take in raw JSON, lower-cased and de-duplicated.

    Plain, JSON-escaped (orjson, or Go with HTML characters escaped), and escaped twice for
    events carried as a JSON string inside another document (AKS ``properties.log``). Lowered
    the way ``bytes.lower`` lowers the searched text: ASCII letters only.
    """
    plain = text.encode().lower()
    escaped = _escape(plain)
    go = _go_escape(escaped)
    return list(dict.fromkeys((plain, escaped, go, _escape(escaped), _escape(go))))


def text_needle(parts: tuple[str, ...]) -> Needle:
    """A needle for a bare word or phrase; ``*`` between parts matches within one line."""
    pieces = [p for p in parts if p]
    lower = any(c.isalpha() for c in "".join(pieces))
    if len(pieces) == 1:
        variants = _variants(pieces[0])
        if len(variants) == 1:
            return Needle(variants[0], None, lower)
    alternatives = [b"|".join(re.escape(v) for v in _variants(p)) for p in pieces]
    source = rb"[^\n]*?".join(b"(?:" + a + b")" for a in alternatives)
    return Needle(None, re.compile(source), lower)


def regex_needle(pattern: re.Pattern[bytes]) -> Needle:
    """A needle for ``/regex/``, run on lowered text when the pattern allows it.

    ``re.IGNORECASE`` disables the regex engine's fast literal search (several times slower on
    large windows), so the pattern's letters are lowered instead (escapes such as ``\\S`` are
    kept) and it is matched case-sensitively against lowered text; if the lowered pattern does
    not compile, the original runs with ``IGNORECASE`` on the raw text.
    """
    source = _ESCAPE_OR_UPPER.sub(lambda m: m.group().lower() if len(m.group()) == 1 else m.group(),
                                  pattern.pattern)  # fmt: skip
    try:
        lowered = re.compile(source, re.MULTILINE)
    except re.error:
        return Needle(None, pattern, False, raw_prefilter=False)
    return Needle(None, lowered, True, raw_prefilter=False)


_ESCAPE_OR_UPPER = re.compile(rb"\\.|[A-Z]", re.S)


def scan(
    store: EventStore,
    positions: np.ndarray,
    needle: Needle,
    cancelled: Callable[[], bool] | None = None,
    cols: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Which of the rows at ``positions`` (into the live columns) contain ``needle``.

    ``cols`` are the locator columns the positions refer to (a filter's snapshot, which rows
    evicted meanwhile do not shift); by default the store's current ones.
    """
    column = store.column if cols is None else cols.__getitem__
    seg = column("seg")[positions]
    off = column("off")[positions]
    ends = off + column("len")[positions]
    items = column("item")[positions]
    result = np.zeros(len(positions), np.bool_)
    for segment in np.unique(seg):
        chosen = np.flatnonzero(seg == segment)
        chosen = chosen[np.argsort(off[chosen], kind="stable")]
        starts = off[chosen]
        new_record = np.empty(len(chosen), np.bool_)
        new_record[:1] = True
        new_record[1:] = starts[1:] != starts[:-1]
        record_of_row = np.cumsum(new_record) - 1
        reader = store.segments[int(segment)]
        record_starts = starts[new_record]
        record_ends = np.maximum.reduceat(ends[chosen], np.flatnonzero(new_record))
        hits = _scan_records(reader, record_starts, record_ends, needle, cancelled)
        row_hits = hits[record_of_row]
        multi = items[chosen] >= 0
        if needle.raw_prefilter:
            multi &= row_hits
        if multi.any():
            row_hits[multi] = _verify_items(reader, off[chosen[multi]], ends[chosen[multi]],
                                            items[chosen[multi]], needle)  # fmt: skip
        result[chosen] = row_hits
    return result


def _windows(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Indexes of the records that begin a read window (records are sorted by offset)."""
    breaks = np.empty(len(starts), np.bool_)
    breaks[:1] = True
    breaks[1:] = starts[1:] - ends[:-1] > GAP
    run = np.cumsum(breaks) - 1
    piece = (starts - starts[breaks][run]) // WINDOW
    breaks[1:] |= piece[1:] != piece[:-1]
    return np.flatnonzero(breaks)


def _scan_records(
    reader: RawReader,
    starts: np.ndarray,
    ends: np.ndarray,
    needle: Needle,
    cancelled: Callable[[], bool] | None,
) -> np.ndarray:
    hits = np.zeros(len(starts), np.bool_)
    bounds = [*_windows(starts, ends).tolist(), len(starts)]
    for first, stop in zip(bounds, bounds[1:], strict=False):
        if cancelled is not None and cancelled():
            raise QueryCancelled
        base = int(starts[first])
        data = reader.read_at(base, int(ends[first:stop].max()) - base)
        rel_starts = (starts[first:stop] - base).tolist()
        rel_ends = (ends[first:stop] - base).tolist()
        if int((ends[first:stop] - starts[first:stop]).sum()) < SPARSE * len(data):
            found = _each_record(data, rel_starts, rel_ends, needle)
        else:
            if needle.lower:
                data = data.lower()
            found = _matching_records(data, rel_starts, rel_ends, needle)
        hits[[first + record for record in found]] = True
    return hits


def _each_record(data: bytes, starts: list[int], ends: list[int], needle: Needle) -> list[int]:
    """Records holding a match, searched one by one (few candidates among other records)."""
    found = []
    for record, (start, end) in enumerate(zip(starts, ends, strict=True)):
        text = data[start:end]
        if needle.lower:
            text = text.lower()
        if needle.search(text, 0, len(text)) is not None:
            found.append(record)
    return found


def _matching_records(data: bytes, starts: list[int], ends: list[int], needle: Needle) -> list[int]:
    """Records (indexes into ``starts``) of one window holding a match that ends inside them."""
    found: list[int] = []
    pos, last = 0, len(starts) - 1
    while True:
        span = needle.search(data, pos, len(data))
        if span is None:
            return found
        at, stop = span
        record = bisect_right(starts, at) - 1
        if at < ends[record] and (stop <= ends[record] or needle.search(data, at, ends[record])):
            found.append(record)
        if record >= last:
            return found
        pos = max(starts[record + 1], at + 1)


def _verify_items(
    reader: RawReader, starts: np.ndarray, ends: np.ndarray, items: np.ndarray, needle: Needle
) -> np.ndarray:
    """Re-test events that share a record (one parse per record, not per event)."""
    result = np.zeros(len(items), np.bool_)
    texts: dict[tuple[int, int], dict[int, bytes]] = {}
    for i, (start, end, item) in enumerate(
        zip(starts.tolist(), ends.tolist(), items.tolist(), strict=True)
    ):
        events = texts.get((start, end))
        if events is None:
            events = _item_texts(reader.read_at(start, end - start), needle.lower)
            texts[(start, end)] = events
        text = events.get(item)
        result[i] = text is not None and needle.search(text, 0, len(text)) is not None
    return result


def _item_texts(record: bytes, lower: bool) -> dict[int, bytes]:
    try:
        parsed = load_record(record)
    except ValueError:  # orjson.JSONDecodeError is one
        return {}
    texts = {}
    for found in events_in(parsed):
        if not isinstance(found, Skip):
            text = orjson.dumps(found[0])
            texts[found[2]] = text.lower() if lower else text
    return texts
