"""EKS audit events as CloudWatch Logs hands them out, in the forms its tools write.

EKS sends each audit event, the apiserver's JSON line, as the ``message`` of one log event in
the log group ``/aws/eks/CLUSTER/cluster``. The forms, and what is envelope around them:

- ``aws logs tail``: ``TIMESTAMP STREAM MESSAGE`` (``--format detailed``), ``TIMESTAMP
  MESSAGE`` (``short``), or a ``TIMESTAMP STREAM `` header line followed by the message
  pretty-printed (``json``; a message that is not JSON stays on the header line); ``--color
  on`` puts SGR colour codes around the timestamp and the stream. The message is indexed
  where it stands on the line (:func:`tail_message`).
- ``aws logs filter-log-events`` / ``get-log-events`` pages (``{"events": [...], ...}``) and
  subscription payloads (``{"messageType": "DATA_MESSAGE", "logGroup": ..., "logEvents":
  [...]}``): each log event of a compact document is a record of its own (:func:`records`), so
  reading one event back reads that log event alone, never the page or payload.
- Payloads as base64 text of gzip, one per line (what Lambda and Kinesis deliver): the line is
  the record, its log events its items (:func:`load_base64`).
- Firehose objects: payloads concatenated with no separator (:func:`concatenated`).

``CONTROL_MESSAGE`` payloads hold no events and are ignored, as is every envelope line: only a
message that is not an audit event counts as skipped.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator

import orjson

_SGR = rb"(?:\x1b\[[0-9;]*m)*"
_TAIL = re.compile(
    _SGR
    # short: seconds, no zone; detailed and json: isoformat() of a UTC time
    + rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:(?:\.\d{6})?[+-]\d\d:\d\d)?"
    + _SGR
    + rb" (?:"
    + _SGR
    + rb"[^\s{\[\x1b][^\s\x1b]*"  # the stream name (never where the message is JSON)
    + _SGR
    + rb" )?"
)
"""The prefix ``aws logs tail`` writes before a message, colours included."""
_GROUP = re.compile(r"/aws/eks/([^/]+)/cluster")
_ARRAY = re.compile(rb'"(?:logEvents|events)"\s*:\s*\[\s*')
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]')
"""A JSON string (skipped whole) or a bracket: enough to find where an object ends."""
_PAGE_KEYS = (b'"events": [', b'"logEvents": [')
_GZIP_BASE64 = b"H4sI"
"""How base64 text of gzip data starts (the magic ``1f 8b 08``)."""
_CONTROL = "CONTROL_MESSAGE"
_LOG_EVENT_KEYS = frozenset(
    {"logStreamName", "timestamp", "message", "ingestionTime", "eventId", "id"}
)
"""The fields of a log event in pages (filter-log-events, get-log-events) and payloads."""
FIREHOSE_MAX = 256 << 20
_cache: tuple[bytes, object] = (b"", None)


def tail_message(line: bytes) -> int:
    """Where the message starts on a line of ``aws logs tail`` output, or -1 if the line is
    not one. A header line of ``--format json`` gives ``len(line)``: its message follows."""
    first = line[:1]
    if not (first.isdigit() or first == b"\x1b"):
        return -1
    match = _TAIL.match(line)
    return -1 if match is None else match.end()


def cluster_of(obj: dict) -> str:
    """CLUSTER of a log group ``/aws/eks/CLUSTER/cluster`` the object names, else ""."""
    group = obj.get("logGroup")
    match = _GROUP.fullmatch(group) if type(group) is str else None
    return match.group(1) if match else ""


def is_log_event(obj: dict) -> bool:
    """Is this one CloudWatch Logs event (``timestamp`` in ms and a ``message``)?"""
    return type(obj.get("message")) is str and type(obj.get("timestamp")) is int


def _events_key(obj: dict) -> str | None:
    for key in ("logEvents", "events"):
        found = obj.get(key)
        if type(found) is list:
            first = found[0] if found else None
            if (
                key == "events"
                and first is not None
                and not (type(first) is dict and is_log_event(first))
            ):
                return None
            return key
    return None


def is_envelope(obj: dict) -> bool:
    """Is this a page of log events or a subscription payload?"""
    return _events_key(obj) is not None


def log_events(obj: dict) -> list:
    """The log events of an envelope (none for a ``CONTROL_MESSAGE``)."""
    key = _events_key(obj)
    if key is None or obj.get("messageType") == _CONTROL:
        return []
    return obj[key]


def bare_message(obj: object) -> bytes | None:
    """The message of a log event with nothing but the fields CloudWatch Logs gives it, when
    it looks like a JSON object: read as the same line in a file is. None for anything else
    (a record with other fields is read the tolerant way, which tells it apart)."""
    if type(obj) is not dict or not obj.keys() <= _LOG_EVENT_KEYS or not is_log_event(obj):
        return None
    message = obj["message"]
    if message[:1] != "{":
        return None
    try:
        return message.encode()
    except UnicodeEncodeError:
        return None


def message_of(parsed: object, item: int) -> str | None:
    """The message of item ``item`` of a record: a log event (item 0) or an envelope."""
    if type(parsed) is not dict:
        return None
    if is_log_event(parsed):
        event = parsed
    elif is_envelope(parsed):
        events = log_events(parsed)
        if not 0 <= item < len(events) or type(events[item]) is not dict:
            return None
        event = events[item]
    else:
        return None
    message = event.get("message")
    return message if type(message) is str else None


def records(body: bytes, obj: dict) -> Iterator[tuple[int, int, object, str]]:
    """The records of a compact envelope ``body`` (parsed: ``obj``): ``(offset, length,
    parsed record, cluster)`` for each log event, where it stands in ``body``. When the spans
    cannot be told (an unusual layout), the envelope is one record, its log events its items.
    """
    cluster = cluster_of(obj)
    events = log_events(obj)
    if not events:
        return
    spans = _spans(body, len(events))
    if spans is None:
        yield 0, len(body), obj, cluster
        return
    for (start, end), event in zip(spans, events, strict=True):
        yield start, end - start, event, cluster


def _spans(body: bytes, count: int) -> list[tuple[int, int]] | None:
    """Where each of the ``count`` objects of the envelope's log event array stands."""
    match = _ARRAY.search(body)
    if match is None:
        return None
    spans: list[tuple[int, int]] = []
    depth, start = 0, -1
    for token in _TOKEN.finditer(body, match.end()):
        char = body[token.start()]
        if char == 0x7B:  # {
            if depth == 0:
                start = token.start()
            depth += 1
        elif char == 0x7D:  # }
            depth -= 1
            if depth == 0:
                spans.append((start, token.end()))
                if len(spans) == count:
                    return spans
        elif char == 0x5B:  # [
            depth += 1
        elif char == 0x5D:  # ]
            depth -= 1
            if depth < 0:
                break
    return None


