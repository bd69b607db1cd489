"""``--stats`` and the facets panel answer one question with the same numbers and labels."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import orjson

from kaudit_tui.core.ingest import Ingestor
from kaudit_tui.core.query import parse_query
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from kaudit_tui.view.derived import facet_counts
from tests.conftest import LOGS

FALCO = LOGS / "falco-k8s-audit-trace-files.jsonl"


def stats_json(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", "--stats", "--json", *args],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


def indexed(path) -> EventStore:  # noqa: ANN001
    store = EventStore()
    ingestor = Ingestor(store)
    reader = FileReader(str(path))
    data = path.read_bytes()
    ingestor.feed(reader, 0, data)
    ingestor.finish(reader)
    return store


def test_stats_counts_resource_with_its_subresource() -> None:
    events = [orjson.loads(line) for line in FALCO.read_bytes().splitlines()]

    def label(event: dict) -> str:
        ref = event.get("objectRef") or {}
        resource, sub = ref.get("resource", ""), ref.get("subresource", "")
        return f"{resource}/{sub}" if sub else resource

    expected = Counter(label(e) for e in events)
    assert any("/" in key for key in expected)  # the log has subresources to tell apart
    stats = stats_json("--top", "1000", str(FALCO))
    counted = {entry["value"]: entry["count"] for entry in stats["fields"]["resource"]}
    assert counted == dict(expected)


def test_stats_and_facets_agree() -> None:
    store = indexed(FALCO)
    for query in ("", "-verb:get", "resource:pods/*"):
        rows = parse_query(query).filter(store)
        facets = facet_counts(store, rows, top=8)
        stats = stats_json("--top", "8", "-q", query, str(FALCO))
        as_stats = {f: [[v, c] for v, c in top] for f, top in facets.items()}
        assert {
            f: [[e["value"], e["count"]] for e in top] for f, top in stats["fields"].items()
        } == as_stats
