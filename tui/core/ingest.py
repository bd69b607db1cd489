"""Turn batches of complete lines into rows of the event store.

The Ingestor splits lines, strips ``kubectl logs --prefix/--timestamps`` prefixes and a UTF-8
byte-order mark, joins pretty-printed JSON documents that span lines, decodes each record and
appends the extracted fields column by column. Every line ends up either in an event or in the
skip log with a reason: nothing is silently lost from the count.
"""

from __future__ import annotations

import re
import struct
import threading
from concurrent.futures import Future
from itertools import islice
from typing import NamedTuple

import msgspec
import numpy as np
import orjson

from kaudit_tui.core import batch, cloudwatch, legacy, linescan, pretty
from kaudit_tui.core.decode import Skip, events_in, extract, load_yaml
from kaudit_tui.core.helperproc import usable_cores
from kaudit_tui.core.linescan import Lines, LineScanner
from kaudit_tui.core.schema import (
    DECODE_ERRORS,
    NO_OBJECT_REF,
    Event,
    decode_event,
    decode_shapes,
)
from kaudit_tui.core.segments import RawReader
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import EventTimes

DEFAULT_MAX_LINE = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_PREFIX = re.compile(
    rb"^(?:\[[^\]\s]*\] )?(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) )?"
)
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_YAML_START = re.compile(
    rb"(?:---|#|(?:insertId|logName|protoPayload|jsonPayload|textPayload|httpRequest|labels"
    rb"|operation|receiveTimestamp|resource|severity|sourceLocation|spanId|split|timestamp"
    rb"|trace|traceSampled):(?: |$))"
)
"""A line that starts a YAML document of ``gcloud logging read``: the separator, a comment,
or a top-level LogEntry field."""
_OPENERS = (b"{", b"[")
_TAIL_FIRST = frozenset(b"0123456789\x1b"[i : i + 1] for i in range(11))
"""How a line of ``aws logs tail`` output can start (a digit of its time, or a colour)."""
_ROW = struct.Struct("<QIIqqq")
_ROW_FIELDS = np.dtype(
    [("shapes", "<u8"), ("name", "<u4"), ("uri", "<u4"),
     ("code", "<i8"), ("off", "<i8"), ("len", "<i8")]
)  # fmt: skip
"""One row's numbers: the two shape codes (packed as one number), name and URI codes, status code
(range-checked later), locator."""


class _RowTexts(NamedTuple):
    """The values a row keeps as they were decoded until its batch is converted (the hot loop
    appends them to one flat list, in this order, as a plain tuple)."""

    stage: object
    """stageTimestamp: text, None, or already parsed (the tolerant path)."""
    received: object
    """requestReceivedTimestamp, likewise."""
    audit_id: str
    metadata: object
    """The metadata struct of a v1beta1 event (its creationTimestamp), else None."""
    logged: object
    """v1alpha1's timestamp, else None."""


_TEXTS = len(_RowTexts._fields)
_TEXT = {name: index for index, name in enumerate(_RowTexts._fields)}
"""Where each value sits among a row's ``_TEXTS`` values."""
_PREPARED = 4
"""Batches parsed ahead at most (one is enough when they are fed as they come)."""
_MAX_SHAPES = 1 << 15
"""Shape keys remembered before the cache starts over. Service account tokens carry per-pod
claims (user.extra), so a big cluster has many keys for few client shapes: the bound keeps the
cache to about 20 MB; a forgotten key costs one decode the next time it is seen."""


class _Document(msgspec.Struct):
    """A JSON (or YAML) document being assembled from several lines."""

    offset: int
    parts: list[bytes] = msgspec.field(default_factory=list)
    depth: int = 0
    size: int = 0
    yaml: bool = False
    """A YAML document (``gcloud logging read`` output): it ends where the next one starts."""
    envelope: bool = False
    """The rest of a CloudWatch Logs page after its events: read to its end, nothing kept."""


