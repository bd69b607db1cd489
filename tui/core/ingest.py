"""Turn batches of complete lines into rows of the event store.

The Ingestor splits lines, strips ``kubectl logs --prefix/--timestamps`` prefixes and a UTF-8
byte-order mark, joins pretty-printed JSON documents that span lines, decodes each record and
appends the extracted fields column by column. Every line ends up either in an event or in the
skip log with a reason: nothing is silently lost from the count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import orjson

from kaudit_tui.core import legacy
from kaudit_tui.core.decode import DECISION_ANNOTATION, Skip, events_in, extract
from kaudit_tui.core.schema import DecodeError, decode_event
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
        self._rows: list[tuple] = []

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
        documents = self._documents
        fast_event = self._fast_event
        max_line = self.max_line
        fast = 0
        for line in lines:
            length = len(line)
            # Fast path: a compact v1 Event line, the overwhelming majority of any real log.
            if line[:1] == b"{" and line[-1] == 125 and length <= max_line and seg not in documents:
                try:
                    event = decode_event(line)
                except DecodeError:
                    pass
                else:
                    if event.kind == "Event" and event.apiVersion.startswith("audit.k8s.io/"):
                        fast_event(seg, pos, length, event)
                        fast += 1
                        pos += length + 1
                        continue
            self._line(seg, pos, line)
            pos += length + 1
        self.lines += fast
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
            event = decode_event(body)
        except DecodeError:
            pass
        else:
            if event.kind == "Event" or (not event.kind and event.auditID and event.verb):
                version = event.apiVersion
                if not version or version.startswith("audit.k8s.io/"):
                    self._fast_event(seg, pos + start, len(body), event)
                    return
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

    def _fast_event(self, seg: int, pos: int, length: int, event) -> None:  # noqa: ANN001
        """Index an event decoded by the typed fast path (the common case)."""
        store = self.store
        user = event.user
        imp = event.impersonatedUser
        ref = event.objectRef
        ann = event.annotations
        if ref is None:
            what = (event.verb, "", "", "", "", event.stage, event.level,
                    ann.get(DECISION_ANNOTATION, "") if ann else "", False)  # fmt: skip
            name = ""
        else:
            group = ref.apiGroup
            if not group and "/" in ref.apiVersion:
                group = ref.apiVersion.rpartition("/")[0]
            what = (event.verb, group, ref.resource, ref.subresource, ref.namespace, event.stage,
                    event.level, ann.get(DECISION_ANNOTATION, "") if ann else "", True)  # fmt: skip
            name = ref.name
        who = (user.username, imp.username if imp else "", user.groups, event.userAgent,
               event.sourceIPs)  # fmt: skip
        status = event.responseStatus
        code = status.code if status is not None and 0 <= status.code < 1000 else 0
        stage_time = event.stageTimestamp
        if stage_time is None and event.metadata is not None:
            stage_time = event.metadata.creationTimestamp
        who_code = store.who.get(who)
        if who_code is None:
            who_code = store.who.code(who)
        what_code = store.what.get(what)
        if what_code is None:
            what_code = store.what.code(what)
        name_code = store.names.get(name)
        if name_code is None:
            name_code = store.names.code(name)
        uri = event.requestURI
        uri_code = store.uris.get(uri)
        if uri_code is None:
            uri_code = store.uris.code(uri)
        self._rows.append((
            who_code, what_code, name_code, uri_code, code, stage_time,
            event.requestReceivedTimestamp or event.timestamp, event.auditID, seg, pos, length, -1,
        ))  # fmt: skip

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
        """Index an event dict from the tolerant path (documents, odd types, legacy lines)."""
        store = self.store
        who, what, name, uri, code, stage_time, received, audit_id = extract(event)
        self._rows.append((
            store.who.code(who), store.what.code(what), store.names.code(name),
            store.uris.code(uri), code, stage_time, received, audit_id, seg, pos, length, item,
        ))  # fmt: skip

    def _flush(self) -> range:
        rows = self._rows
        if not rows:
            return self.store.append({"who": []})
        who, what, name, uri, code, stage, received, ids, seg, off, length, item = zip(
            *rows, strict=True
        )
        stage_us = _micros(stage)
        received_us = _micros(received)
        missing_stage = stage_us == NO_TIME
        stage_us[missing_stage] = received_us[missing_stage]
        missing_received = received_us == NO_TIME
        received_us[missing_received] = stage_us[missing_received]
        id_hi, id_lo = _audit_ids(ids, self.store)
        self._reset()
        return self.store.append({
            "who": who, "what": what, "name": name, "uri": uri, "code": code,
            "ts": stage_us, "rx": received_us, "id_hi": id_hi, "id_lo": id_lo,
            "seg": seg, "off": off, "len": length, "item": item,
        })  # fmt: skip


def _micros(values: tuple) -> np.ndarray:
    """Epoch microseconds of a batch of timestamps (text, None, or already-parsed ints).

    Text in kube-apiserver's own UTC form is parsed by numpy in one call; anything else (other
    zones, odd layouts from fixtures) goes through :func:`parse_time` one by one.
    """
    try:
        texts = [v[:-1] if v[-1] == "Z" else _bad(v) for v in values]
        return np.array(texts, dtype="datetime64[us]").view(np.int64)
    except (TypeError, ValueError, IndexError):
        return np.array([v if type(v) is int else parse_time(v) for v in values], dtype=np.int64)


def _bad(value: object) -> str:
    raise ValueError(value)


def _audit_ids(ids: tuple[str, ...], store: EventStore) -> tuple[np.ndarray, np.ndarray]:
    """Audit IDs as 128-bit halves; a batch of canonical UUIDs is converted in one go."""
    count = len(ids)
    joined = "".join(ids)
    if len(joined) == 36 * count and joined.count("-") == 4 * count and joined.islower():
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
