"""Pretty-printed forms of random events through the real Ingestor, from a real file.

A pretty-printed form (``aws logs tail --format json``, awscli's ``filter-log-events`` pages,
``gcloud logging read --format=json``, documents one after another) gives the events of the
plain file it was made from; and reading its objects ahead, each found whole by its closing
line, gives exactly what reading it line by line gives (rows, offsets, lengths and skips), also
when the form is damaged. Strings hold braces, brackets, quotes, closing lines and unicode.
"""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

from kaudit_tui.core.store import EventStore
from tests.core import cloudwatch_forms as cw
from tests.events import gke_entry
from tests.hostile.indexing import indexed
from tests.hostile.strategies import events, hostile_text, wrong_typed_events

TRICKY = (
    "}", "{", "]", "[", "},", "\n}\n", "\n  },\n", "\n        }\n", '"}', '\\"}',
    '"events": [', '{"a": [1, {"b": "}"}]}', " AUDIT: ", "\u00e9\u4e2d\U0001f600", "\\u0041",
)  # fmt: skip
"""Strings that look like the layout the reader looks for (they are escaped in the JSON)."""
text = hostile_text | st.sampled_from(TRICKY)


@st.composite
def tricky_events(draw: st.DrawFn) -> dict:
    event = draw(events() | wrong_typed_events())
    if type(event.get("user")) is dict:
        event["user"]["username"] = draw(text)
    if type(event.get("objectRef")) is dict:
        event["objectRef"]["name"] = draw(text)
    event["requestObject"] = draw(st.dictionaries(text, text | st.lists(text, max_size=2)))
    return event


def plain_and_form(events_: list[dict], form: str) -> tuple[bytes, bytes]:
    """The plain file of ``events_`` (one compact line each) and the same events in ``form``."""
    lines = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in events_]
    plain = "".join(line + "\n" for line in lines).encode()
    if form == "documents":  # kubectl -o json style: one pretty document after another
        return plain, "".join(json.dumps(e, indent=2) + "\n" for e in events_).encode()
    if form.startswith("tail-json"):
        return plain, cw.tail(cw.log_events(lines), "json", form.endswith("color"))
    log_events = cw.log_events(lines)
    if form == "filter-log-events-compact":  # each log event's place found in the page
        page = [{k: e[k] for k in cw.FILTER_KEYS} for e in log_events]
        return plain, cw.compact({"events": page}) + b"\n"
    return plain, cw.pages(log_events, 2, cw.FILTER_KEYS, {"searchedLogStreams": []})


FORMS = ("tail-json", "tail-json-color", "filter-log-events", "documents")
"""The pretty-printed forms (and, below, a compact page, whose log events are read alike)."""


def rows(store: EventStore) -> list[dict]:
    return [{**store.row(r), "source": None} for r in range(store.first_id, store.next_id)]


def events_of(store: EventStore) -> list[object]:
    return [orjson.loads(store.event_json(r)) for r in range(store.first_id, store.next_id)]


@given(
    st.lists(tricky_events(), min_size=1, max_size=4),
    st.sampled_from((*FORMS, "filter-log-events-compact")),
)
def test_a_pretty_printed_form_gives_the_events_of_the_plain_file(
    events_: list[dict], form: str
) -> None:
    plain, pretty = plain_and_form(events_, form)
    with indexed(plain) as expected, indexed(pretty) as got:
        assert rows(got.store) == rows(expected.store)
        assert got.store.skips.counts == expected.store.skips.counts
        assert events_of(got.store) == events_of(expected.store)


@given(
    st.lists(
        st.builds(gke_entry, user=text, agent=text, labels=st.dictionaries(text, text)),
        min_size=1,
    )
)
def test_gcloud_json_gives_the_events_of_its_json_lines(entries: list[dict]) -> None:
    plain = b"".join(orjson.dumps(e) + b"\n" for e in entries)
    pretty = orjson.dumps(entries, option=orjson.OPT_INDENT_2) + b"\n"
    with indexed(plain) as expected, indexed(pretty) as got:
        assert rows(got.store) == rows(expected.store)
        assert got.store.skips.counts == expected.store.skips.counts
        assert events_of(got.store) == events_of(expected.store)


def locators(store: EventStore) -> list[tuple]:
    return [
        ({**store.row(r), "source": None}, int(store.column("off")[r - store.first_id]),
         int(store.column("len")[r - store.first_id]), store.raw_record(r))
        for r in range(store.first_id, store.next_id)
    ]  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A pretty-printed form with a few of its lines dropped, doubled or cut short."""
    events_ = draw(st.lists(tricky_events(), min_size=1, max_size=3))
    form = draw(st.sampled_from((*FORMS, "gcloud")))
    if form == "gcloud":
        data = orjson.dumps([gke_entry(user=draw(text))] * 2, option=orjson.OPT_INDENT_2)
        data += b"\n"
    else:
        data = plain_and_form(events_, form)[1]
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines) - 1))
        change = draw(st.sampled_from(("drop", "double", "cut")))
        if change == "drop":
            del lines[at]
        elif change == "double":
            lines.insert(at, lines[at])
        else:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
    return b"\n".join(lines)


@given(damaged(), st.sampled_from((1, 2, 7)))
def test_reading_ahead_gives_what_reading_line_by_line_gives(data: bytes, per_batch: int) -> None:
    # one line per batch is the line-by-line reader: no batch holds a line after the first
    with indexed(data, 1) as by_line, indexed(data) as whole, indexed(data, per_batch) as split:
        expected = locators(by_line.store)
        assert locators(whole.store) == expected
        assert locators(split.store) == expected
        for result in (whole, split):
            assert result.store.skips.counts == by_line.store.skips.counts
            assert result.store.skips.lines == by_line.store.skips.lines
            assert result.ingestor.lines == by_line.ingestor.lines