class _Array(msgspec.Struct):
    """A top-level JSON array being read one element at a time (``gcloud logging read
    --format=json``): each element is a record of its own, and only the element being
    assembled is held, never the array."""

    element: _Document | None = None
    opening: tuple[int, int] | None = None
    """Offset and length of the ``[`` line: an array that is never closed (the input ends, or
    a record follows) counts that line as skipped; a closed one is an envelope."""
    page: str | None = None
    """The log events of a pretty-printed CloudWatch Logs page or payload (``"events": [``):
    the cluster its log group names; the rest of the page follows the array."""


def _depth_change(line: bytes) -> int:
    text = _STRINGS.sub(b"", line)
    return text.count(b"{") + text.count(b"[") - text.count(b"}") - text.count(b"]")


class Ingestor:
    """Decodes line batches from any number of readers into one :class:`EventStore`."""

    def __init__(
        self, store: EventStore, *, max_line: int = DEFAULT_MAX_LINE, compiled: bool = True
    ) -> None:
        """``compiled``: read compact event lines with the compiled scanner where it was built
        (see linescan.py); the index is the same either way."""
        self.store = store
        self.max_line = max_line
        self.lines = 0
        self._documents: dict[int, _Document | _Array] = {}
        self._shapes: dict[tuple, int] = {}
        """Both shape codes (see ``_shape_codes``) by the key of a typed event: the raw text of
        its client and object fields, and its request fields (see schema.py)."""
        self._scanner = (
            LineScanner(store, self._line_shape_codes) if compiled and linescan.AVAILABLE else None
        )
        self._threads = usable_cores() >= 2
        """Parse large batches in two threads (see ``_scan_lines``)."""
        self._prepared: dict[int, tuple[bytes, Future[Lines]]] = {}
        """Batches being parsed ahead (see :meth:`prepare`), by identity."""
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        # The numeric fields of a row are packed into one bytearray with a single struct call
        # (cheaper than one append per column) that numpy reads as a record array. Timestamps
        # and audit IDs stay text until the batch is converted in one go (see batch.py).
        self._rows = bytearray()
        self._texts: list = []
        """Per row, flat: the ``_TEXTS`` values of its ``_RowTexts``."""
        self._items: list[tuple[int, int]] = []

    # -- public ----------------------------------------------------------------------------
    @property
    def compiled(self) -> bool:
        """Does the compiled scanner read compact event lines here?"""
        return self._scanner is not None

    def prepare(self, data: bytes) -> None:
        """``data`` is to be fed next (after what is being fed now): with two cores, parse it
        in another thread meanwhile (any thread may call this; see ``_scan_lines``)."""
        if self._scanner is not None and self._threads and data:
            with self._lock:
                while len(self._prepared) >= _PREPARED:
                    self._prepared.pop(next(iter(self._prepared)))
                self._prepared[id(data)] = (data, linescan.parse_ahead(data, 0, len(data)))

    def feed(self, reader: RawReader, offset: int, data: bytes) -> range:
        """Index the complete lines in ``data`` (read from ``reader`` at ``offset``).

        Returns the ids of the rows appended.
        """
        seg = self.store.segment_id(reader)
        with self._lock:
            prepared = self._prepared.pop(id(data), None)
        if self._scanner is not None and len(data) <= self.max_line and seg not in self._documents:
            first = self.store.next_id
            ready = prepared[1] if prepared is not None and prepared[0] is data else None
            self._scan_lines(seg, offset, data, ready)
            self._flush(seg)
            return range(first, self.store.next_id)
        self._index_lines(seg, offset, data)
        return self._flush(seg)

    def _scan_lines(
        self, seg: int, offset: int, data: bytes, ready: Future[Lines] | None = None
    ) -> None:
        """Index ``data`` with the compiled scanner, and each line it leaves with
        :meth:`_index_lines`; once a document opens, or the scanner reads nothing twice in a
        row (a log of another form), the rest of the batch goes to :meth:`_index_lines`.

        With two cores, parsing (which holds no GIL) runs in another thread beside this one:
        ``ready`` is the whole batch being parsed since :meth:`prepare`; otherwise the second
        half of a large batch is parsed there while this thread parses and indexes the first.
        Indexing stays in order.
        """
        scanner = self._scanner
        assert scanner is not None
        size = len(data)
        at = idle = 0
        ahead: tuple[int, Future[Lines]] | None = None
        if ready is not None:
            ahead = (0, ready)
        elif self._threads and size >= linescan.SPLIT_MIN:
            middle = data.find(b"\n", size // 2) + 1
            if 0 < middle < size:
                ahead = (middle, linescan.parse_ahead(data, middle, size))
        try:
            while at < size:
                if ahead is not None and at >= ahead[0]:
                    lines = ahead[1].result()
                    if at > ahead[0]:  # the Python path read past where that part began
                        lines = linescan.parse(data, at, size)
                    ahead = None
                else:
                    lines = linescan.parse(data, at, ahead[0] if ahead is not None else size)
                scanned = scanner.scan(data, lines)
                if scanned.count:
                    self._flush(seg)  # the Python path's rows come first
                    self.lines += scanned.count
                    self.store.append(scanned.columns(seg, offset))
                    idle = 0
                else:
                    idle += 1
                at = scanned.stop
                if at >= size or (ahead is not None and at == ahead[0]):
                    continue
                newline = data.find(b"\n", at)
                end = size if newline < 0 or idle >= 2 else newline + 1
                self._index_lines(seg, offset + at, data[at:end])
                at = end
                if seg in self._documents:
                    self._index_lines(seg, offset + at, data[at:])
                    return
        finally:
            if ahead is not None:
                ahead[1].result()  # not to be read, but its thread is done with the data

    def _index_lines(self, seg: int, offset: int, data: bytes) -> None:
        """Index the lines of ``data`` one by one in Python (rows wait in ``_rows`` for
        :meth:`_flush`)."""
        documents = self._documents
        store = self.store
        shape_get = self._shapes.get
        name_get, name_code = store.names.get, store.names.code
        uri_code = store.uris.code
        rows, pack = self._rows, _ROW.pack
        add_texts = self._texts.extend
        join = b"\0".join
        decode = decode_event
        no_ref = NO_OBJECT_REF
        lines = data.split(b"\n")
        if not lines[-1]:
            lines.pop()  # the newline that ends the last line starts no line of its own
        self.lines += len(lines)
        # Lines too long to decode are rare: a batch with any of them takes the tolerant path,
        # which handles them, for every line; so does each line with a CR before its newline
        # (the tolerant path leaves the CR out of the event's text).
        plain = len(data) <= self.max_line
        crlf = b"\r" in data
        fast = plain and seg not in documents  # no pretty-printed document is being assembled
        end = offset - 1
        rest = iter(lines)
        for line in rest:
            pos = end + 1
            length = len(line)
            end = pos + length
            # The fast path, inlined because it runs for nearly every line of a real log: a
            # compact v1 Event decoded straight into typed structs (see schema.py).
            if fast and not (crlf and line[-1:] == b"\r"):
                try:
                    event = decode(line)
                except DECODE_ERRORS:
                    pass
                else:
                    ref = event.objectRef
                    notes = event.annotations
                    key = (join((event.user, event.impersonatedUser, event.sourceIPs,
                                 event.userAgent, ref.apiGroup, ref.apiVersion, ref.resource,
                                 ref.subresource, ref.namespace)),
                           event.verb, event.stage, event.level, notes.decision, notes.cluster,
                           ref is no_ref)  # fmt: skip
                    shapes = shape_get(key)
                    if shapes is None:
                        shapes = self._shape_codes(key, event)
                    if shapes is not None:
                        name_id = name_get(ref.name)
                        if name_id is None:
                            name_id = name_code(ref.name)
                        rows += pack(shapes, name_id, uri_code(event.requestURI),
                                     event.responseStatus.code,
                                     pos, length)  # fmt: skip
                        # a _RowTexts, built as a plain tuple (cheaper)
                        add_texts((event.stageTimestamp, event.requestReceivedTimestamp,
                                   event.auditID, event.metadata, event.timestamp))  # fmt: skip
                        continue
            self._line(seg, pos, line)
            if plain and seg in documents:  # pretty-printed documents: read on at once
                at = end + 1 - offset
                resume = self._ahead(seg, data, offset, at)
                if resume > at:
                    skip = data.count(b"\n", at, resume)
                    next(islice(rest, skip, skip), None)  # past the lines read ahead
                    end = offset + resume - 1
            fast = plain and seg not in documents

    def _line_shape_codes(self, line: bytes) -> int | None:
        """Both shape codes of the typed event on ``line`` (for the compiled scanner), or None
        when it does not decode so."""
        try:
            event = decode_event(line)
        except DECODE_ERRORS:
            return None
        key = _shape_key(event)
        shapes = self._shapes.get(key)
        return self._shape_codes(key, event) if shapes is None else shapes

    def _shape_codes(self, key: tuple, event: Event) -> int | None:
        """Both shape codes of a typed event whose key is new, as ``who | what << 32`` (the
        two columns' bytes in one number); None if its raw fields have the wrong types."""
        try:
            client, request = decode_shapes(event)
        except DECODE_ERRORS:
            return None
        if len(self._shapes) >= _MAX_SHAPES:
            self._shapes.clear()
        codes = self.store.who.code(client) | self.store.what.code(request) << 32
        self._shapes[key] = codes
        return codes

    def in_document(self, reader: RawReader) -> bool:
        """Is a multi-line JSON document from ``reader`` waiting for its next lines?"""
        return self.store.segment_id(reader) in self._documents

    def forget_document(self, reader: RawReader) -> None:
        """Drop the unfinished document of ``reader`` (its lines are to be fed again)."""
        self._documents.pop(self.store.segment_id(reader), None)

    def finish(self, reader: RawReader) -> range:
        """The reader has no more data: an unfinished document is skipped as truncated (a YAML
        document ends here)."""
        seg = self.store.segment_id(reader)
        doc = self._documents.pop(seg, None)
        if type(doc) is _Array:
            if doc.element is not None:
                self._skip_truncated(seg, doc.element)
            self._skip_opening(seg, doc)
        elif doc is not None and doc.yaml:
            self._yaml_document(seg, doc)
        elif doc is not None and not doc.envelope:
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
            if type(doc) is _Array:
                if self._array_line(seg, doc, pos, line):
                    return
            elif doc.yaml:
                if not (_starts_record(line, start) or line.startswith(b"---")):
                    self._continue_document(seg, doc, pos, line)
                    return
                del self._documents[seg]
                self._yaml_document(seg, doc)
            elif not _starts_record(line, start):
                self._continue_document(seg, doc, pos, line)
                return
            else:
                # No document goes on with a new JSON line or a legacy line: the pending one
                # was cut short. Without this, a truncated line would swallow every line after.
                del self._documents[seg]
                if not doc.envelope:
                    self._skip_truncated(seg, doc)
        if len(line) > self.max_line and not cloudwatch.is_firehose_object(line):
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
        elif start == 0 and _YAML_START.match(line):
            self._documents[seg] = _Document(pos, [line], size=len(line), yaml=True)
        elif legacy.is_legacy(line[start:]):
            self._text_line(seg, pos + start, line[start:])
        elif cloudwatch.is_base64_gzip(line[start:]):
            self._base64_line(seg, pos + start, line[start:])
        elif (message := cloudwatch.tail_message(line)) >= 0:
            if message < len(line):  # else the header line of a pretty-printed message
                self._message(seg, pos, line, message)
        else:
            # A legacy line starts with its own timestamp, which looks like a kubectl prefix.
            unprefixed = _legacy_start(line)
            self._text_line(seg, pos + unprefixed, line[unprefixed:])

    def _json_line(self, seg: int, pos: int, line: bytes, start: int) -> None:
        body = line[start:] if start else line
        try:
            obj = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            if body.strip() == b"[":
                self._documents[seg] = _Array(opening=(pos + start, len(body)))
                return
            if "after document" in str(error) and (pieces := cloudwatch.concatenated(body)):
                self._concatenated(seg, pos + start, body, pieces)
                return
            if self._opens_document(body):
                doc = _Document(pos + start, [body], _depth_change(body), len(body))
                self._documents[seg] = doc
                return
            self.store.skips.add(_json_error_reason(body, error), seg, pos + start, len(body))
            return
        if type(obj) is dict and cloudwatch.is_envelope(obj):
            self._envelope(seg, pos + start, body, obj)
            return
        self._record(seg, pos + start, len(body), obj)

    # -- CloudWatch Logs (see cloudwatch.py) -----------------------------------------------
    def _message(self, seg: int, pos: int, line: bytes, start: int) -> None:
        """The message of an ``aws logs tail`` line, where it stands on the line."""
        if line[start : start + 1] in _OPENERS:
            # an audit event as the apiserver wrote it: decoded as the same line in a file is
            if not self._typed(seg, pos + start, len(line) - start, line[start:], -1):
                self._json_line(seg, pos, line, start)
        else:
            self._text_line(seg, pos + start, line[start:])

    def _envelope(self, seg: int, pos: int, body: bytes, obj: dict) -> None:
        for offset, length, record, cluster in cloudwatch.records(body, obj):
            message = None if cluster else cloudwatch.bare_message(record)
            if message is None or not self._typed(seg, pos + offset, length, message, 0):
                self._record(seg, pos + offset, length, record, cluster=cluster)

    def _concatenated(self, seg: int, pos: int, body: bytes, pieces: list) -> None:
        """JSON objects with no separator between them (a Firehose object): each is read
        as if it were a line of its own."""
        for start, end, obj in pieces:
            piece = body[start:end]
            if obj is None:
                self.store.skips.add(_json_error_reason(piece, None), seg, pos + start, len(piece))
            elif type(obj) is dict and cloudwatch.is_envelope(obj):
                self._envelope(seg, pos + start, piece, obj)
            else:
                self._record(seg, pos + start, len(piece), obj)

    def _base64_line(self, seg: int, pos: int, body: bytes) -> None:
        """A CloudWatch Logs subscription payload as base64 text of gzip: one record whose
        log events are its items."""
        try:
            obj = cloudwatch.load_base64(body)
        except ValueError:
            self.store.skips.add("not base64 text of gzip data", seg, pos, len(body))
            return
        except orjson.JSONDecodeError:
            self.store.skips.add("gzip data that is not a JSON document", seg, pos, len(body))
            return
        self._record(seg, pos, len(body), obj)

    @staticmethod
    def _opens_document(body: bytes) -> bool:
        """Is this the first line of a pretty-printed document (not a truncated JSON line)?"""
        stripped = body.rstrip()
        return stripped in _OPENERS or stripped.endswith((b"{", b"[")) or stripped.endswith(b",")

    def _skip_truncated(self, seg: int, doc: _Document) -> None:
        reason = "truncated JSON" if len(doc.parts) == 1 else "truncated JSON document"
        self.store.skips.add(reason, seg, doc.offset, doc.size, len(doc.parts))

    def _continue_document(self, seg: int, doc: _Document, pos: int, line: bytes) -> None:
        if doc.envelope:
            doc.depth += _depth_change(line)
            if doc.depth <= 0:
                del self._documents[seg]
            return
        if doc.depth == 1 and line.endswith(b"[") and doc.parts[0] == b"{":
            cluster = cloudwatch.page_opening(doc.parts, line)
            if cluster is not None:  # its log events are read one at a time, as records
                self._documents[seg] = _Array(page=cluster)
                return
        doc.parts.append(line)
        doc.size = pos + len(line) - doc.offset
        if not doc.yaml:
            doc.depth += _depth_change(line)
        if doc.size > self.max_line:
            del self._documents[seg]
            self.store.skips.add(f"document longer than {self.max_line} bytes", seg,
                                 doc.offset, doc.size, len(doc.parts))  # fmt: skip
        elif doc.depth <= 0 and not doc.yaml:
            del self._documents[seg]
            body = b"\n".join(doc.parts)
            try:
                obj = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                reason = _json_error_reason(body, error)
                self.store.skips.add(reason, seg, doc.offset, doc.size, len(doc.parts))
                return
            self._record(seg, doc.offset, doc.size, obj)

    def _ahead(self, seg: int, data: bytes, offset: int, at: int) -> int:
        """Read the pretty-printed objects that follow in the batch, from ``at`` (where a line
        of ``data`` starts), each found whole by its closing line (see pretty.py) and parsed
        once, instead of line by line; returns where line-by-line reading resumes.

        Objects are read so while they are laid out as a pretty-printer writes them: the
        documents of ``aws logs tail --format json`` (and other ``{`` ... ``}`` documents one
        after another) and the elements of a JSON array (``gcloud logging read --format=json``,
        the log events of a pretty-printed CloudWatch Logs page). Anything else, or an object
        that is not valid JSON, is left to the line-by-line reader, which gives the same rows
        and skips: the record's offset and length are the ones it would give.
        """
        documents = self._documents
        while True:
            doc = documents.get(seg)
            if type(doc) is _Array:
                if doc.element is not None:
                    return at
                newline = data.find(b"\n", at)
                indent = pretty.opening_indent(data[at:newline]) if newline > 0 else -1
                if indent < 0:
                    return at  # the end of the array, or an element on one line
                end = pretty.object_end(data, newline, indent, comma=True)
                start = at + indent
                if not (0 < end - start <= self.max_line) or not self._pretty(
                    seg, offset + start, data[start:end], doc.page or ""
                ):
                    return at
                at = end + (2 if data[end] == 0x2C else 1)  # after the newline (and comma)
            elif doc is None:
                # the next document: a ``{`` line, as the line-by-line reader opens it, after
                # the header line of ``aws logs tail --format json`` (read as any line is)
                if data[at : at + 1] in _TAIL_FIRST:
                    newline = data.find(b"\n", at)
                    if newline < 0 or not data.startswith(b"{\n", newline + 1):
                        return at
                    self._line(seg, offset + at, data[at:newline])
                    at = newline + 1
                    continue
                if not data.startswith(b"{\n", at):
                    return at
                documents[seg] = _Document(offset + at, [b"{"], 1, 1)
                at += 2
            elif (
                doc.parts == [b"{"]
                and not (doc.yaml or doc.envelope)
                and doc.offset == offset + at - 2
                and (at == 2 or data[at - 3] == 0x0A)  # opened by a line that is ``{`` alone
            ):
                end = pretty.object_end(data, at - 1, 0, comma=False)
                body = data[at - 2 : end]
                if (
                    not (0 < end <= at - 2 + self.max_line)
                    or b'"events": [\n' in body  # a CloudWatch Logs page: its events one by one
                    or b'"logEvents": [\n' in body
                ):
                    return at
                del documents[seg]
                if not self._pretty(seg, doc.offset, body, ""):
                    documents[seg] = doc
                    return at
                at = end + 1
            else:
                return at

    def _pretty(self, seg: int, pos: int, body: bytes, cluster: str) -> bool:
        """Index one pretty-printed record found whole, as the line-by-line reader would once
        it had joined its lines; False, with nothing indexed, when it is not valid JSON."""
        if not cluster and self._typed(seg, pos, len(body), body, -1):
            return True
        try:
            obj = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        message = None if cluster else cloudwatch.bare_message(obj)
        if message is None or not self._typed(seg, pos, len(body), message, 0):
            self._record(seg, pos, len(body), obj, cluster)
        return True

    def _yaml_document(self, seg: int, doc: _Document) -> None:
        body = b"\n".join(doc.parts)
        try:
            obj = load_yaml(body)
        except ValueError:
            self.store.skips.add("invalid YAML", seg, doc.offset, doc.size, len(doc.parts))
            return
        if obj is None:
            self.store.skips.add("YAML comments only", seg, doc.offset, doc.size, len(doc.parts))
            return
        self._record(seg, doc.offset, doc.size, obj)

    def _array_line(self, seg: int, array: _Array, pos: int, line: bytes) -> bool:
        """One line inside a top-level JSON array; False when the line is not the array's
        (the array was cut short) and is to be read as a line of its own."""
        element = array.element
        if element is None:
            stripped = line.strip()
            if stripped[:1] == b"{":
                indent = len(line) - len(line.lstrip())
                element = _Document(pos + indent, [line[indent:]], size=len(line) - indent)
                element.depth = _depth_change(line)
                array.element = element
                if element.depth <= 0:
                    self._array_element(seg, array, pos, line)
                return True
            if stripped == b"]" or stripped == b"],":
                del self._documents[seg]
                if array.page is not None:
                    self._documents[seg] = _Document(pos, depth=1, envelope=True)
                return True
            if not stripped:
                self.store.skips.add("blank line", seg, pos, len(line))
                return True
            if _starts_record(line, 0):
                del self._documents[seg]
                self._skip_opening(seg, array)
                return False
            self.store.skips.add("JSON array element is not an object", seg, pos, len(line))
            return True
        if _starts_record(line, 0):
            del self._documents[seg]
            self._skip_truncated(seg, element)
            return False
        element.parts.append(line)
        element.size = pos + len(line) - element.offset
        element.depth += _depth_change(line)
        if element.size > self.max_line:
            array.element = None
            self.store.skips.add(f"document longer than {self.max_line} bytes", seg,
                                 element.offset, element.size, len(element.parts))  # fmt: skip
        elif element.depth <= 0:
            self._array_element(seg, array, pos, line)
        return True

    def _skip_opening(self, seg: int, array: _Array) -> None:
        if array.opening is not None:
            offset, length = array.opening
            self.store.skips.add("truncated JSON array", seg, offset, length)

    def _array_element(self, seg: int, array: _Array, pos: int, line: bytes) -> None:
        """The element being assembled ended on ``line`` (at ``pos``): index it."""
        element = array.element
        assert element is not None
        array.element = None
        last = line.rstrip()
        if last.endswith(b","):
            last = last[:-1].rstrip()
        size = pos + len(last) - element.offset
        parts = element.parts
        parts[-1] = last if len(parts) > 1 else last[len(line) - len(parts[-1]) :]
        body = b"\n".join(parts)
        try:
            obj = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            reason = _json_error_reason(body, error)
            self.store.skips.add(reason, seg, element.offset, size, len(parts))
            return
        self._record(seg, element.offset, size, obj, array.page or "")

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
    def _record(self, seg: int, pos: int, length: int, obj: object, cluster: str = "") -> None:
        """Index the events of one parsed record; ``cluster``: the one its envelope names."""
        if type(obj) is dict and obj.get("kind") == "Event" and "items" not in obj:
            version = obj.get("apiVersion")
            if version is None or (type(version) is str and version.startswith("audit.k8s.io/")):
                self._event(seg, pos, length, obj, -1, cluster)
                return
        found = list(events_in(obj))
        # A record that holds no event counts as one skipped line however many lines it
        # spans, so that one entry skips alike as a JSON line, a YAML document or an array
        # element; it counts only when none of its items was an event. The log events of a
        # CloudWatch Logs envelope are records of their own: each message skipped counts.
        each = type(obj) is dict and cloudwatch.is_envelope(obj)
        skipped_lines = 0 if any(not isinstance(f, Skip) for f in found) else 1
        for item in found:
            if isinstance(item, Skip):
                self.store.skips.add(item.reason, seg, pos, length, 1 if each else skipped_lines)
                skipped_lines = 0
            else:
                self._event(seg, pos, length, item[0], item[2], item[3] or cluster)

    def _typed(self, seg: int, pos: int, length: int, body: bytes, item: int) -> bool:
        """Index ``body`` as ``feed`` indexes a JSON line on its fast path: a v1 Event decoded
        straight into typed structs (item ``item`` of the record at ``pos``, or the record
        itself when -1). False, with nothing indexed, when it does not decode so."""
        try:
            event = decode_event(body)
        except DECODE_ERRORS:
            return False
        ref = event.objectRef
        key = _shape_key(event)
        shapes = self._shapes.get(key)
        if shapes is None:
            shapes = self._shape_codes(key, event)
            if shapes is None:
                return False
        store = self.store
        if item != -1:
            self._items.append((len(self._texts) // _TEXTS, item))
        self._rows += _ROW.pack(shapes, store.names.code(ref.name),
                                store.uris.code(event.requestURI), event.responseStatus.code,
                                pos, length)  # fmt: skip
        # a _RowTexts, built as a plain tuple (cheaper)
        self._texts += (event.stageTimestamp, event.requestReceivedTimestamp, event.auditID,
                        event.metadata, event.timestamp)  # fmt: skip
        return True

    def _event(
        self, seg: int, pos: int, length: int, event: dict, item: int, cluster: str = ""
    ) -> None:
        """Index an event dict from the tolerant path (documents, odd types, legacy lines)."""
        store = self.store
        who, what, name, uri, code, stage_time, received, audit_id = extract(event, cluster)
        if item != -1:
            self._items.append((len(self._texts) // _TEXTS, item))
        self._rows += _ROW.pack(
            store.who.code(who) | store.what.code(what) << 32, store.names.code(name),
            store.uris.code(uri), code, pos, length,
        )  # fmt: skip
        self._texts += (stage_time, received, audit_id, None, None)  # _RowTexts

    def _flush(self, seg: int) -> range:
        texts = self._texts
        count = len(texts) // _TEXTS
        if not count:
            return self.store.append({"who": ()})
        metadata = texts[_TEXT["metadata"] :: _TEXTS]
        logged = texts[_TEXT["logged"] :: _TEXTS]
        stage_us, received_us = batch.event_times(
            EventTimes(
                stage=texts[_TEXT["stage"] :: _TEXTS],
                created=[m.creationTimestamp if m is not None else None for m in metadata]
                if metadata.count(None) != count
                else None,
                received=texts[_TEXT["received"] :: _TEXTS],
                logged=logged if logged.count(None) != count else None,
            )
        )
        id_hi, id_lo = batch.audit_ids(texts[_TEXT["audit_id"] :: _TEXTS], self.store.other_ids)
        items = np.full(count, -1, dtype=np.int32)
        for index, item in self._items:
            items[index] = item
        rows = np.frombuffer(self._rows, dtype=_ROW_FIELDS)
        shapes = rows["shapes"]
        code = rows["code"]
        columns = {
            "who": shapes.astype(np.uint32),
            "what": (shapes >> 32).astype(np.uint32),
            "name": rows["name"],
            "uri": rows["uri"],
            "code": np.where((code >= 0) & (code < 1000), code, 0),
            "ts": stage_us,
            "rx": received_us,
            "id_hi": id_hi,
            "id_lo": id_lo,
            "seg": np.full(count, seg, dtype=np.uint16),
            "off": rows["off"],
            "len": rows["len"],
            "item": items,
        }
        rows = self.store.append(columns)
        self._reset()
        return rows


def _shape_key(event: Event) -> tuple:
    """The key of a typed event's two shapes (``feed`` builds the same inline)."""
    ref = event.objectRef
    notes = event.annotations
    return (b"\0".join((event.user, event.impersonatedUser, event.sourceIPs, event.userAgent,
                        ref.apiGroup, ref.apiVersion, ref.resource, ref.subresource,
                        ref.namespace)),
            event.verb, event.stage, event.level, notes.decision, notes.cluster,
            ref is NO_OBJECT_REF)  # fmt: skip


def _starts_record(line: bytes, start: int) -> bool:
    """Does this line begin a record of its own (a JSON object or a legacy audit line)?

    Pretty-printers indent everything inside a document, so a line that (after a kubectl
    prefix) starts with ``{`` is a new record; so is a legacy line, which is never indented
    (an indented line that holds `` AUDIT: `` is a string inside the document).
    """
    if line[start : start + 1] != b"{":
        start = _PREFIX.match(line, start).end()  # type: ignore[union-attr]
    return (
        line[start : start + 1] == b"{"
        or (legacy.is_legacy(line[start:]) and not line[:1].isspace())
        or (line[:1] in _TAIL_FIRST and cloudwatch.tail_message(line) >= 0)
    )


def _legacy_start(line: bytes) -> int:
    """Where a legacy line begins once an optional ``[pod/name/container]`` prefix is removed."""
    if line[:1] == b"[":
        end = line.find(b"] ")
        if end > 0:
            return end + 2
    return 0


def _json_error_reason(body: bytes, error: orjson.JSONDecodeError | None) -> str:
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
