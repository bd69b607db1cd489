"""Turn batches of complete lines into rows of the event store.

The Ingestor splits lines, strips ``kubectl logs --prefix/--timestamps`` prefixes and a UTF-8
byte-order mark, joins pretty-printed JSON documents that span lines, decodes each record and
appends the extracted fields column by column. Every line ends up either in an event or in the
skip log with a reason: nothing is silently lost from the count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import orjson
from kaudit_tui.core import legacy
from kaudit_tui.core.decode import Skip, events_in, extract
from kaudit_tui.core.segments import RawReader
from kaudit_tui.core.store import EventStore, split_audit_id

DEFAULT_MAX_LINE = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_PREFIX = re.compile(
    rb"^(?:\[[^\]\s]*\] )?(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) )?"
)
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPENERS = (b"{", b"[")


@dataclass
class _Document:
    """A JSON document being assembled from several lines."""

    offset: int
    parts: list[bytes] = field(default_factory=list)
    depth: int = 0
    size: int = 0


def _depth_change(line: bytes) -> int:
    text = _STRINGS.sub(b"", line)
    return text.count(b"{") + text.count(b"[") - text.count(b"}") - text.count(b"]")


class Ingestor:
    """Decodes line batches from any number of readers into one :class:`EventStore`."""

    def __init__(self, store: EventStore, *, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.store = store
        self.max_line = max_line
        self.lines = 0
        self._documents: dict[int, _Document] = {}
        self._reset()

    def _reset(self) -> None:
        self._cols: dict[str, list[int]] = {
            name: [] for name in ("shape", "name", "uri", "code", "ts", "rx", "id_hi", "id_lo",
                                  "seg", "off", "len", "item")
        }  # fmt: skip

    # -- public ----------------------------------------------------------------------------
    def feed(self, reader: RawReader, offset: int, data: bytes) -> range:
        """Index the complete lines in ``data`` (read from ``reader`` at ``offset``).

        Returns the ids of the rows appended.
        """
        seg = self.store.segment_id(reader)
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        pos = offset
        for line in lines:
            self._line(seg, pos, line)
            pos += len(line) + 1
        return self._flush()

    def finish(self, reader: RawReader) -> range:
        """The reader has no more data: an unfinished document is skipped as truncated."""
        seg = self.store.segment_id(reader)
        doc = self._documents.pop(seg, None)
        if doc is not None:
            self.store.skips.add("truncated JSON document", seg, doc.offset, doc.size)
        return self._flush()

    # -- per line --------------------------------------------------------------------------
    def _line(self, seg: int, pos: int, line: bytes) -> None:
        self.lines += 1
        if line[-1:] == b"\r":
            line = line[:-1]
        start = 0
        if pos == 0 and line.startswith(_BOM):
            start = 3
        doc = self._documents.get(seg)
        if doc is not None:
            self._continue_document(seg, doc, pos, line)
            return
        if len(line) > self.max_line:
            self.store.skips.add(f"line longer than {self.max_line} bytes", seg, pos, len(line))
            return
        first = line[start : start + 1]
        if first != b"{":
            if not line[start:].strip():
                self.store.skips.add("blank line", seg, pos, len(line))
                return
            start = _PREFIX.match(line, start).end()  # type: ignore[union-attr]
            first = line[start : start + 1]
        if first == b"{" or first == b"[":
            self._json_line(seg, pos, line, start)
        elif legacy.is_legacy(line[start:]):
            self._text_line(seg, pos + start, line[start:])
        else:
            # A legacy line starts with its own timestamp, which looks like a kubectl prefix.
            unprefixed = _legacy_start(line)
            self._text_line(seg, pos + unprefixed, line[unprefixed:])

    def _json_line(self, seg: int, pos: int, line: bytes, start: int) -> None:
        body = line[start:] if start else line
        try:
            obj = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            if self._opens_document(body):
                doc = _Document(pos + start, [body], _depth_change(body), len(body))
                self._documents[seg] = doc
                return
            self.store.skips.add(_json_error_reason(body, error), seg, pos + start, len(body))
            return
        self._record(seg, pos + start, len(body), obj)

    @staticmethod
    def _opens_document(body: bytes) -> bool:
        """Is this the first line of a pretty-printed document (not a truncated JSON line)?"""
        stripped = body.rstrip()
        return stripped in _OPENERS or stripped.endswith((b"{", b"[")) or stripped.endswith(b",")

    def _continue_document(self, seg: int, doc: _Document, pos: int, line: bytes) -> None:
        if line[:1] == b"{" and doc.depth > 0 and len(doc.parts) == 1:
            # The pending "document" was a truncated JSON line followed by a new event line.
            del self._documents[seg]
            self.store.skips.add("truncated JSON", seg, doc.offset, doc.size)
            self.lines -= 1
            self._line(seg, pos, line)
            return
        doc.parts.append(line)
        doc.size = pos + len(line) - doc.offset
        doc.depth += _depth_change(line)
        if doc.size > self.max_line:
            del self._documents[seg]
            self.store.skips.add(f"document longer than {self.max_line} bytes", seg,
                                 doc.offset, doc.size)  # fmt: skip
        elif doc.depth <= 0:
            del self._documents[seg]
            body = b"\n".join(doc.parts)
            try:
                obj = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                self.store.skips.add(_json_error_reason(body, error), seg, doc.offset, doc.size)
                return
            self._record(seg, doc.offset, doc.size, obj)

    def _text_line(self, seg: int, pos: int, line: bytes) -> None:
        if b"\x00" in line:
            self.store.skips.add("binary data", seg, pos, len(line))
            return
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            self.store.skips.add("invalid UTF-8", seg, pos, len(line))
            return
        if legacy.is_legacy(line):
            event = legacy.to_event_dict(line)
            if event is not None:
                self._event(seg, pos, len(line), event, -1)
                return
            self.store.skips.add("legacy audit line without an id", seg, pos, len(line))
            return
        self.store.skips.add("not JSON or a legacy audit line", seg, pos, len(line))

    # -- records ---------------------------------------------------------------------------
    def _record(self, seg: int, pos: int, length: int, obj: object) -> None:
        if type(obj) is dict and obj.get("kind") == "Event" and "items" not in obj:
            version = obj.get("apiVersion")
            if version is None or (type(version) is str and version.startswith("audit.k8s.io/")):
                self._event(seg, pos, length, obj, -1)
                return
        for found in events_in(obj):
            if isinstance(found, Skip):
                self.store.skips.add(found.reason, seg, pos, length)
            else:
                self._event(seg, pos, length, found[0], found[2])

    def _event(self, seg: int, pos: int, length: int, event: dict, item: int) -> None:
        store = self.store
        raw_shape, name, uri, code, stage_time, received, audit_id = extract(event)
        hi, lo = split_audit_id(audit_id, store.other_ids)
        cols = self._cols
        cols["shape"].append(store.shape_code(raw_shape))
        cols["name"].append(store.names.code(name))
        cols["uri"].append(store.uris.code(uri))
        cols["code"].append(code)
        cols["ts"].append(stage_time)
        cols["rx"].append(received)
        cols["id_hi"].append(hi)
        cols["id_lo"].append(lo)
        cols["seg"].append(seg)
        cols["off"].append(pos)
        cols["len"].append(length)
        cols["item"].append(item)

    def _flush(self) -> range:
        rows = self.store.append(self._cols)
        self._reset()
        return rows


def _legacy_start(line: bytes) -> int:
    """Where a legacy line begins once an optional ``[pod/name/container]`` prefix is removed."""
    if line[:1] == b"[":
        end = line.find(b"] ")
        if end > 0:
            return end + 2
    return 0


def _json_error_reason(body: bytes, error: orjson.JSONDecodeError) -> str:
    message = str(error)
    if "UTF-8" in message or "surrogate" in message:
        return "invalid UTF-8"
    if b"\x00" in body:
        return "binary data"
    if not body.rstrip().endswith((b"}", b"]")):
        return "truncated JSON"
    if "recursion" in message or "depth" in message:
        return "JSON nested too deeply"
    return "invalid JSON"
