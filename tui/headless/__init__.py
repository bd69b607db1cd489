"""Headless modes: ``--print`` and ``--stats`` over the same core the UI uses.

No Textual here. Sources are read to their end (or followed, with ``--follow``), every batch is
indexed, and the query selects rows. Skipped lines are summarised on stderr so that stdout
stays clean for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable

import numpy as np
import orjson

from kaudit_tui.core.parallel import ParallelIngestor
from kaudit_tui.core.sanitize import sanitize, sanitize_json
from kaudit_tui.core.stats import summary_counts
from kaudit_tui.core.store import EventStore
from kaudit_tui.sources import LineBatch, SegmentEnd, SourceError, SourceStatus, open_sources

EXIT_OK, EXIT_SOURCE, EXIT_USAGE = 0, 1, 2


def run_headless(args: argparse.Namespace, paths: list[str], query_text: str) -> int:
    from kaudit_tui.core.query import QueryError, parse_query
    from kaudit_tui.usage import UsageError

    policy = _load_policy(args.policy) if args.policy else None
    decisions = None
    extra = None
    if policy is not None:
        from kaudit_tui.core.decisions import RowDecisions, policy_fields

        decisions = RowDecisions(policy)
        extra = policy_fields(decisions)
    try:
        query = parse_query(query_text, extra_fields=extra)
    except QueryError as error:
        # The caller escapes what is not printable, so the caret counts escaped characters.
        caret = " " * len(sanitize(query_text[: error.column])) + "^"
        raise UsageError(f"bad query: {error}\n  {query_text}\n  {caret}") from None
    store = EventStore()
    follow = bool(args.follow)
    try:
        sources = open_sources(paths, follow=follow)
    except SourceError as error:
        print(f"kaudit-tui: {sanitize(str(error))}", file=sys.stderr)
        return EXIT_SOURCE
    printer = _Printer(store, query) if args.print else None

    async def session() -> int:
        # Raw text is read back through the sources' open files: report before closing them.
        try:
            code = await _ingest(sources, store, printer, follow, args.max_events)
            if printer is not None and not follow:
                printer.emit(np.arange(store.first_id, store.next_id))
            if args.stats:
                _print_stats(store, query.filter(store), args)
            if decisions is not None and (args.explain or args.policy_report):
                _print_policy(store, query.filter(store), decisions, args)
            sys.stdout.flush()
            return code
        finally:
            await sources.aclose()

    try:
        code = asyncio.run(session())
    except BrokenPipeError:
        # The reader went away (``| head``): not an error. Point stdout at /dev/null so the
        # interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    _report_skips(store)
    if store.evicted and not follow:
        kept, dropped = f"{len(store):,}", f"{store.evicted:,}"
        print(f"kaudit-tui: the output covers the newest {kept} events; {dropped} older ones "
              "were dropped (--max-events)", file=sys.stderr)  # fmt: skip
    return code


def safe_json(data: bytes) -> bytes:
    """JSON text with every character a terminal could act on written as a ``\\u`` escape.

    orjson already escapes C0 controls; this also covers DEL, C1 controls, bidi overrides and
    zero-width characters, which JSON allows raw. The meaning of the JSON does not change.
    """
    if data.isascii() and b"\x7f" not in data:
        return data
    return sanitize_json(data.decode("utf-8", "replace")).encode()


def _dumps(value: object, option: int = 0) -> bytes:
    return safe_json(orjson.dumps(value, option=option))


class _Printer:
    """Writes matching events to stdout as JSON lines, quietly stopping on a closed pipe.

    Lines go out exactly as read, except to a terminal: there, characters a terminal could
    act on are written as JSON escapes (same JSON, nothing raw reaches the screen).
    """

    def __init__(self, store: EventStore, query: object) -> None:
        self.store = store
        self.query = query
        self.out = sys.stdout.buffer
        self.to_terminal = os.isatty(self.out.fileno())

    def emit(self, candidates: np.ndarray) -> None:
        rows = self.query.filter(self.store, candidates)  # type: ignore[attr-defined]
        write = self.out.write
        for row in rows.tolist():
            line = self.store.event_json(row)
            write((safe_json(line) if self.to_terminal else line) + b"\n")
        self.out.flush()


async def _ingest(  # noqa: ANN001
    sources, store: EventStore, printer: _Printer | None, follow: bool, max_events: int | None
) -> int:
    ingestor = ParallelIngestor(store)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    stop: Callable[[], None] = lambda: task.cancel() if task else None  # noqa: E731
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    code = EXIT_OK
    try:
        async for burst in sources.bursts():
            # One thread hop per burst: merged sources deliver many short batches at once.
            rows = await asyncio.to_thread(_index_burst, ingestor, burst)
            if printer is not None and follow and len(rows):
                printer.emit(np.arange(rows.start, rows.stop))
            if max_events is not None:  # after printing: a burst larger than the cap is printed
                store.evict_to(max_events)
            for item in burst:
                if isinstance(item, SourceStatus) and item.state in ("error", "waiting"):
                    print(f"kaudit-tui: {sanitize(item.message)}", file=sys.stderr)
                    if item.state == "error" and not follow:
                        code = EXIT_SOURCE
    except asyncio.CancelledError:
        pass
    finally:
        ingestor.close()
    return code


def _index_burst(ingestor: ParallelIngestor, burst: list) -> range:
    """Index the line batches of one burst; returns the ids of the rows appended."""
    first = ingestor.store.next_id
    for item in burst:
        if isinstance(item, LineBatch):
            ingestor.feed(item.reader, item.offset, item.data)
        elif isinstance(item, SegmentEnd):
            ingestor.finish(item.reader)
    return range(first, ingestor.store.next_id)


def _load_policy(path: str):  # noqa: ANN202
    """The policy, with its warnings on stderr; a broken one is a usage error (exit 2)."""
    from kaudit_tui.usage import load_policy_file

    loaded = load_policy_file(path)
    for warning in loaded.warnings:
        print(f"kaudit-tui: warning: {sanitize(str(warning))}", file=sys.stderr)
    return loaded


def _print_policy(store: EventStore, rows: np.ndarray, decisions, args: argparse.Namespace) -> None:  # noqa: ANN001
    """``--explain`` (one JSON object per event) or ``--policy-report`` (per-rule totals)."""
    from kaudit_tui.core.policy import PolicyReport, explain_record

    out = sys.stdout.buffer
    report = PolicyReport(decisions.policy.policy)
    for row in rows.tolist():
        decision = decisions.decision(store, row)
        stage = str(store.field_value(row, "stage")) or None
        if args.explain:
            record = explain_record(decision, store.row(row)["id"], stage)
            out.write(_dumps(record) + b"\n")
        if args.policy_report:
            report.add_event(decision, stage or "", store.event_json(row))
    if args.policy_report:
        if args.json:
            out.write(_dumps(report.to_json(), orjson.OPT_INDENT_2) + b"\n")
        else:
            out.write(report.to_text().encode() + b"\n")


def _print_stats(store: EventStore, rows: np.ndarray, args: argparse.Namespace) -> None:
    counts = summary_counts(store, rows, args.top)
    if args.json:
        payload = {
            "events": int(len(rows)),
            "total": len(store),
            "skipped": store.skips.lines,
            "dropped": store.evicted,
            "fields": {f: [{"value": v, "count": c} for v, c in top] for f, top in counts.items()},
        }
        sys.stdout.buffer.write(_dumps(payload, orjson.OPT_INDENT_2) + b"\n")
        return
    dropped = f", {store.evicted:,} dropped by --max-events" if store.evicted else ""
    lines = [
        f"{len(rows):,} / {len(store):,} events ({store.skips.lines:,} lines skipped{dropped})"
    ]
    for field, top in counts.items():
        lines.append(f"\n{field}")
        for value, count in top:
            lines.append(f"  {count:>10,}  {sanitize(str(value)) if value != '' else '(none)'}")
    print("\n".join(lines))


def _report_skips(store: EventStore) -> None:
    skips = store.skips
    if not skips.total:
        return
    reasons = ", ".join(f"{n:,} {sanitize(reason)}" for reason, n in skips.counts.most_common())
    print(f"kaudit-tui: skipped {skips.lines:,} lines that held no audit event: {reasons}",
          file=sys.stderr)  # fmt: skip
