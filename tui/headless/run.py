"""One headless session: parse the query, load the policy, open the sources, run the pipeline
to the end (or until Ctrl-C when following), then write the outputs asked for."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable

import numpy as np

from kaudit_tui.core.query import FieldTerm, Query, QueryError, parse_query
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.pipeline import Pipeline
from kaudit_tui.sources import SourceError, SourceSet, open_sources
from kaudit_tui.usage import EXIT_OK, EXIT_SOURCE, UsageError

from .notices import StatusNotices, report_dropped, report_skips
from .policy import load_policy, print_policy
from .printing import Printer
from .stats import print_stats


def run_headless(args: argparse.Namespace, paths: list[str], query_text: str) -> int:
    """Run the modes ``args`` asks for over ``paths``; the exit code."""
    decisions = None
    extra = {}
    if args.policy:
        from kaudit_tui.core.decisions import RowDecisions, policy_fields

        decisions = RowDecisions(load_policy(args.policy))
        extra = policy_fields(decisions)
    store = EventStore()
    rule_paths = getattr(args, "rules", None) or []
    default_rules = not getattr(args, "no_default_rules", False)
    ruleset = None
    if rule_paths or getattr(args, "alerts", False):
        from .alerts import load_ruleset  # here: the rule engine is heavy to import

        ruleset = load_ruleset(rule_paths, default_rules)
    row_alerts = None
    asks_alerts = any(name in query_text.lower() for name in ("alert", "priority"))
    if ruleset is not None or (default_rules and asks_alerts):
        # The query may ask for alerts (alert:NAME, priority:warning). The built-in rules load
        # only when it may: start-up stays quick.
        from kaudit_tui.core.alerts import RowAlerts, alert_fields

        from .alerts import load_ruleset

        def current() -> RowAlerts:
            nonlocal row_alerts
            if row_alerts is None:
                row_alerts = RowAlerts(ruleset or load_ruleset([]), store)
            return row_alerts

        extra = {**extra, **alert_fields(current)}
    try:
        query = parse_query(query_text, extra_fields=extra)
    except QueryError as error:
        # The caller escapes what is not printable, so the caret counts escaped characters.
        caret = " " * len(sanitize(query_text[: error.column])) + "^"
        raise UsageError(f"bad query: {error}\n  {query_text}\n  {caret}") from None
    follow = bool(args.follow)
    try:
        sources = open_sources(paths, follow=follow)
    except SourceError as error:
        print(f"kaudit-tui: {sanitize(str(error))}", file=sys.stderr)
        return EXIT_SOURCE
    printer = Printer(store) if args.print else None
    alerts = None
    if ruleset is not None and getattr(args, "alerts", False):
        # A query that asked for alerts has every row's already: write those, scan no more.
        from kaudit_tui.core.alerts import uses_alert_fields

        from .alerts import AlertWriter

        asked = current() if uses_alert_fields(query.fields) else None
        alerts = AlertWriter(store, ruleset, asked, hold=not follow and args.max_events is None)
    writers = [writer.write for writer in (printer, alerts) if writer is not None]
    # ``--print`` streams: each burst's matches are written as soon as it is indexed, in the
    # store's order (file order, or the merge's time order for several sources), so the
    # output is the same as printing at the end. A one-shot query with relative times
    # (``since:15m``) counts back from the newest event of the whole input, which is known only
    # at the end: then the pipeline only indexes and the query is applied once, at the end.
    streaming = bool(writers) and (follow or not counts_from_newest(query))
    pipeline = Pipeline(
        store,
        query if streaming else None,
        max_events=args.max_events,
        deliver=_each(writers) if streaming else None,
    )
    notices = StatusNotices(follow)
    pipeline.on_status = notices
    policy_output = decisions is not None and (args.explain or args.policy_report)

    async def session() -> int:
        # Raw text is read back through the sources' open files: write before closing them.
        try:
            await _ingest_until_stopped(pipeline, sources)
            pipeline.close()
            history = getattr(args, "history", None) is not None
            if not streaming or args.stats or policy_output or args.rbac_for is not None or history:
                await pipeline.apply(query)
            rows = pipeline.rows
            if not streaming:
                for write in writers:
                    write(rows)
            if alerts is not None:
                alerts.finish()
            if args.stats:
                # Beside --print/--alerts, stdout is JSON lines only (``| jq``): counts to stderr.
                stream = sys.stderr if writers else sys.stdout
                print_stats(store, rows, top=args.top, as_json=args.json, stream=stream)
            if args.rbac_for is not None:
                from .rbac import print_rbac  # on use: PyYAML costs start-up time

                print_rbac(store, rows, args)
            if history:
                from .history import print_history  # on use: diffs and patches cost start-up

                print_history(store, rows, args, decisions.policy if decisions else None)
            if policy_output:
                assert decisions is not None
                print_policy(
                    store,
                    rows,
                    decisions,
                    explain=args.explain,
                    report=args.policy_report,
                    as_json=args.json,
                )
            sys.stdout.flush()
            return notices.code
        finally:
            pipeline.close()
            await sources.aclose()

    try:
        code = asyncio.run(session())
    except BrokenPipeError:
        # The reader went away (``| head``): not an error. Point stdout at /dev/null so the
        # interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    report_skips(store)
    if not follow:
        # Streamed ``--print`` output holds every matching event; other outputs only the kept.
        others = bool(args.stats or policy_output or args.rbac_for is not None)
        others = others or getattr(args, "history", None) is not None
        report_dropped(store, printed_all=streaming, others=others)
    return code


def _each(writers: list[Callable[[np.ndarray], None]]) -> Callable[[np.ndarray], None]:
    """One delivery callback calling every writer (``--print`` lines, then ``--alerts``)."""
    if len(writers) == 1:
        return writers[0]

    def deliver(rows: np.ndarray) -> None:
        for write in writers:
            write(rows)

    return deliver


def counts_from_newest(query: Query) -> bool:
    """Whether ``query`` has a relative time bound (``since:15m``, ``until:1h``)."""
    return any(
        isinstance(term, FieldTerm)
        and term.field in ("since", "until")
        and any(getattr(value, "relative", False) for value in term.values)
        for term in query.terms
    )


async def _ingest_until_stopped(pipeline: Pipeline, sources: SourceSet) -> None:
    """Run the pipeline until the sources end, or until SIGINT/SIGTERM (then quietly).

    With a receiver among the sources (``--listen``) the first signal ends the run
    gracefully: the receiver stops taking requests and everything it acknowledged is still
    indexed and written; a second signal stops at once.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(pipeline.ingest(sources))
    signalled = False

    def stop() -> None:
        nonlocal signalled
        if signalled or not sources.finish():
            task.cancel()
        signalled = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the session itself is being cancelled, not just the reading
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
