"""Inputs the property tests found to break indexing, kept as plain examples.

Each one once raised out of the Ingestor, lost lines, or gave an event different fields
depending on how its batch was cut.
"""

from __future__ import annotations

import orjson
import pytest

from kaudit_tui.core.query import QueryError, parse_query
from tests.events import audit_event
from tests.hostile.indexing import indexed

EVENT = audit_event(
    audit_id="e3e70682-c209-4cac-629f-6fbed82c07cd",
    verb="list",
    ips=None,
    agent=None,
    object_ref=False,
    responseStatus={"code": 200},
)
LINE = orjson.dumps(EVENT)


def line(**changes: object) -> bytes:
    return orjson.dumps({**EVENT, **changes})


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (LINE.replace(b'"level"', b'"\x80level"'), None),
        (LINE.replace(b'"list"', b'"\x80list"'), "invalid UTF-8"),
        (LINE[:1] + b'"objectRef":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"," + LINE[1:],
         "JSON nested too deeply"),
        (line(responseStatus={"code": "\u00b2"}), None),
        (LINE.replace(b'"alice"', b'"\x80alice"'), "invalid UTF-8"),
        (LINE[:-1] + b',"userAgent":' + b"[" * 5000 + b"]" * 5000 + b"}",
         "JSON nested too deeply"),
    ],
    ids=["not UTF-8 in a key", "not UTF-8 in a value", "nesting 5000 deep", "superscript code",
         "not UTF-8 in a user name", "nesting 5000 deep in a client field"],
)  # fmt: skip
def test_lines_that_once_raised_are_indexed_or_skipped(content: bytes, reason: str | None) -> None:
    with indexed(content + b"\n" + LINE + b"\n") as result:
        store = result.store
        assert len(store) == (2 if reason is None else 1)
        assert dict(store.skips.counts) == ({} if reason is None else {reason: 1})


@pytest.mark.parametrize("between", [b"", b"\n", b"I1126 klog line\n", b"  \n\n"])
def test_a_truncated_line_does_not_swallow_the_events_after_it(between: bytes) -> None:
    cut = LINE[: LINE.index(b'"level"')]  # ends with ',': looks like a document opening
    events = b"".join(line(auditID=f"id-{n}") + b"\n" for n in range(50))
    data = cut + b"\n" + between + events
    with indexed(data) as result:
        store = result.store
        assert [store.row(r)["id"] for r in range(len(store))] == [f"id-{n}" for n in range(50)]
        assert len(store) + store.skips.lines == data.count(b"\n")


def test_a_followed_file_cut_mid_document_resumes_at_the_next_event_line() -> None:
    pretty = orjson.dumps(EVENT, option=orjson.OPT_INDENT_2).split(b"\n")
    data = b"\n".join(pretty[:5]) + b"\n" + LINE + b"\n"
    with indexed(data) as result:
        assert len(result.store) == 1
        assert dict(result.store.skips.counts) == {"truncated JSON document": 1}
        assert result.store.skips.lines == 5


@pytest.mark.parametrize("document", [b'{"kind":"EventList","items":[]}', b'{"records":[]}'])
def test_an_empty_document_is_counted_as_skipped(document: bytes) -> None:
    with indexed(document + b"\n") as result:
        assert len(result.store) == 0 and result.store.skips.lines == 1


@pytest.mark.parametrize(
    "odd",
    [
        "+2026-11-26T10:00:00.12345Z",
        "0000-01-01T00:00:00.000000Z",
        " 026-11-26T10:00:00.123456Z",
        "2026-11-26T10:00:00.12345 Z",
        "Z2026-11-26T10:00:00.123456Z",
    ],
)
def test_a_timestamp_reads_the_same_whatever_else_is_in_its_batch(odd: str) -> None:
    """Batches of kube-apiserver's own times are parsed in one go, others one by one."""
    alone = line(stageTimestamp=odd) + b"\n"
    after_canonical = line() + b"\n" + alone
    after_missing = line(stageTimestamp=None, requestReceivedTimestamp=None) + b"\n" + alone
    after_short = line(stageTimestamp="2026-11-26T10:00:00.123456") + b"\n" + alone
    times = set()
    for data in (alone, after_canonical, after_missing, after_short):
        with indexed(data) as result:
            times.add(result.store.row(len(result.store) - 1)["ts"])
    assert len(times) == 1


@pytest.mark.parametrize(
    "audit_id",
    [
        "0000000_-0000-0000-0000-000000000000",
        "e3e70682-c209-4cac-629f-6fbed82c07c",
        " 3e70682-c209-4cac-629f-6fbed82c07cd",
        "E3E70682-C209-4CAC-629F-6FBED82C07CD",
    ],
)
def test_audit_ids_that_only_look_like_uuids_come_back_unchanged(audit_id: str) -> None:
    data = line(auditID=audit_id) + b"\n" + LINE + b"\n"
    with indexed(data) as together, indexed(data, lines_per_batch=1) as alone:
        assert together.store.row(0)["id"] == alone.store.row(0)["id"] == audit_id


def test_a_lone_surrogate_in_a_query_is_reported_where_it_is() -> None:
    for text in ("user:a\ud800", "/\udc80/", "x \ud800", 'uri:"\ud800"'):
        with pytest.raises(QueryError) as caught:
            parse_query(text)
        assert text[caught.value.column] in "\ud800\udc80"
