"""Hypothesis strategies for hostile input: events, mutated lines, queries and policies.

Lines are built with the standard library's JSON encoder (it writes integers of any size and,
with ``ensure_ascii=False``, raw bidi overrides and other non-ASCII text) and then mutated as
bytes, so the decoder sees what a broken writer, a truncated file or an attacker could produce.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.events import audit_event

HOSTILE_CHARS = (
    "\x1b",  # ESC: starts CSI / OSC sequences
    "\x07",  # BEL: ends an OSC sequence
    "\x00",
    "\x08",
    "\r",
    "\n",
    "\t",
    "\x7f",  # DEL
    "\x9b",  # C1 CSI
    "\x9d",  # C1 OSC
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u200b",  # ZERO WIDTH SPACE
    "\u200d",  # ZERO WIDTH JOINER
    "\ufeff",  # BYTE ORDER MARK / ZERO WIDTH NO-BREAK SPACE
    "\u2028",  # LINE SEPARATOR
    "\U000e0041",  # TAG LATIN CAPITAL LETTER A (invisible)
)
ESCAPE_SEQUENCES = (
    "\x1b[2J",  # clear screen
    "\x1b[31m",  # colour
    "\x1b[10;10H",  # cursor position
    "\x1b]52;c;aGFja2Vk\x07",  # OSC 52: write the clipboard
    "\x1b]0;title\x07",  # OSC 0: window title
    "\x1b]8;;https://example.invalid\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1bP+q\x1b\\",  # DCS request
    "\x9b6n",  # C1 CSI: cursor position report
)

hostile_text = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from(HOSTILE_CHARS) | st.characters(codec="utf-8"), max_size=12),
    st.lists(st.sampled_from(ESCAPE_SEQUENCES) | st.text(max_size=4), max_size=4).map("".join),
)
"""Strings as an attacker would put them into a user name, URI or user agent."""

TIMESTAMPS = (
    "2026-11-26T10:00:00.123456Z",
    "2026-11-26T10:00:00Z",
    "2026-11-26T10:00:00.123456789Z",
    "2026-11-26T10:00:00+02:00",
    "2026-11-26T10:00:00.5-0700",
    "2026-11-26 10:00:00",
    "2026-11-26T10:00:60Z",
    "2026-02-30T10:00:00.000000Z",
    "0000-01-01T00:00:00.000000Z",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2026-11-26T10:00:00.000000z",
    "2026-11-26T10:00:00.12345Z ",
    "+2026-11-26T10:00:00.12345Z",
    "2026-11-26T10:00:00.1234567Z",
    "2026-11-26T10:00:00.-12345Z",
    "2026-11-26T10:00:00. 12345Z",
    "2026-11-26T10:00:00.1_2345Z",
    "2026-11-26T24:00:00.000000Z",
    "-002-11-26T10:00:00.000000Z",
    "2026-11-26T10:00:00.123456",
    "Z2026-11-26T10:00:00.123456Z",
    "\u0662\u0660\u0662\u0666-11-26T10:00:00.000000Z",
    "2026-11-26T10:00:00.000000+99:99",
    "2026-11-26T10:00:00UTC",
    "1764151200",
    "",
    "Z" * 27,
)
timestamps: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(TIMESTAMPS),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
    st.text(st.sampled_from("0123456789-:T.Z+ "), max_size=30),
    st.none(),
    st.integers(),
)
"""Audit timestamps in every form found in the wild, and some that never should be."""

ODD_IDS = (
    "0000000_-0000-0000-0000-000000000000",
    "+0000000-0000-0000-0000-000000000000",
    " 0000000-0000-0000-0000-000000000000",
    "E3E70682-C209-4CAC-629F-6FBED82C07CD",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "e3e70682-c209-4cac-629f-6fbed82c07c",
    "e3e70682-c209-4cac-629f-6fbed82c07cdd",
    "\u0661e3e7068-c209-4cac-629f-6fbed82c07cd",
)
"""Audit IDs that look like UUIDs but are not canonical: they must come back unchanged."""

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)
"""Any JSON value: what a field of the wrong type holds instead."""


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed ``audit.k8s.io/v1`` event with attacker-chosen strings."""
    text = hostile_text
    fields: dict[str, Any] = {
        "level": draw(st.sampled_from(["Metadata", "Request", "RequestResponse", "None"])),
        "audit_id": draw(st.uuids().map(str) | st.sampled_from(ODD_IDS) | text),
        "stage": draw(st.sampled_from(["RequestReceived", "ResponseComplete", "Panic"]) | text),
        "uri": draw(text),
        "verb": draw(st.sampled_from(["get", "list", "create", "delete"]) | text),
        "user": draw(text),
        "groups": draw(st.lists(text, max_size=3)),
        "ips": draw(st.lists(st.ip_addresses().map(str) | text, max_size=2)),
        "agent": draw(text),
        "code": draw(st.integers(0, 999)),
        # By JSON name: a time drawn as None is logged as null, not left out.
        "requestReceivedTimestamp": draw(timestamps),
        "stageTimestamp": draw(timestamps),
        "object_ref": draw(st.booleans()),
    }
    if fields["object_ref"]:
        fields.update(
            resource=draw(text),
            namespace=draw(text),
            name=draw(text),
            api_group=draw(text),
            api_version="v1",
        )
    if draw(st.booleans()):
        fields["impersonated"] = draw(text)
    if draw(st.booleans()):
        fields["annotations"] = draw(st.dictionaries(text, text, max_size=3))
    if draw(st.booleans()):
        fields["requestObject"] = draw(json_values)  # by JSON name: None is logged as null
    return audit_event(**fields)


