"""Bytes of one log record -> the indexed fields of the audit events it holds.

One record is usually one line: an ``audit.k8s.io`` Event as JSON (v1, v1beta1, v1alpha1, with or
without kind/apiVersion), or a legacy text line. A record can also be a whole JSON document
holding several events: an ``EventList`` (webhook batch), an AKS diagnostic ``records`` export or a
single AKS record whose ``properties.log`` holds the event. Anything else is a :class:`Skip` with a
reason a person can act on. Nothing here keeps the parsed dict: the caller appends the extracted
fields to the columnar store and drops it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import msgspec
import orjson

from kaudit_tui.core import cloudwatch, gke, legacy
from kaudit_tui.core.tables import field_names, field_types
from kaudit_tui.core.timestamps import event_times

DECISION_ANNOTATION = "authorization.k8s.io/decision"
CLUSTER_ANNOTATION = "cluster_name"


class ClientShape(NamedTuple):
    """Who sent the request: interned together as one "client shape" per event."""

    user: str = ""
    as_: str = ""
    """The impersonated user (field ``as``)."""
    groups: tuple[str, ...] = ()
    ua: str = ""
    ip: tuple[str, ...] = ()


class RequestShape(NamedTuple):
    """What the request did: interned together as one "request shape" per event."""

    verb: str = ""
    apigroup: str = ""
    resource: str = ""
    sub: str = ""
    ns: str = ""
    stage: str = ""
    level: str = ""
    decision: str = ""
    objref: bool = False
    """Whether the event has an objectRef (a resource request)."""
    cluster: str = ""
    """The cluster the event came from (GKE's cluster_name, the ``cluster_name`` annotation)."""


WHO_FIELDS = field_names(ClientShape)
WHAT_FIELDS = field_names(RequestShape)
TUPLE_FIELDS = frozenset(
    name
    for shape in (ClientShape, RequestShape)
    for name, kind in field_types(shape).items()
    if kind is tuple
)
"""Fields holding several values (groups, source IPs)."""

_AUDIT_KEYS = ("auditID", "stage", "verb", "requestURI")
REJECTED_BODY = "kaudit-tui/RejectedWebhookBody"
"""``kind`` of the one-line record the webhook receiver spools in place of a body it answered
with 400, so that the body is counted as skipped, with its reason, like any other record."""
_EMPTY: dict[str, Any] = {}


class Skip(msgspec.Struct, frozen=True):
    """A record that holds no audit event, and why."""

    reason: str


class Extracted(NamedTuple):
    """The indexed fields of one event, as :func:`extract` returns them."""

    who: tuple
    """A :class:`ClientShape` in field order, not yet type-checked (see :func:`normalizer`)."""
    what: tuple
    """A :class:`RequestShape` in field order, not yet type-checked."""
    name: str
    uri: str
    code: int
    stage_time: int
    received_time: int
    audit_id: str


def _text(value: object) -> str:
    """A string field as text; numbers become their text, other wrong types are absent."""
    if type(value) is str:
        return value
    if type(value) in (int, float):
        return str(value)
    return ""


def _strings(value: object) -> tuple[str, ...]:
    if type(value) is list or type(value) is tuple:
        return tuple(v for v in value if type(v) is str)  # type: ignore[union-attr]
    return ()


def _code(value: object) -> int:
    if type(value) is int:
        return value if 0 <= value < 1000 else 0
    if type(value) is str and len(value) <= 3 and value.isascii() and value.isdigit():
        return int(value)
    return 0


_COERCE: dict[type, Callable[[object], object]] = {str: _text, tuple: _strings, bool: bool}


def normalizer(shape: type[tuple]) -> Callable[[tuple], tuple]:
    """A function giving a raw shape tuple as ``shape`` with every field coerced to its type
    (slow path, once per distinct raw shape)."""
    coerce = tuple(_COERCE[kind] for kind in field_types(shape).values())
    make = shape._make  # type: ignore[attr-defined]

    def normalize(raw: tuple) -> tuple:
        return make(convert(value) for convert, value in zip(coerce, raw, strict=True))

    return normalize


normalize_who = normalizer(ClientShape)
normalize_what = normalizer(RequestShape)


def extract(d: dict, cluster: str = "") -> tuple:
    """Indexed fields of one parsed event dict (the tolerant path, once per event), as a
    plain tuple in the field order of :class:`Extracted`. ``cluster`` is the cluster the
    record it came in names (else the event's ``cluster_name`` annotation counts).

    The two shapes are plain tuples in the field order of :class:`ClientShape` and
    :class:`RequestShape` (cheaper to build than the records) and not yet type-checked (see
    :func:`normalizer`); everything else is.
    """
    user = d.get("user")
    if type(user) is not dict:
        user = _EMPTY
    imp = d.get("impersonatedUser")
    as_user = imp.get("username", "") if type(imp) is dict else ""
    ref = d.get("objectRef")
    objref = type(ref) is dict
    if not objref:
        ref = _EMPTY
    group = ref.get("apiGroup", "")
    if not group:
        ref_version = ref.get("apiVersion")
        if type(ref_version) is str and "/" in ref_version:
            group = ref_version.rpartition("/")[0]
    ann = d.get("annotations")
    if type(ann) is dict:
        decision = ann.get(DECISION_ANNOTATION, "")
        cluster = cluster or ann.get(CLUSTER_ANNOTATION, "")
    else:
        decision = ""
    groups = user.get("groups")
    ips = d.get("sourceIPs")
    # user, as, groups, ua, ip (ClientShape)
    who = (
        user.get("username", ""),
        as_user,
        tuple(groups) if type(groups) is list else (),
        d.get("userAgent", ""),
        tuple(ips) if type(ips) is list else (),
    )
    # verb, apigroup, resource, sub, ns, stage, level, decision, objref, cluster (RequestShape)
    what = (
        d.get("verb", ""),
        group,
        ref.get("resource", ""),
        ref.get("subresource", ""),
        ref.get("namespace", ""),
        d.get("stage", ""),
        d.get("level", ""),
        decision,
        objref,
        cluster,
    )
    status = d.get("responseStatus")
    code = _code(status.get("code")) if type(status) is dict else 0
    meta = d.get("metadata")
    stage_time, received = event_times(
        (  # stage, created, received, logged (EventTimes)
            d.get("stageTimestamp"),
            meta.get("creationTimestamp") if type(meta) is dict else None,
            d.get("requestReceivedTimestamp"),
            d.get("timestamp"),
        )
    )
    name = ref.get("name", "")
    uri = d.get("requestURI", "")
    audit_id = d.get("auditID", "")
    return (  # an Extracted, built as a plain tuple (cheaper)
        who,
        what,
        name if type(name) is str else _text(name),
        uri if type(uri) is str else _text(uri),
        code,
        stage_time,
        received,
        audit_id if type(audit_id) is str else _text(audit_id),
    )


def _is_event(d: dict, list_item: bool) -> bool:
    kind = d.get("kind")
    if kind == "Event":
        version = d.get("apiVersion")
        return version is None or (type(version) is str and version.startswith("audit.k8s.io/"))
    if kind is not None and not list_item:
        return False
    return "auditID" in d and any(k in d for k in _AUDIT_KEYS[1:])


Found = tuple[dict, str, int, str]
"""An event found in a record: (event dict, inherited apiVersion, item, cluster)."""


def events_in(obj: object) -> Iterator[Found | Skip]:
    """The events a parsed record holds, as (event dict, inherited apiVersion, item, cluster).

    ``item`` is -1 when the record itself is the event, else the event's ordinal inside the
    record (the same walk finds it again when the raw text is re-read). ``cluster`` is the
    cluster the record names ("" when it names none). A GKE Cloud Logging entry is item 0:
    the v1 Event it logs (see :mod:`kaudit_tui.core.gke`).
    """
    if type(obj) is not dict:
        yield Skip("JSON value is not an object")
        return
    if _is_event(obj, False):
        yield obj, _text(obj.get("apiVersion")), -1, ""
        return
    kind = obj.get("kind")
    if kind == "EventList":
        yield from _list_items(obj.get("items"), _text(obj.get("apiVersion")))
    elif type(obj.get("records")) is list:
        yield from _aks_records(obj["records"])
    elif obj.get("category") in ("kube-audit", "kube-audit-admin"):
        yield from _aks_records([obj])
    elif kind == REJECTED_BODY:
        yield Skip(f"webhook body rejected: {_text(obj.get('reason'))[:80]}")
    elif cloudwatch.is_log_event(obj):
        yield from _message_events(obj["message"], 0, "")
    elif cloudwatch.is_envelope(obj):
        cluster = cloudwatch.cluster_of(obj)
        for index, event in enumerate(cloudwatch.log_events(obj)):
            if type(event) is dict and cloudwatch.is_log_event(event):
                yield from _message_events(event["message"], index, cluster)
            else:
                yield Skip("CloudWatch Logs event without a message")
    elif gke.is_log_entry(obj):
        service = gke.service_of(obj)
        if service == gke.GKE_SERVICE:
            yield gke.audit_event(obj), "audit.k8s.io/v1", 0, gke.cluster_of(obj)
        else:
            yield Skip(f"Cloud Logging entry of {_text(service)[:60] or 'no service'}, not k8s.io")
    elif kind is not None:
        yield Skip(f"JSON object of kind {_text(kind)[:40]!r}, not an audit event")
    else:
        yield Skip("JSON object without audit event fields")


def _list_items(items: object, api_version: str) -> Iterator[Found | Skip]:
    if type(items) is not list or not items:
        yield Skip("EventList without items")
        return
    for index, entry in enumerate(items):
        if type(entry) is dict and _is_event(entry, True):
            yield entry, _text(entry.get("apiVersion")) or api_version, index, ""
        else:
            yield Skip("EventList item is not an audit event")


def _aks_records(records: list) -> Iterator[Found | Skip]:
    if not records:
        yield Skip("AKS export without records")
    for index, record in enumerate(records):
        log = record.get("properties", {}).get("log") if type(record) is dict else None
        if type(record.get("properties") if type(record) is dict else None) is not dict:
            log = None
        if type(log) is str:
            try:
                log = orjson.loads(log)
            except orjson.JSONDecodeError:
                yield Skip("AKS record whose properties.log is not valid JSON")
                continue
        if type(log) is dict and _is_event(log, True):
            yield log, _text(log.get("apiVersion")), index, ""
        else:
            yield Skip("AKS record without an audit event")


def _message_events(message: str, item: int, cluster: str) -> Iterator[Found | Skip]:
    """The event a CloudWatch Logs message holds (the apiserver's JSON line), as item ``item``;
    a message that holds none is skipped for the reason its line would be."""
    if message[:1] == "{":
        try:
            parsed = orjson.loads(message)
        except orjson.JSONDecodeError:
            yield Skip("invalid JSON" if message.rstrip().endswith("}") else "truncated JSON")
            return
        if type(parsed) is dict and _is_event(parsed, False):
            yield parsed, _text(parsed.get("apiVersion")), item, cluster
            return
        found = next(events_in(parsed))
        yield found if isinstance(found, Skip) else Skip("CloudWatch Logs message of many events")
        return
    line = message.encode()
    event = legacy.to_event_dict(line) if legacy.is_legacy(line) else None
    if event is not None:
        yield event, "", item, cluster
    else:
        yield Skip("not JSON or a legacy audit line")


@functools.cache
def _yaml_loader() -> type:
    """Safe YAML without implicit timestamps: times stay the text they were written as. Built
    on first use: importing PyYAML costs start-up time that JSON input never needs."""
    import yaml

    class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    YamlLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return YamlLoader


def load_yaml(text: bytes) -> object:
    """One YAML document (``gcloud logging read`` output) as JSON-like values.

    Raises:
        ValueError: not valid YAML (a :class:`yaml.YAMLError` is re-raised as one).
    """
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None


def load_record(record: bytes) -> object:
    """A raw multi-event record (a JSON document, a YAML document, or base64 text of a
    gzip CloudWatch Logs payload), parsed."""
    if cloudwatch.is_base64_gzip(record):
        return cloudwatch.load_base64(record)
    try:
        return orjson.loads(record)
    except orjson.JSONDecodeError:
        if record.lstrip()[:1] in (b"{", b"["):
            raise
        return load_yaml(record)


def _found(record: bytes, item: int) -> tuple[object, Found]:
    return _find(load_record(record), item)


def _find(parsed: object, item: int) -> tuple[object, Found]:
    for found in events_in(parsed):
        if not isinstance(found, Skip) and found[2] == item:
            return parsed, found
    raise LookupError(f"event {item} not found in record")


def event_json(record: bytes, item: int) -> bytes:
    """The JSON text of one event, from the raw record it was indexed from.

    A JSON-line event is returned exactly as read; an event inside a document is re-serialised
    compactly; a legacy text line becomes the equivalent v1-shaped JSON; a GKE entry becomes the
    v1 Event it logs; a CloudWatch Logs message is the apiserver's line as it was logged.
    """
    if item == -1:
        if record.lstrip()[:1] == b"{":
            # A pretty-printed document is re-serialised so that output stays one line per event.
            return record if b"\n" not in record else orjson.dumps(orjson.loads(record))
        event = legacy.to_event_dict(record)
        return orjson.dumps(event) if event is not None else record
    parsed = load_record(record)
    message = cloudwatch.message_of(parsed, item)
    if message is not None and message[:1] == "{" and "\n" not in message:
        return message.encode()
    return orjson.dumps(_find(parsed, item)[1][0])


def original_json(record: bytes, item: int) -> bytes:
    """What to show as the event as it was logged: :func:`event_json`, except for a GKE entry,
    which is shown whole (as JSON, also when it was read as YAML)."""
    if item == -1:
        return event_json(record, item)
    parsed, found = _found(record, item)
    if type(parsed) is dict and gke.is_log_entry(parsed):
        return orjson.dumps(parsed)
    return orjson.dumps(found[0])
