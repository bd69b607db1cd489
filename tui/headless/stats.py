"""``--stats``: counts of matching events by field, as text or ``--json``.

The counts come from :func:`kaudit_tui.core.stats.summary_counts`, as the facets panel's do:
same fields, same labels (``resource`` per ``resource/subresource``), same numbers. When the
matching events include impersonated requests, an ``as`` section (``fields.as`` in JSON) counts
the users they acted as, after ``user``.
"""

from __future__ import annotations

import sys
from typing import TextIO

import numpy as np
import orjson

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.stats import summary_counts
from kaudit_tui.core.store import EventStore

from .printing import dumps


def print_stats(
    store: EventStore, rows: np.ndarray, *, top: int, as_json: bool, stream: TextIO | None = None
) -> None:
    """The counts over ``rows`` on ``stream`` (stdout by default; stderr beside ``--print``,
    so that stdout stays JSON lines only)."""
    stream = stream if stream is not None else sys.stdout
    counts = summary_counts(store, rows, top)
    if as_json:
        payload = {
            "events": int(len(rows)),
            "total": len(store),
            "skipped": store.skips.lines,
            "dropped": store.evicted,
            "fields": {f: [{"value": v, "count": c} for v, c in top] for f, top in counts.items()},
        }
        stream.flush()
        stream.buffer.write(dumps(payload, orjson.OPT_INDENT_2) + b"\n")
        stream.buffer.flush()
        return
    dropped = f", {store.evicted:,} dropped by --max-events" if store.evicted else ""
    lines = [
        f"{len(rows):,} / {len(store):,} events ({store.skips.lines:,} lines skipped{dropped})"
    ]
    for field, values in counts.items():
        lines.append(f"\n{field}")
        for value, count in values:
            lines.append(f"  {count:>10,}  {sanitize(str(value)) if value != '' else '(none)'}")
    print("\n".join(lines), file=stream, flush=True)