def page_opening(parts: list[bytes], line: bytes) -> str | None:
    """When ``line`` opens the log event array of a pretty-printed page or payload whose
    lines so far are ``parts``: the cluster its log group names (or ""); else None."""
    if line.strip() not in _PAGE_KEYS:
        return None
    try:
        header = orjson.loads(b"\n".join(parts) + b'"":0}')
    except orjson.JSONDecodeError:
        return None
    if type(header) is not dict or header.get("messageType") == _CONTROL:
        return None
    return cluster_of(header)


def concatenated(body: bytes) -> list[tuple[int, int, object]]:
    """Subscription payloads written one after the other with no separator (a Firehose
    object), as ``(start, end, parsed)``; a damaged rest is ``(start, end, None)``. Empty
    when ``body`` does not start with a payload followed by more."""
    pieces: list[tuple[int, int, object]] = []
    start = 0
    candidate = body.find(b'}{"')
    while candidate >= 0:
        try:
            parsed = orjson.loads(body[start : candidate + 1])
        except orjson.JSONDecodeError:
            pass  # a '}{"' inside a string: the object goes on
        else:
            if not pieces and not (type(parsed) is dict and is_envelope(parsed)):
                return []
            pieces.append((start, candidate + 1, parsed))
            start = candidate + 1
        candidate = body.find(b'}{"', candidate + 1)
    if not pieces:
        return []
    try:
        pieces.append((start, len(body), orjson.loads(body[start:])))
    except orjson.JSONDecodeError:
        pieces.append((start, len(body), None))
    return pieces


def is_firehose_object(line: bytes) -> bool:
    """Is this one line of subscription payloads, as large as Firehose writes them (its
    buffer holds up to 128 MiB)? Each payload in it is a record of its own."""
    return len(line) <= FIREHOSE_MAX and line.startswith(b'{"messageType":')


def is_base64_gzip(body: bytes) -> bool:
    return body[:4] == _GZIP_BASE64


def load_base64(record: bytes) -> object:
    """A subscription payload given as base64 text of gzip, parsed (the last one is kept:
    reading its events back one by one decodes it once).

    Raises:
        ValueError: not base64 of gzip; orjson.JSONDecodeError: not JSON inside.
    """
    global _cache
    cached_record, parsed = _cache
    if record == cached_record:
        return parsed
    try:
        data = zlib.decompress(base64.b64decode(record.strip(), validate=True), wbits=47)
    except (binascii.Error, zlib.error) as error:
        raise ValueError(f"not base64 of gzip data ({error})") from None
    parsed = orjson.loads(data)
    _cache = (record, parsed)
    return parsed
