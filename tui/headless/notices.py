"""What the headless modes say on stderr: source problems, skipped lines, dropped events.

stdout stays the output proper; everything here is escaped for a terminal.
"""

from __future__ import annotations

import sys

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.sources import SourceStatus
from kaudit_tui.usage import EXIT_OK, EXIT_SOURCE


class StatusNotices:
    """Prints ``error`` and ``waiting`` states; an error ends a one-shot run with exit 1."""

    def __init__(self, follow: bool) -> None:
        self.follow = follow
        self.code = EXIT_OK

    def __call__(self, status: SourceStatus) -> None:
        if status.state in ("error", "waiting"):
            print(f"kaudit-tui: {sanitize(status.message)}", file=sys.stderr)
            if status.state == "error" and not self.follow:
                self.code = EXIT_SOURCE


def report_skips(store: EventStore) -> None:
    """Lines that held no audit event, counted by reason."""
    skips = store.skips
    if not skips.total:
        return
    reasons = ", ".join(f"{n:,} {sanitize(reason)}" for reason, n in skips.counts.most_common())
    print(f"kaudit-tui: skipped {skips.lines:,} lines that held no audit event: {reasons}",
          file=sys.stderr)  # fmt: skip


def report_dropped(store: EventStore, *, printed_all: bool = False, others: bool = True) -> None:
    """That ``--max-events`` left only the newest events for the output.

    ``printed_all``: ``--print`` streamed every matching event before any was dropped, so only
    the ``others`` (``--stats``, ``--explain``, ``--policy-report``) are limited.
    """
    if not store.evicted or (printed_all and not others):
        return
    kept, dropped = f"{len(store):,}", f"{store.evicted:,}"
    what = (
        "--print wrote every matching event; the other outputs cover"
        if printed_all
        else ("the output covers")
    )
    print(f"kaudit-tui: {what} the newest {kept} events; {dropped} older ones were dropped "
          "(--max-events)", file=sys.stderr)  # fmt: skip
