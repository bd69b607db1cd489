"""``--alerts`` formats alerts many rows at a time (:class:`AlertRenderer`): every line must be
byte for byte the JSON of the alert the plain per-event path gives (``Scanner.alerts``, then
``Alert.to_json``), whatever the events hold.

The plain path runs over the sample logs (the Falco trace files among them) with the built-in
and community rules, and over generated events with hostile strings against rules whose
outputs use every kind of field: list fields, widths, the time, transformers, braces and
quotes in the literal text.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaudit_tui.core.detect import Ruleset, load_rules, load_rules_text
from kaudit_tui.core.detect.defaults import DEFAULT_RULES
from kaudit_tui.core.detect.render import AlertRenderer
from tests.conftest import DATA, LOGS, index_files
from tests.events import audit_event

COMMUNITY = DATA / "rules" / "falco-k8s_audit_rules.yaml"

OUTPUTS = """
- rule: Every field
  desc: d
  condition: ka.verb exists or not ka.verb exists
  output: >-
    {x} "q" \\ user=%ka.user.name groups=%ka.user.groups verb=%ka.verb
    target=%ka.target.name/%ka.target.resource ns=%ka.target.namespace uri=%ka.uri
    resp=%ka.response.code reason=%ka.response.reason agent=%ka.useragent ip=%ka.sourceips
    id=%ka.auditid images=%ka.req.pod.containers.image lower=%tolower(ka.user.name)
    ptr=%json.value[/objectRef/name] %jevt.value[/annotations/a~1b] stage=%ka.stage
  priority: WARNING
  source: k8s_audit
  tags: [t1, "t\\"2"]
- rule: Times and widths
  desc: d
  condition: ka.verb exists or not ka.verb exists
  output: "%evt.time [%5ka.verb] %12ka.user.name %evt.rawtime %jevt.rawtime %len(ka.uri) }{"
  priority: NOTICE
  source: k8s_audit
- rule: Raw time only
  desc: d
  condition: ka.verb exists or not ka.verb exists
  output: at %evt.rawtime by %ka.user.name
  priority: DEBUG
  source: k8s_audit
"""


@functools.cache
def _community() -> Ruleset:
    return Ruleset(load_rules([str(DEFAULT_RULES), str(COMMUNITY)]))


def plain_and_fast(path: Path, ruleset: Ruleset) -> tuple[list[bytes], list[bytes]]:
    """The alert lines of every event of the log at ``path``, both ways, over the rows the
    scanner says fire, in batches as the pipeline delivers them."""
    store = index_files(path)
    scanner = ruleset.scanner(store)
    renderer = AlertRenderer(ruleset, store)
    plain: list[bytes] = []
    fast: list[bytes] = []
    rows = np.arange(store.first_id, store.next_id)
    for start in range(0, len(rows), 7):
        fired = scanner.scan(rows[start : start + 7])
        for row, hits in fired:
            plain += [orjson.dumps(alert.to_json()) for alert in scanner.alerts(row, hits)]
        fast += renderer.lines(fired)
    return plain, fast


@pytest.mark.parametrize(
    "log", sorted(p for p in LOGS.iterdir() if p.suffix != ".md"), ids=lambda path: path.name
)
def test_sample_logs_give_the_same_alert_lines_as_the_plain_path(log: Path) -> None:
    plain, fast = plain_and_fast(log, _community())
    assert fast == plain


def test_the_falco_trace_files_fire_alerts_rendered_alike() -> None:
    plain, fast = plain_and_fast(LOGS / "falco-k8s-audit-trace-files.jsonl", _community())
    assert len(plain) > 20
    assert fast == plain


HOSTILE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "\x1b[31mred",
            "a\u202eb",
            "{}",
            "{0}",
            "%ka.verb",
            '"',
            "\\",
            "<NA>",
            "\u200b",
            "\x7f",
            "\ud7ff",
            "é",
        ]
    ),
)
ODD = st.one_of(HOSTILE, st.sampled_from([None, 7, 1.5, True, {"a": 1}, ["x", 1], ""]))
STAMPS = st.one_of(
    st.sampled_from(
        ["2026-11-26T10:00:00.123456Z", "2026-11-26T23:59:59Z", "1970-01-01T00:00:00Z", None]
    ),
    ODD,
)


@st.composite
def events(draw: st.DrawFn) -> dict:
    event = audit_event(
        audit_id=draw(st.one_of(st.uuids().map(str), ODD)),
        user=draw(ODD),
        verb=draw(ODD),
        uri=draw(ODD),
        resource=draw(ODD),
        namespace=draw(ODD),
        name=draw(ODD),
        code=draw(st.one_of(st.integers(-5, 1200), st.none())),
        agent=draw(ODD),
        groups=draw(st.lists(HOSTILE, max_size=3)),
        stage_time=draw(STAMPS),
        received=draw(STAMPS),
        annotations=draw(st.one_of(st.none(), st.dictionaries(HOSTILE, HOSTILE, max_size=2))),
        object_ref=draw(st.booleans()),
        request_object=draw(
            st.one_of(
                st.none(),
                st.builds(
                    lambda images: {"spec": {"containers": [{"image": i} for i in images]}},
                    st.lists(HOSTILE, max_size=2),
                ),
            )
        ),
    )
    if draw(st.booleans()):
        event["responseStatus"] = {"code": draw(ODD), "reason": draw(ODD)}
    if draw(st.integers(0, 9)) == 0:
        event.pop("auditID", None)
    return event


@given(st.lists(events(), min_size=1, max_size=12))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_generated_events_with_hostile_strings_render_alike(tmp_path: Path, batch: list) -> None:
    path = tmp_path / "audit.log"
    lines = [orjson.dumps(event) for event in batch]
    lines.insert(len(lines) // 2, b'{"not": "an audit event"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    ruleset = Ruleset(load_rules_text(OUTPUTS))
    plain, fast = plain_and_fast(path, ruleset)
    assert len(plain) >= 3 * len(batch)
    assert fast == plain
    plain, fast = plain_and_fast(path, _community())
    assert fast == plain
