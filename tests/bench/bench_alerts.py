"""What detections add on top of the rules engine: keeping each event's alerts and querying them.

Run on demand (not part of the test suite)::

    python tests/bench/bench_alerts.py            # 200,000 generated events
    python tests/bench/bench_alerts.py 1000000

Generates a log (``generate.py``), indexes it, then with the community ``k8s_audit`` rules plus
a few rules that fire often on it (so that many events carry alerts): the engine's bare scan of
every row, the same through ``RowAlerts`` (the scan plus interning each event's set of rules
into its row code), then the ``alert:``/``priority:`` queries and the findings panel's summary
over every row once scanned. The scans alternate and the best of two is kept (single runs
vary by half on a shared machine); medians of 5 for the queries and the summary.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kaudit_tui.core.alerts import RowAlerts, alert_fields  # noqa: E402
from kaudit_tui.core.detect import Ruleset  # noqa: E402
from kaudit_tui.core.ingest import Ingestor  # noqa: E402
from kaudit_tui.core.query import parse_query  # noqa: E402
from kaudit_tui.core.segments import FileReader  # noqa: E402
from kaudit_tui.core.store import EventStore  # noqa: E402
from tests.bench.generate import write  # noqa: E402

COMMUNITY = ROOT / "tests" / "data" / "rules" / "falco-k8s_audit_rules.yaml"
BUSY = """
- rule: Denied request
  desc: a request refused by authorization
  condition: ka.response.code = 403
  output: denied %ka.verb %ka.target.resource for %ka.user.name
  priority: NOTICE
  source: k8s_audit
- rule: Server error
  desc: a request that failed in the apiserver
  condition: ka.response.code = 500
  output: error on %ka.verb %ka.target.resource
  priority: ERROR
  source: k8s_audit
- rule: Delete by a service account
  desc: deletions by service accounts
  condition: ka.verb = delete and ka.user.name startswith "system:serviceaccount:"
  output: delete %ka.target.resource/%ka.target.name by %ka.user.name
  priority: WARNING
  source: k8s_audit
"""
QUERIES = ["alert:any", "alert:none", "priority:>=warning", "alert:*denied*", "-alert:any verb:get"]
CHUNK = 1 << 20


def indexed(count: int) -> EventStore:
    fd, path = tempfile.mkstemp(suffix=".log")
    os.close(fd)
    write(count, path)
    store = EventStore()
    ingestor = Ingestor(store)
    reader = FileReader(path)
    data = Path(path).read_bytes()
    offset = 0
    while offset < len(data):
        end = data.rfind(b"\n", offset, offset + CHUNK) + 1 or len(data)
        ingestor.feed(reader, offset, data[offset:end])
        offset = end
    ingestor.finish(reader)
    return store


def median_ms(function, repeats: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    store = indexed(count)
    ruleset = Ruleset.from_text(COMMUNITY.read_text(), BUSY)
    rows = np.arange(store.first_id, store.next_id, dtype=np.int64)
    print(f"{len(store):,} events, {len(ruleset.rules)} rules")

    def bare_scan() -> float:
        start = time.perf_counter()
        ruleset.scanner(store).scan(rows)
        return time.perf_counter() - start

    def kept_scan() -> tuple[float, RowAlerts]:
        row_alerts = RowAlerts(ruleset, store)
        start = time.perf_counter()
        row_alerts.catch_up()
        return time.perf_counter() - start, row_alerts

    # alternated, the best of two each: on a shared machine single runs vary by half
    bare = bare_scan()  # also warms the page cache the events are read back from
    kept, row_alerts = kept_scan()
    bare = min(bare, bare_scan())
    kept = min(kept, kept_scan()[0])
    codes = row_alerts.codes_now(rows)
    print(f"engine scan alone: {bare:.2f} s; kept as row codes: {kept:.2f} s "
          f"({(kept - bare) / bare:+.1%}); {int((codes != 0).sum()):,} events fire a rule, "
          f"{len(row_alerts.sets)} distinct sets, {codes.nbytes:,} bytes")  # fmt: skip

    fields = alert_fields(lambda: row_alerts)
    for text in QUERIES:
        query = parse_query(text, extra_fields=fields)
        matches = len(query.filter(store))
        took = median_ms(lambda q=query: q.filter(store))
        print(f"{text:<24} {matches:>9,} matches  {took:7.1f} ms")
    summary = median_ms(lambda: row_alerts.findings(rows))
    print(f"findings summary over every row: {summary:.1f} ms "
          f"({len(row_alerts.findings(rows))} rules fired)")  # fmt: skip


if __name__ == "__main__":
    main()
