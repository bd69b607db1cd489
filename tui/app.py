"""KauditApp: the terminal UI. Owns the store and the current view, wires widgets to them.

Data flows one way: the ingest worker feeds the :class:`LiveView` (store + view), a timer
pushes the view to the widgets at most ten times a second, and widgets report what the user did
with messages; filters, facets and the histogram are computed in worker threads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Iterable
from pathlib import Path

import numpy as np
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from kaudit_tui.core.query import QueryError, parse_query
from kaudit_tui.core.requests import request_rows
from kaudit_tui.core.store import EventStore
from kaudit_tui.derived import facet_counts, time_histogram
from kaudit_tui.live import LiveView
from kaudit_tui.messages import AddQueryTerm, NarrowTime, ShowRow
from kaudit_tui.screens.detail import DetailScreen
from kaudit_tui.screens.export import ExportScreen, export_rows
from kaudit_tui.screens.help import HelpScreen
from kaudit_tui.screens.skipped import SkippedScreen
from kaudit_tui.theming import (
    DEFAULT_THEME,
    THEME_VARIABLE_DEFAULTS,
    bundled_dir,
    load_themes,
    user_dir,
)
from kaudit_tui.widgets.column_header import ColumnHeader
from kaudit_tui.widgets.event_table import EventTable
from kaudit_tui.widgets.facets import FacetsPanel
from kaudit_tui.widgets.histogram import TimeHistogram
from kaudit_tui.widgets.query_bar import QueryBar
from kaudit_tui.widgets.query_text import with_fields_replaced, with_term
from kaudit_tui.widgets.status_bar import StatusBar, StatusInfo

UPDATE_INTERVAL = 0.1
"""Seconds between UI updates while events stream in (~10 redraws a second)."""
DERIVED_INTERVAL = 0.5
"""Seconds between recomputations of facets, histogram, find marks and requests."""


class KauditApp(App[int]):
    """The audit log viewer.

    Args:
        sources: what to read: a ``SourceSet`` (or any async iterable of source items with
            an ``aclose`` coroutine); None shows an empty view.
        query: the initial filter text.
        theme: theme name (bundled, user or built-in); None picks ``kaudit-dark``.
        show_secrets: show secret payloads unmasked in the detail view and copies.
        theme_dirs: where to look for theme files (default: bundled, then the user's).
        max_events: keep at most this many events (oldest dropped first).
    """

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "kaudit-tui"
    BINDINGS = [
        Binding("slash", "focus_query('filter')", "Filter"),
        Binding("s", "focus_query('find')", "Find"),
        Binding("n", "find_next(1)", "Next match", show=False),
        Binding("N", "find_next(-1)", "Previous match", show=False),
        Binding("f", "toggle_follow", "Follow"),
        Binding("c", "toggle_panel('facets')", "Facets"),
        Binding("h", "toggle_panel('histogram')", "Histogram"),
        Binding("r", "toggle_requests", "Requests"),
        Binding("e", "export", "Export"),
        Binding("exclamation_mark", "skipped", "Skipped", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        sources: AsyncIterable[object] | None = None,
        *,
        query: str = "",
        theme: str | None = None,
        show_secrets: bool = False,
        theme_dirs: Iterable[Path] | None = None,
        max_events: int | None = None,
    ) -> None:
        super().__init__()
        self.store = EventStore()
        self.sources = sources
        self.initial_query = query
        self.requested_theme = theme
        self.show_secrets = show_secrets
        self.theme_dirs = list(theme_dirs) if theme_dirs is not None else None
        self.live = LiveView(self.store, parse_query(""), max_events=max_events)
        self.request_mode = False
        self.query_text = ""
        self.find_text = ""
        self.marks = np.zeros(0, dtype=np.int64)
        self.requests: np.ndarray | None = None
        self._shown = (-1, -1, False)
        self._derived_version = -1
        self._derived_at = 0.0
        self._rate = _Rate()
        self._busy = False
        self.theme_errors: list[str] = []
        self._load_themes()

    # -- setup ---------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **THEME_VARIABLE_DEFAULTS}

    def _load_themes(self) -> None:
        dirs = self.theme_dirs if self.theme_dirs is not None else [bundled_dir(), user_dir()]
        themes, self.theme_errors = load_themes(dirs)
        for theme in themes:
            self.register_theme(theme)
        wanted = self.requested_theme or DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme_errors.append(f"theme {wanted!r} not found; using {self.theme!r}")

    def compose(self) -> ComposeResult:
        yield QueryBar(self.initial_query, id="query-bar")
        with Horizontal(id="main"):
            with Vertical(id="table-pane"):
                yield ColumnHeader(id="header")
                yield EventTable(self.store, id="events")
                yield TimeHistogram(id="histogram")
            yield FacetsPanel(id="facets")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.table.focus()
        for error in self.theme_errors:
            self.notify(error, severity="warning", markup=False, timeout=8)
        if self.sources is not None:
            self._ingest()
        self.set_interval(UPDATE_INTERVAL, self._update)
        if self.initial_query:
            self._submit_filter(self.initial_query)

    @property
    def table(self) -> EventTable:
        return self.query_one("#events", EventTable)

    @property
    def bar(self) -> QueryBar:
        return self.query_one("#query-bar", QueryBar)

    # -- workers -------------------------------------------------------------------------------
    @work(group="ingest", exit_on_error=False)
    async def _ingest(self) -> None:
        assert self.sources is not None
        try:
            await self.live.ingest(self.sources)
        finally:
            closer = getattr(self.sources, "aclose", None)
            if closer is not None:
                await closer()

    @work(group="query", exclusive=True, exit_on_error=False)
    async def _apply_query(self, text: str) -> None:
        query = parse_query(text)
        self._busy = True
        try:
            await self.live.apply(query)
            self.query_text = text
        finally:
            self._busy = False
        self._update()

    @work(group="derived", exclusive=True, exit_on_error=False)
    async def _refresh_derived(self, rows: np.ndarray) -> None:
        """Facets, histogram, find marks and request rows for the view ``rows``."""
        store = self.store
        if self.find_text:
            find = parse_query(self.find_text)
            self.marks = await asyncio.to_thread(find.filter, store, rows)
            self.table.set_marks(self.marks)
        if self.request_mode:
            self.requests = await asyncio.to_thread(request_rows, store, rows)
            self._shown = (-1, -1, True)
            self._update()
        facets = self.query_one(FacetsPanel)
        if facets.display:
            facets.show_counts(await asyncio.to_thread(facet_counts, store, rows))
        histogram = self.query_one(TimeHistogram)
        if histogram.display:
            buckets = histogram.buckets
            histogram.show(await asyncio.to_thread(time_histogram, store, rows, buckets))

    # -- pushing state to widgets ---------------------------------------------------------------
    def _update(self) -> None:
        """Push the view to the table and status bar if it changed (runs ~10 times a second)."""
        live = self.live
        rows = live.rows
        if self.request_mode and self.requests is not None:
            rows = self.requests
        shown = (live.generation, live.version, self.request_mode)
        if shown != self._shown:
            replaced = shown[0] != self._shown[0] or self.request_mode or self._shown[2]
            self._shown = shown
            self.table.set_rows(rows, replaced=replaced)
            self.table.set_with_date(_spans_days(self.store, rows))
        now = time.monotonic()
        if live.version != self._derived_version and now - self._derived_at >= DERIVED_INTERVAL:
            self._derived_version, self._derived_at = live.version, now
            self._refresh_derived(live.rows)
        self.query_one(StatusBar).show(self._status(now))

    def _status(self, now: float) -> StatusInfo:
        live = self.live
        total = len(self.store)
        progress = ""
        if live.source_state() == "reading":
            fraction = live.progress.fraction
            megabytes = live.progress.bytes_read / 1e6
            percent = f" {fraction:.0%}" if fraction is not None else ""
            progress = f"indexing {megabytes:,.0f} MB{percent}"
        return StatusInfo(
            shown=len(live.rows),
            total=total,
            requests=len(self.requests)
            if self.request_mode and self.requests is not None
            else None,
            skipped=self.store.skips.total,
            rate=self._rate.update(now, total + self.store.evicted),
            source=live.source_state() if self.sources is not None else "no input",
            following=self.table.follow,
            query=self.query_text,
            find=self.find_text,
            found=len(self.marks),
            progress=progress,
            busy=self._busy,
        )

    # -- messages from widgets ------------------------------------------------------------------
    @on(QueryBar.Submitted)
    def _on_query(self, event: QueryBar.Submitted) -> None:
        if event.mode == "find":
            self.find_text = event.text
            self.marks = np.zeros(0, dtype=np.int64)
            self.table.set_marks(self.marks)
            self._derived_version = -1
            self._find_after_refresh()
        else:
            self._submit_filter(event.text)
        self.table.focus()

    def _submit_filter(self, text: str) -> None:
        try:
            parse_query(text)
        except QueryError as error:
            self.bar.show_error(error)
            return
        self.bar.set_text(text)
        self._apply_query(text)

    @work(group="find", exclusive=True, exit_on_error=False)
    async def _find_after_refresh(self) -> None:
        if not self.find_text:
            return
        find = parse_query(self.find_text)
        self.marks = await asyncio.to_thread(find.filter, self.store, self.live.rows)
        self.table.set_marks(self.marks)
        self.action_find_next(1)

    @on(QueryBar.Left)
    def _on_query_left(self) -> None:
        self.table.focus()

    @on(AddQueryTerm)
    def _on_add_term(self, message: AddQueryTerm) -> None:
        self._submit_filter(
            with_term(self.query_text, message.field, message.value, message.exclude)
        )

    @on(NarrowTime)
    def _on_narrow_time(self, message: NarrowTime) -> None:
        from kaudit_tui.core.timestamps import format_time

        bounds = {"since": format_time(message.since), "until": format_time(message.until - 1)}
        self._submit_filter(with_fields_replaced(self.query_text, bounds))

    @on(ShowRow)
    def _on_show_row(self, message: ShowRow) -> None:
        self.table.go_to_row(message.row)

    @on(EventTable.Selected)
    def _on_selected(self, event: EventTable.Selected) -> None:
        self.push_screen(DetailScreen(self.store, event.row, show_secrets=self.show_secrets))

    @on(EventTable.ColumnsChanged)
    def _on_columns(self, event: EventTable.ColumnsChanged) -> None:
        self.query_one(ColumnHeader).set_columns(event.columns)

    @on(EventTable.FollowChanged)
    def _on_follow(self) -> None:
        self.query_one(StatusBar).show(self._status(time.monotonic()))

    # -- actions -------------------------------------------------------------------------------
    def action_focus_query(self, mode: str) -> None:
        self.bar.focus_mode(mode)

    def action_toggle_follow(self) -> None:
        self.table.follow = not self.table.follow

    def action_find_next(self, step: int) -> None:
        if not self.find_text:
            self.notify("nothing to find yet: press s and type a query", markup=False)
            return
        marks, current = self.marks, self.table.highlighted_row
        if not len(marks):
            self.notify("no event in view matches the find query", markup=False)
            return
        current = -1 if current is None else current
        if step > 0:
            index = int(np.searchsorted(marks, current, side="right"))
            target = marks[index] if index < len(marks) else marks[0]
        else:
            index = int(np.searchsorted(marks, current, side="left")) - 1
            target = marks[index] if index >= 0 else marks[-1]
        self.table.go_to_row(int(target))

    def action_toggle_panel(self, name: str) -> None:
        panel = self.query_one(f"#{name}")
        panel.display = not panel.display
        self._derived_version = -1
        self._derived_at = 0.0
        if panel.display and panel.can_focus:
            panel.focus()
        elif not panel.display:
            self.table.focus()

    def action_toggle_requests(self) -> None:
        self.request_mode = not self.request_mode
        self.requests = None
        self._derived_version, self._derived_at = -1, 0.0
        self._shown = (-1, -1, not self.request_mode)
        self._update()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_skipped(self) -> None:
        self.push_screen(SkippedScreen(self.store))

    def action_export(self) -> None:
        rows = self.live.rows
        self.push_screen(
            ExportScreen(len(rows), "kaudit-export.jsonl"),
            lambda path: self._export(rows, path) if path is not None else None,
        )

    @work(group="export", exit_on_error=False)
    async def _export(self, rows: np.ndarray, path: Path) -> None:
        try:
            count = await asyncio.to_thread(export_rows, self.store, rows, path)
        except OSError as error:
            self.notify(f"export failed: {error}", severity="error", markup=False)
            return
        self.notify(f"exported {count:,} events to {path}", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Follow", "Follow new events on or off (f)", self.action_toggle_follow)
        yield SystemCommand("Export", "Write the view as JSON lines (e)", self.action_export)
        yield SystemCommand(
            "Facets",
            "Show or hide the facets panel (c)",
            lambda: self.action_toggle_panel("facets"),
        )
        yield SystemCommand(
            "Histogram",
            "Show or hide the time histogram (h)",
            lambda: self.action_toggle_panel("histogram"),
        )
        yield SystemCommand(
            "Requests", "One row per request instead of per stage (r)", self.action_toggle_requests
        )
        yield SystemCommand("Skipped", "Lines that held no event, and why (!)", self.action_skipped)


class _Rate:
    """Events per second over the last few seconds."""

    def __init__(self) -> None:
        self._samples: list[tuple[float, int]] = []

    def update(self, now: float, count: int) -> float:
        self._samples.append((now, count))
        while len(self._samples) > 2 and now - self._samples[0][0] > 3.0:
            self._samples.pop(0)
        then, before = self._samples[0]
        return (count - before) / (now - then) if now > then else 0.0


def _spans_days(store: EventStore, rows: np.ndarray) -> bool:
    """Does the view cover more than one UTC day? (Then the time column shows dates.)"""
    if len(rows) < 2:
        return False
    ts = store.column("ts")
    first, last = int(ts[rows[0] - store.first_id]), int(ts[rows[-1] - store.first_id])
    day = 86_400_000_000
    return first // day != last // day


def run_app(args: object, paths: list[str], query: str, *, stdin_fd: int | None = None) -> int:
    """Start the UI for the parsed command line (called by ``kaudit_tui.cli``); exit code."""
    import os
    import sys

    from kaudit_tui.sources import SourceError, open_sources

    demo = bool(getattr(args, "demo", False))
    follow = getattr(args, "follow", None)
    if follow is None:
        follow = len(paths) == 1 and paths[0] != "-" and not paths[0].endswith(".gz")
    try:
        if demo:
            from kaudit_tui.demo.replay import demo_files, start_replay

            read_fd, write_fd = os.pipe()
            start_replay(demo_files()[0], write_fd)
            sources = open_sources(["-"], follow=False, stdin_fd=read_fd)
        else:
            sources = open_sources(paths, follow=follow, stdin_fd=stdin_fd)
    except SourceError as error:
        print(f"kaudit-tui: {error}", file=sys.stderr)
        return 1
    app = KauditApp(
        sources,
        query=query,
        theme=getattr(args, "theme", None),
        show_secrets=bool(getattr(args, "show_secrets", False)),
    )
    app.run()
    return app.return_code or 0
