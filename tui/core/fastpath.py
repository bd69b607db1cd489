"""A whole batch of plain JSON-line events indexed in one go, without a Python loop per event.

Nearly every batch of a real log is compact v1 Events, one a line. Such a batch is decoded by
msgspec in one call (``Decoder.decode_lines``: no line is copied, and only the fields the index
needs are built; request and response bodies are skipped in C), and every column is then taken
from the whole list at once: the structs transposed into one tuple per field, codes looked up by
mapping dictionary methods over those tuples. Only a value seen for the first time (a new shape
key, name or URI) goes through Python code of its own.

The structs are exactly as strict as the per-line fast path of :mod:`ingest` together with its
shape decoding (:func:`schema.decode_shapes`): a batch is indexed here only if each of its lines
would take that path, and then every row and code comes out as that path makes it. Any line
that does not decode (malformed, blank, another kind, a prefix, a wrong type) sends the whole
batch, untouched, back to the per-line path, which handles every line as before.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from operator import attrgetter
from typing import Literal

import msgspec
import numpy as np
from msgspec.structs import astuple

from kaudit_tui.core import batch, schema
from kaudit_tui.core.decode import (
    ClientShape,
    RequestShape,
)
from kaudit_tui.core.schema import (
    DECODE_ERRORS,
    NO_STATUS,
    ApiVersion,
    Level,
    Meta,
    Stage,
    Status,
    Verb,
)
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import EventTimes

ENABLED = True
"""Tests turn the batch path off to compare it with the per-line path."""
_MAX_KEYS = 1 << 15
"""Shape keys remembered before the cache starts over (see ``ingest._MAX_SHAPES``)."""


_ABSENT = msgspec.Raw(b"")
_NO_REF = msgspec.Raw(b"\x01")
"""The raw resource of an event without an objectRef: no JSON value is this byte, so inside a
shape key it tells such an event apart from one with an empty objectRef (a resource request)."""


class ObjectRef(msgspec.Struct, frozen=True, gc=False):
    resource: msgspec.Raw = _ABSENT
    namespace: msgspec.Raw = _ABSENT
    name: str = ""
    apiGroup: msgspec.Raw = _ABSENT
    apiVersion: msgspec.Raw = _ABSENT
    subresource: msgspec.Raw = _ABSENT


NO_OBJECT_REF = ObjectRef(resource=_NO_REF)


class Event(msgspec.Struct, frozen=True, gc=False):
    """:class:`schema.Event` with the raw fields of the objectRef kept raw too (all but its
    name), so that one ``bytes.join`` of an event's raw fields, with its typed ones, makes its
    shape key."""

    kind: Literal["Event"]
    apiVersion: ApiVersion
    level: Level | Literal[""] = ""
    auditID: str = ""
    stage: Stage | Literal[""] = ""
    requestURI: str = ""
    verb: Verb | Literal[""] = ""
    user: msgspec.Raw = _ABSENT
    impersonatedUser: msgspec.Raw = _ABSENT
    sourceIPs: msgspec.Raw = _ABSENT
    userAgent: msgspec.Raw = _ABSENT
    objectRef: ObjectRef = NO_OBJECT_REF
    responseStatus: Status = NO_STATUS
    requestReceivedTimestamp: str | None = None
    stageTimestamp: str | None = None
    timestamp: str | None = None
    metadata: Meta | None = None
    annotations: schema.Annotations = schema.NO_ANNOTATIONS


_decode_lines = msgspec.json.Decoder(Event).decode_lines
_OPEN, _CLOSE = b"{}"
_join = b"\0".join
_CODE = attrgetter("code")
_FIELDS = tuple(Event.__struct_fields__)
_REF_FIELDS = tuple(ObjectRef.__struct_fields__)
_NOTE_FIELDS = tuple(schema.Annotations.__struct_fields__)


def _columns(fields: tuple[str, ...], structs: Sequence[msgspec.Struct]) -> dict[str, tuple]:
    """The values of each field over ``structs``, by field name: each struct as a tuple,
    transposed (all in C, no Python code per struct)."""
    return dict(zip(fields, zip(*map(astuple, structs), strict=True), strict=True))


def shapes(event: Event) -> tuple[ClientShape, RequestShape]:
    """The client and request shapes of an event (once per new key), as the per-line path
    gives them (:func:`schema.decode_shapes`).

    Raises:
        msgspec.DecodeError: a field has the wrong type, or another of ``DECODE_ERRORS``.
    """
    ref = event.objectRef
    decoded = schema.Event(
        kind=event.kind,
        apiVersion=event.apiVersion,
        verb=event.verb,
        stage=event.stage,
        level=event.level,
        user=event.user,
        impersonatedUser=event.impersonatedUser,
        sourceIPs=event.sourceIPs,
        userAgent=event.userAgent,
        objectRef=schema.NO_OBJECT_REF
        if ref is NO_OBJECT_REF
        else schema.ObjectRef(
            resource=ref.resource,
            namespace=ref.namespace,
            apiGroup=ref.apiGroup,
            apiVersion=ref.apiVersion,
            subresource=ref.subresource,
        ),
        annotations=event.annotations,
    )
    return schema.decode_shapes(decoded)


def _line_ends(data: bytes) -> np.ndarray | None:
    """Where each line of ``data`` ends (its newline, or the end of the data), if every line
    starts with ``{`` and ends with ``}``; else None.

    That makes ``decode_lines`` agree with decoding line by line: it takes any whitespace
    between values, so a blank line, or a value spread over two lines next to a line holding
    two, could otherwise line up values with the wrong lines. With ``}`` ending a line and
    ``{`` starting the next, no value can go on across the newline (``} {`` is not valid
    inside one), so a decoded value per line means each line holds exactly one.
    """
    found: list[int] = []
    add, find = found.append, data.find
    end = find(b"\n")
    while end >= 0:  # memchr per line: cheaper than numpy's nonzero over every byte
        add(end)
        end = find(b"\n", end + 1)
    if not found or found[-1] != len(data) - 1:
        add(len(data))
    ends = np.array(found, dtype=np.int64)
    raw = np.frombuffer(data, np.uint8)
    if raw[0] != _OPEN or (raw[ends - 1] != _CLOSE).any():
        return None
    if len(ends) > 1 and (raw[ends[:-1] + 1] != _OPEN).any():
        return None
    return ends


def _index_lines(
    store: EventStore, cache: dict[tuple, int], seg: int, offset: int, data: bytes
) -> range | None:
    """Index the lines of ``data`` (read at ``offset`` of segment ``seg``) as rows of
    ``store``; None, with nothing changed, unless every line is a compact event that the
    per-line fast path would take. ``cache`` holds both shape codes by shape key."""
    if not data or b"\r" in data:
        return None
    ends = _line_ends(data)
    if ends is None:
        return None
    try:
        events = _decode_lines(data)
    except DECODE_ERRORS:
        return None
    count = len(events)
    if count != len(ends):
        return None
    # Each struct as a tuple, transposed: one tuple of values per field (all in C).
    field = _columns(_FIELDS, events)
    ref = _columns(_REF_FIELDS, field["objectRef"])
    notes = _columns(_NOTE_FIELDS, field["annotations"])
    raw = map(_join, zip(
        field["user"], field["impersonatedUser"], field["sourceIPs"], field["userAgent"],
        ref["apiGroup"], ref["apiVersion"], ref["resource"], ref["subresource"], ref["namespace"],
        strict=True,
    ))  # fmt: skip
    keys = list(zip(raw, field["verb"], field["stage"], field["level"], notes["decision"],
                    notes["cluster"], strict=True))  # fmt: skip
    if len(cache) >= _MAX_KEYS:
        cache.clear()
    found = list(map(cache.get, keys))
    if None in found:
        who_code, what_code = store.who.code, store.what.code
        index = -1
        try:
            while True:
                index = found.index(None, index + 1)
                codes = cache.get(keys[index])  # new earlier in this batch
                if codes is None:
                    try:
                        client, request = shapes(events[index])
                    except DECODE_ERRORS:
                        return None  # the shapes coded so far are those of earlier lines
                    codes = cache[keys[index]] = who_code(client) | what_code(request) << 32
                found[index] = codes
        except ValueError:  # no None left
            pass
    packed = np.fromiter(found, dtype=np.uint64, count=count)
    name_codes = store.names.codes(ref["name"])
    uri_codes = store.uris.codes(field["requestURI"])
    status = np.fromiter(map(_CODE, field["responseStatus"]), dtype=np.int64, count=count)
    starts = np.empty(count, np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    metadata = field["metadata"]
    logged = field["timestamp"]
    stage_us, received_us = batch.event_times(
        EventTimes(
            stage=list(field["stageTimestamp"]),
            created=[m.creationTimestamp if m is not None else None for m in metadata]
            if metadata.count(None) != count
            else None,
            received=list(field["requestReceivedTimestamp"]),
            logged=list(logged) if logged.count(None) != count else None,
        )
    )
    id_hi, id_lo = batch.audit_ids(list(field["auditID"]), store.other_ids)
    return store.append(
        {
            "who": packed.astype(np.uint32),
            "what": (packed >> np.uint64(32)).astype(np.uint32),
            "name": np.fromiter(name_codes, dtype=np.uint32, count=count),
            "uri": np.fromiter(uri_codes, dtype=np.uint32, count=count),
            "code": np.where((status >= 0) & (status < 1000), status, 0),
            "ts": stage_us,
            "rx": received_us,
            "id_hi": id_hi,
            "id_lo": id_lo,
            "seg": np.full(count, seg, dtype=np.uint16),
            "off": starts + offset,
            "len": ends - starts,
            "item": np.full(count, -1, dtype=np.int32),
        }
    )


def index_lines(
    store: EventStore, cache: dict[tuple, int], seg: int, offset: int, data: bytes
) -> range | None:
    """:func:`_index_lines` with the cyclic garbage collector paused: the batch holds a few
    tuples per event for a moment, none of them in a cycle, and without the pause the
    collector would walk each of them several times (a fifth of the batch's time)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _index_lines(store, cache, seg, offset, data)
    finally:
        if paused:
            gc.enable()