FIELD_PATHS = (
    ("kind",),
    ("apiVersion",),
    ("level",),
    ("auditID",),
    ("stage",),
    ("requestURI",),
    ("verb",),
    ("user",),
    ("user", "username"),
    ("user", "groups"),
    ("impersonatedUser",),
    ("sourceIPs",),
    ("userAgent",),
    ("objectRef",),
    ("objectRef", "name"),
    ("objectRef", "apiGroup"),
    ("objectRef", "apiVersion"),
    ("responseStatus",),
    ("responseStatus", "code"),
    ("requestReceivedTimestamp",),
    ("stageTimestamp",),
    ("annotations",),
    ("metadata",),
    ("timestamp",),
)


@st.composite
def wrong_typed_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one to three fields replaced by values of any type."""
    event = draw(events())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(FIELD_PATHS))
        target = event
        for key in path[:-1]:
            child = target.get(key)
            if not isinstance(child, dict):
                child = target[key] = {}
            target = child
        target[path[-1]] = draw(json_values)
    return event


def encode(event: object) -> bytes:
    """One JSON line, compact, with raw non-ASCII (and invalid UTF-8 for lone surrogates)."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def _truncate(line: bytes, data: st.DataObject) -> bytes:
    return line[: data.draw(st.integers(0, max(0, len(line) - 1)))]


def _insert(line: bytes, data: st.DataObject) -> bytes:
    at = data.draw(st.integers(0, len(line)))
    junk = data.draw(
        st.binary(min_size=1, max_size=8)
        | st.sampled_from([b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x1b[2J"])
    )
    return line[:at] + junk + line[at:]


def _duplicate_key(line: bytes, data: st.DataObject) -> bytes:
    key = data.draw(st.sampled_from(["verb", "user", "objectRef", "stageTimestamp", "auditID"]))
    value = encode(data.draw(json_values))
    return line[:1] + b'"' + key.encode() + b'":' + value + b"," + line[1:]


def _nest(line: bytes, data: st.DataObject) -> bytes:
    depth = data.draw(st.sampled_from([100, 1000, 5000, 100_000]))
    opener, closer = data.draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    return line[:1] + b'"objectRef":' + opener * depth + b"1" + closer * depth + b"," + line[1:]


HUGE_NUMBERS = (b"1" * 400, b"-" + b"9" * 30, b"1e999", b"-1e-999", b"18446744073709551616")


def _huge_number(line: bytes, data: st.DataObject) -> bytes:
    number = data.draw(st.sampled_from(HUGE_NUMBERS))
    key = data.draw(st.sampled_from([b"code", b"verb", b"stageTimestamp", b"level"]))
    return line[:1] + b'"responseStatus":{"' + key + b'":' + number + b"}," + line[1:]


MUTATIONS = {
    "truncate": _truncate,
    "insert": _insert,
    "duplicate key": _duplicate_key,
    "nest": _nest,
    "huge number": _huge_number,
}


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One line (no newline inside): a valid, wrong-typed or mutated event, or garbage."""
    kind = draw(st.sampled_from(["event", "wrong types", "mutated", "garbage", "text"]))
    if kind == "garbage":
        line = draw(st.binary(max_size=64))
    elif kind == "text":
        line = draw(hostile_text).encode("utf-8", "surrogatepass")
    else:
        event = draw(wrong_typed_events() if kind == "wrong types" else events())
        line = encode(event)
        if kind == "mutated":
            data = draw(st.data())
            mutate = MUTATIONS[draw(st.sampled_from(sorted(MUTATIONS)))]
            line = mutate(line, data)
    return line.replace(b"\n", b"\\n")


line_batches = st.lists(lines(), min_size=1, max_size=12)
"""A log: several lines, each complete or not."""
