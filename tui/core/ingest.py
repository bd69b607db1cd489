"""Turn batches of complete lines into rows of the event store.

The Ingestor splits lines, strips ``kubectl logs --prefix/--timestamps`` prefixes and a UTF-8
byte-order mark, joins pretty-printed JSON documents that span lines, decodes each record and
appends the extracted fields column by column. Every line ends up either in an event or in the
skip log with a reason: nothing is silently lost from the count.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field

import numpy as np
import orjson

from kaudit_tui.core import legacy
from kaudit_tui.core.decode import DECISION_ANNOTATION, Skip, events_in, extract
from kaudit_tui.core.schema import DECODE_ERRORS, decode_event
from kaudit_tui.core.segments import RawReader
from kaudit_tui.core.store import OTHER_ID, EventStore, split_audit_id
from kaudit_tui.core.timestamps import NO_TIME, parse_time

DEFAULT_MAX_LINE = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_PREFIX = re.compile(
    rb"^(?:\[[^\]\s]*\] )?(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) )?"
)
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPENERS = (b"{", b"[")
_MICRO_TIME_ROW = b"0000-00-00T00:00:00.000000Z\n"
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


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
        # Typed arrays per column: appending to them is cheap and numpy adopts them without a
        # per-element conversion. Timestamps and audit IDs stay text until the batch is
        # converted in one vectorised step (see _micros and _audit_ids).
        self._who = array("I")
        self._what = array("I")
        self._name = array("I")
        self._uri = array("I")
        self._code = array("h")
        self._off = array("q")
        self._len = array("q")
        self._stage: list = []
        self._received: list = []
        self._ids: list[str] = []
        self._items: list[tuple[int, int]] = []

    # -- public ----------------------------------------------------------------------------
    def feed(self, reader: RawReader, offset: int, data: bytes) -> range:
        """Index the complete lines in ``data`` (read from ``reader`` at ``offset``).

        Returns the ids of the rows appended.
        """
        seg = self.store.segment_id(reader)
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        self.lines += len(lines)
        pos = offset
        documents = self._documents
        max_line = self.max_line
        store = self.store
        who_get, who_code = store.who.get, store.who.code
        what_get, what_code = store.what.get, store.what.code
        name_get, name_code = store.names.get, store.names.code
        uri_get, uri_code = store.uris.get, store.uris.code
        add_who, add_what = self._who.append, self._what.append
        add_name, add_uri, add_code = self._name.append, self._uri.append, self._code.append
        add_off, add_len = self._off.append, self._len.append
        add_stage, add_received, add_id = (
            self._stage.append, self._received.append, self._ids.append,
        )  # fmt: skip
        for line in lines:
            length = len(line)
            # Fast path, inlined because it runs for nearly every line of a real log: a
            # compact v1 Event decoded straight into typed structs.
            if line[:1] == b"{" and line[-1] == 125 and length <= max_line and seg not in documents:
                try:
                    event = decode_event(line)
                except DECODE_ERRORS:
                    event = None
                if (
                    event is not None
                    and event.kind == "Event"
                    and event.apiVersion.startswith("audit.k8s.io/")
                ):
                    user = event.user
                    imp = event.impersonatedUser
                    who = (user.username, imp.username if imp else "", user.groups,
                           event.userAgent, event.sourceIPs)  # fmt: skip
                    ann = event.annotations
                    decision = ann.get(DECISION_ANNOTATION, "") if ann else ""
                    ref = event.objectRef
                    if ref is None:
                        what = (event.verb, "", "", "", "", event.stage, event.level, decision,
                                False)  # fmt: skip
                        name = ""
                    else:
                        group = ref.apiGroup
                        if not group and "/" in ref.apiVersion:
                            group = ref.apiVersion.rpartition("/")[0]
                        what = (event.verb, group, ref.resource, ref.subresource, ref.namespace,
                                event.stage, event.level, decision, True)  # fmt: skip
                        name = ref.name
                    code = who_get(who)
                    add_who(who_code(who) if code is None else code)
                    code = what_get(what)
                    add_what(what_code(what) if code is None else code)
                    code = name_get(name)
                    add_name(name_code(name) if code is None else code)
                    uri = event.requestURI
                    code = uri_get(uri)
                    add_uri(uri_code(uri) if code is None else code)
                    status = event.responseStatus
                    add_code(status.code if status is not None and 0 <= status.code < 1000 else 0)
                    stage_time = event.stageTimestamp
                    if stage_time is None and event.metadata is not None:
                        stage_time = event.metadata.creationTimestamp
                    add_stage(stage_time)
                    add_received(event.requestReceivedTimestamp or event.timestamp)
                    add_id(event.auditID)
                    add_off(pos)
                    add_len(length)
                    pos += length + 1
                    continue
            self._line(seg, pos, line)
            pos += length + 1
        return self._flush(seg)

    def finish(self, reader: RawReader) -> range:
        """The reader has no more data: an unfinished document is skipped as truncated."""
        seg = self.store.segment_id(reader)
        doc = self._documents.pop(seg, None)
        if doc is not None:
            self._skip_truncated(seg, doc)
        return self._flush(seg)

    # -- per line --------------------------------------------------------------------------
    def _line(self, seg: int, pos: int, line: bytes) -> None:
        if line[-1:] == b"\r":
            line = line[:-1]
        start = 0
        if pos == 0 and line.startswith(_BOM):
            start = 3
        doc = self._documents.get(seg)
        if doc is not None:
            if not _starts_record(line, start):
                self._continue_document(seg, doc, pos, line)
                return
            # No document goes on with a new JSON line or a legacy line: the pending one was
            # cut short. Without this, a truncated line would swallow every line after it.
            del self._documents[seg]
            self._skip_truncated(seg, doc)
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

    def _skip_truncated(self, seg: int, doc: _Document) -> None:
        reason = "truncated JSON" if len(doc.parts) == 1 else "truncated JSON document"
        self.store.skips.add(reason, seg, doc.offset, doc.size, len(doc.parts))

    def _continue_document(self, seg: int, doc: _Document, pos: int, line: bytes) -> None:
        doc.parts.append(line)
        doc.size = pos + len(line) - doc.offset
        doc.depth += _depth_change(line)
        if doc.size > self.max_line:
            del self._documents[seg]
            self.store.skips.add(f"document longer than {self.max_line} bytes", seg,
                                 doc.offset, doc.size, len(doc.parts))  # fmt: skip
        elif doc.depth <= 0:
            del self._documents[seg]
            body = b"\n".join(doc.parts)
            try:
                obj = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                reason = _json_error_reason(body, error)
                self.store.skips.add(reason, seg, doc.offset, doc.size, len(doc.parts))
                return
            self._record(seg, doc.offset, doc.size, obj, len(doc.parts))

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
    def _record(self, seg: int, pos: int, length: int, obj: object, lines: int = 1) -> None:
        if type(obj) is dict and obj.get("kind") == "Event" and "items" not in obj:
            version = obj.get("apiVersion")
            if version is None or (type(version) is str and version.startswith("audit.k8s.io/")):
                self._event(seg, pos, length, obj, -1)
                return
        found = list(events_in(obj))
        # The record's lines count as skipped only when none of its items was an event.
        skipped_lines = 0 if any(not isinstance(f, Skip) for f in found) else lines
        for item in found:
            if isinstance(item, Skip):
                self.store.skips.add(item.reason, seg, pos, length, skipped_lines)
                skipped_lines = 0
            else:
                self._event(seg, pos, length, item[0], item[2])

    def _event(self, seg: int, pos: int, length: int, event: dict, item: int) -> None:
        """Index an event dict from the tolerant path (documents, odd types, legacy lines)."""
        store = self.store
        who, what, name, uri, code, stage_time, received, audit_id = extract(event)
        if item != -1:
            self._items.append((len(self._who), item))
        self._who.append(store.who.code(who))
        self._what.append(store.what.code(what))
        self._name.append(store.names.code(name))
        self._uri.append(store.uris.code(uri))
        self._code.append(code)
        self._stage.append(stage_time)
        self._received.append(received)
        self._ids.append(audit_id)
        self._off.append(pos)
        self._len.append(length)

    def _flush(self, seg: int) -> range:
        count = len(self._who)
        if not count:
            return self.store.append({"who": ()})
        stage_us = _micros(self._stage)
        received_us = _micros(self._received)
        missing_stage = stage_us == NO_TIME
        stage_us[missing_stage] = received_us[missing_stage]
        missing_received = received_us == NO_TIME
        received_us[missing_received] = stage_us[missing_received]
        id_hi, id_lo = _audit_ids(self._ids, self.store)
        items = np.full(count, -1, dtype=np.int32)
        for index, item in self._items:
            items[index] = item
        columns = {
            "who": np.frombuffer(self._who, dtype=np.uint32),
            "what": np.frombuffer(self._what, dtype=np.uint32),
            "name": np.frombuffer(self._name, dtype=np.uint32),
            "uri": np.frombuffer(self._uri, dtype=np.uint32),
            "code": np.frombuffer(self._code, dtype=np.int16),
            "ts": stage_us,
            "rx": received_us,
            "id_hi": id_hi,
            "id_lo": id_lo,
            "seg": np.full(count, seg, dtype=np.uint16),
            "off": np.frombuffer(self._off, dtype=np.int64),
            "len": np.frombuffer(self._len, dtype=np.int64),
            "item": items,
        }
        rows = self.store.append(columns)
        self._reset()
        return rows


def _micros(values: list) -> np.ndarray:
    """Epoch microseconds of a batch of timestamps (text, None, or already-parsed ints).

    A batch of kube-apiserver's own micro times (all ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) is
    parsed by numpy in one call; anything else (other zones and layouts, missing values) goes
    through :func:`parse_time` one by one.
    """
    try:
        rows = _micro_time_bytes(values)
        if rows is not None:
            fixed = np.frombuffer(rows, dtype="S28")
            return fixed.astype("S26").astype("datetime64[us]").view(np.int64)
    except (TypeError, ValueError):
        pass
    try:
        return np.array([v if type(v) is int else parse_time(v) for v in values], dtype=np.int64)
    except OverflowError:
        return np.full(len(values), NO_TIME, dtype=np.int64)


def _micro_time_bytes(values: list) -> bytes | None:
    """The batch as 28-byte rows (value + newline) if every value is laid out exactly like
    ``2026-11-26T10:00:00.123456Z``, else None.

    Checking the whole layout (digits where digits go, separators in place, newlines only
    between values) is what makes numpy's parse agree with :func:`parse_time` value by value:
    without it a batch of odd values could be misaligned, or numpy could read forms (a sign
    or spaces in the year, a short fraction, year 0) that ``parse_time`` rejects.
    """
    count = len(values)
    joined = "\n".join(values)
    if len(joined) != 28 * count - 1 or not joined.isascii():
        return None
    raw = joined.encode("ascii") + b"\n"
    if raw.translate(_DIGITS_TO_ZERO) != _MICRO_TIME_ROW * count:
        return None
    if raw.startswith(b"0000") or b"\n0000" in raw:
        return None  # year 0: numpy takes it, Python's datetime (and parse_time) does not
    return raw


def _audit_ids(ids: list[str], store: EventStore) -> tuple[np.ndarray, np.ndarray]:
    """Audit IDs as 128-bit halves; a batch of canonical UUIDs is converted in one go."""
    count = len(ids)
    joined = "".join(ids)
    if (
        len(joined) == 36 * count
        and joined.count("-") == 4 * count
        and joined.islower()
        and max(map(len, ids)) == 36  # all 36 long: the slices below stay aligned
    ):
        try:
            raw = bytes.fromhex(joined.replace("-", ""))
        except ValueError:
            raw = b""
        dashes = (joined[8::36], joined[13::36], joined[18::36], joined[23::36])
        if len(raw) == 16 * count and all(d == "-" * count for d in dashes):
            halves = np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(count, 2)
            if not (halves[:, 0] == np.uint64(OTHER_ID)).any():
                return halves[:, 0].copy(), halves[:, 1].copy()
    pairs = [split_audit_id(audit_id, store.other_ids) for audit_id in ids]
    return (
        np.array([p[0] for p in pairs], dtype=np.uint64),
        np.array([p[1] for p in pairs], dtype=np.uint64),
    )


def _starts_record(line: bytes, start: int) -> bool:
    """Does this line begin a record of its own (a JSON object or a legacy audit line)?

    Pretty-printers indent everything inside a document, so a line that (after a kubectl
    prefix) starts with ``{`` is a new record; so is a legacy line.
    """
    if line[start : start + 1] != b"{":
        start = _PREFIX.match(line, start).end()  # type: ignore[union-attr]
    return line[start : start + 1] == b"{" or legacy.is_legacy(line[start:])


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
