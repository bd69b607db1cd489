"""KauditApp: the terminal UI. Owns the store and the current view, wires widgets to them.

Data flows one way: the ingest worker feeds the :class:`LiveView` (store + view), a timer
pushes the view to the widgets at most ten times a second, and widgets report what the user did
with messages; filters, facets, the histogram and policy summaries run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterable, Iterable
from pathlib import Path

import numpy as np
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from kaudit_tui.core.query import Query, QueryError, parse_query
from kaudit_tui.core.requests import request_rows
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import format_time
from kaudit_tui.sources import SourceStatus
from kaudit_tui.ui.actions import AppActions
from kaudit_tui.ui.messages import AddQueryTerm, NarrowTime
from kaudit_tui.ui.theming import (
    DEFAULT_THEME,
    THEME_VARIABLE_DEFAULTS,
    bundled_dir,
    load_themes,
    user_dir,
)
from kaudit_tui.ui.widgets.column_header import ColumnHeader
from kaudit_tui.ui.widgets.event_table import EventTable
from kaudit_tui.ui.widgets.facets import FacetsPanel
from kaudit_tui.ui.widgets.histogram import TimeHistogram
from kaudit_tui.ui.widgets.policy_panel import PolicyPanel
from kaudit_tui.ui.widgets.query_bar import QueryBar
from kaudit_tui.ui.widgets.query_text import with_fields_replaced, with_term
from kaudit_tui.ui.widgets.status_bar import StatusBar, StatusInfo
from kaudit_tui.view.derived import facet_counts, time_histogram
from kaudit_tui.view.live import LiveView
from kaudit_tui.view.timing import Rate, spans_days

UPDATE_INTERVAL = 0.1
"""Seconds between UI updates while events stream in (~10 redraws a second)."""
DERIVED_INTERVAL = 0.5
"""Seconds between recomputations of facets, histogram, find marks and requests."""
POLICY_POLL = 2.0
"""Seconds between checks of the policy file for changes."""


class KauditApp(AppActions, App[int]):
    """The audit log viewer.

    Args:
        sources: what to read: a ``SourceSet`` (or any async iterable of source items with
            an ``aclose`` coroutine); None shows an empty view.
        query: the initial filter text.
        policy: an audit policy (``LoadedPolicy``) to evaluate every event against.
        theme: theme name (bundled, user or built-in); None picks ``kaudit-dark``.
        show_secrets: show secret payloads unmasked in the detail view and copies.
        theme_dirs: where to look for theme files (default: bundled, then the user's).
        max_events: keep at most this many events (oldest dropped first).
        panels: panels to show from the start: "facets", "histogram", "policy".
    """

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "kaudit-tui"
    RATE_WINDOW = 3.0
    """Seconds over which the status bar's events/s is averaged."""
    # Priority bindings run when the App reads the key, before it is routed to the focused
    # widget, so keys typed in the same burst after "/" already land in the query bar. They
    # stand aside (check_action) while an input has focus or another screen is on top.
    BINDINGS = [
        Binding("slash", "focus_query('filter')", "Filter", priority=True),
        Binding("s", "focus_query('find')", "Find", priority=True),
        Binding("n", "find_next(1)", "Next match", show=False, priority=True),
        Binding("N", "find_next(-1)", "Previous match", show=False, priority=True),
        Binding("f", "toggle_follow", "Follow", priority=True),
        Binding("c", "toggle_panel('facets')", "Facets", priority=True),
        Binding("h", "toggle_panel('histogram')", "Histogram", priority=True),
        Binding("p", "toggle_panel('policy')", "Policy", priority=True),
        Binding("P", "policy_rules", "Rules", show=False, priority=True),
        Binding("r", "toggle_requests", "Requests", priority=True),
        Binding("e", "export", "Export", priority=True),
        Binding("exclamation_mark", "skipped", "Skipped", show=False, priority=True),
        Binding("question_mark", "help", "Help", priority=True),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        sources: AsyncIterable[object] | None = None,
        *,
        query: str = "",
        policy: object | None = None,
        theme: str | None = None,
        show_secrets: bool = False,
        theme_dirs: Iterable[Path] | None = None,
        max_events: int | None = None,
        panels: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.store = EventStore()
        self.sources = sources
        self.initial_query = query
        self.initial_panels = tuple(panels)
        self.show_secrets = show_secrets
        self.policy = None
        self._fields: dict = {}
        if policy is not None:
            from kaudit_tui.view.policy import PolicyState, policy_fields

            self.policy = PolicyState(policy)  # type: ignore[arg-type]
            self._fields = policy_fields(self.policy)
        self.live = LiveView(self.store, parse_query(""), max_events=max_events)
        self.request_mode = False
        self.query_text = ""
        self.find_text = ""
        self.marks = np.zeros(0, dtype=np.int64)
        self.requests: np.ndarray | None = None
        self.filtering = False
        """A query is being applied (the status bar says "filtering…")."""
        self._query_sequence = 0
        self._shown = (-1, -1, False)
        self._derived_version = -1
        self._derived_at = 0.0
        self._rate = Rate(self.RATE_WINDOW)
        self.theme_errors = self._load_themes(theme, theme_dirs)

    # -- setup ---------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **THEME_VARIABLE_DEFAULTS}

    def _load_themes(self, wanted: str | None, dirs: Iterable[Path] | None) -> list[str]:
        themes, errors = load_themes(dirs if dirs is not None else [bundled_dir(), user_dir()])
        for theme in themes:
            self.register_theme(theme)
        wanted = wanted or DEFAULT_THEME
        if wanted not in self.available_themes:
            errors.append(f"theme {wanted!r} not found; using {DEFAULT_THEME!r}")
            wanted = DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        return errors

    def parse(self, text: str) -> Query:
        """Parse query text with this app's extra fields (``rule:`` with a policy)."""
        return parse_query(text, extra_fields=self._fields)

    def compose(self) -> ComposeResult:
        yield QueryBar(self.initial_query, parse=self.parse, id="query-bar")
        with Horizontal(id="main"):
            with Vertical(id="table-pane"):
                yield ColumnHeader(id="header")
                yield EventTable(self.store, id="events")
                yield TimeHistogram(id="histogram")
            yield FacetsPanel(id="facets")
            yield PolicyPanel(id="policy")
        yield StatusBar(id="status")
        yield Footer()

    def on_load(self) -> None:
        """Start reading before the screen is composed: the first batch decodes meanwhile."""
        if self.sources is not None:
            self.live.on_status = self._on_source_status
            self.live.on_extend = self._on_first_rows
            self._ingest()

    def _on_first_rows(self) -> None:
        """Show the first events at once instead of at the next timer tick."""
        self.live.on_extend = None
        self.call_later(self._update)

    def on_mount(self) -> None:
        # `kill` (SIGTERM) or a hang-up ends the app like `q` does, so the terminal is
        # restored and spool files go, instead of leaving a raw alternate screen behind.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)
        for name in self.initial_panels:
            self.action_toggle_panel(name)
        self.table.focus()
        for error in self.theme_errors:
            self.notify(sanitize(error), severity="warning", markup=False, timeout=8)
        if self.policy is not None:
            state = self.policy
            self.table.set_rule_lookup(lambda row: state.rule_of(self.store, row))
            self.set_interval(POLICY_POLL, self._poll_policy)
            self._notify_policy_warnings()
        self.set_interval(UPDATE_INTERVAL, self._update)
        if self.initial_query:
            self._submit_filter(self.initial_query)

    @property
    def table(self) -> EventTable:
        return self.query_one("#events", EventTable)

    @property
    def bar(self) -> QueryBar:
        return self.query_one("#query-bar", QueryBar)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    # -- workers -------------------------------------------------------------------------------
    @work(group="ingest", exit_on_error=False)
    async def _ingest(self) -> None:
        assert self.sources is not None
        await self.live.ingest(self.sources)

    @work(group="query", exclusive=True, exit_on_error=False)
    async def _apply_query(self, text: str, sequence: int) -> None:
        try:
            await self.live.apply(self.parse(text))
            if sequence == self._query_sequence:
                self.query_text = text
        finally:
            if sequence == self._query_sequence:  # not superseded by a newer query
                self.filtering = False
        self._update()

    @work(group="derived", exclusive=True, exit_on_error=False)
    async def _refresh_derived(self, rows: np.ndarray) -> None:
        """Find marks, request rows, facets and histogram for the view ``rows``."""
        store = self.store
        if self.find_text:
            find = self.parse(self.find_text)
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

    @work(group="find", exclusive=True, exit_on_error=False)
    async def _find(self) -> None:
        find = self.parse(self.find_text)
        self.marks = await asyncio.to_thread(find.filter, self.store, self.live.rows)
        self.table.set_marks(self.marks)
        self.action_find_next(1)

    # -- pushing state to widgets ---------------------------------------------------------------
    def _update(self) -> None:
        """Push the view to the table and status bar if it changed (runs ~10 times a second)."""
        try:
            table, status_bar = self.table, self.status_bar
        except NoMatches:  # the default screen is gone: the app is shutting down
            return
        live = self.live
        rows = live.rows
        if self.request_mode and self.requests is not None:
            rows = self.requests
        shown = (live.generation, live.version, self.request_mode)
        if shown != self._shown:
            replaced = shown[0] != self._shown[0] or self.request_mode or self._shown[2]
            self._shown = shown
            table.set_rows(rows, replaced=replaced)
            table.set_with_date(spans_days(self.store, rows))
        now = time.monotonic()
        if live.version != self._derived_version and now - self._derived_at >= DERIVED_INTERVAL:
            self._derived_version, self._derived_at = live.version, now
            self._refresh_derived(live.rows)
        status_bar.show(self._status(now))

    def _status(self, now: float) -> StatusInfo:
        live = self.live
        total = len(self.store)
        requests = None
        if self.request_mode and self.requests is not None:
            requests = len(self.requests)
        return StatusInfo(
            shown=len(live.rows),
            total=total,
            requests=requests,
            skipped=self.store.skips.lines,
            dropped=self.store.evicted,
            rate=self._rate.update(now, total + self.store.evicted),
            source=live.source_state() if self.sources is not None else "no input",
            source_message=self._source_message(),
            following=self.table.follow,
            query=self.query_text,
            find=self.find_text,
            found=len(self.marks),
            progress=live.progress_text(),
            busy=self.filtering,
        )

    # -- messages from widgets and sources --------------------------------------------------------
    @on(QueryBar.Submitted)
    def _on_query(self, event: QueryBar.Submitted) -> None:
        if event.mode == "find":
            self.find_text = event.text
            self.marks = np.zeros(0, dtype=np.int64)
            self.table.set_marks(self.marks)
            if self.find_text:
                self._find()
        else:
            self._submit_filter(event.text)
        self.screen.set_focus(self.table)  # now: keys typed after Enter belong to the table

    def _submit_filter(self, text: str) -> None:
        try:
            self.parse(text)
        except QueryError as error:
            self.bar.set_text(text)
            self.bar.show_error(error)
            return
        self.bar.set_text(text)
        self._query_sequence += 1
        self.filtering = True
        self._apply_query(text, self._query_sequence)

    @on(QueryBar.Left)
    def _on_query_left(self) -> None:
        self.screen.set_focus(self.table)

    @on(AddQueryTerm)
    def _on_add_term(self, message: AddQueryTerm) -> None:
        text = with_term(self.query_text, message.field, message.value, message.exclude)
        self._submit_filter(text)

    @on(NarrowTime)
    def _on_narrow_time(self, message: NarrowTime) -> None:
        bounds = {"since": format_time(message.since), "until": format_time(message.until - 1)}
        self._submit_filter(with_fields_replaced(self.query_text, bounds))

    @on(EventTable.Highlighted)
    def _on_highlighted(self, event: EventTable.Highlighted) -> None:
        try:
            panel = self.query_one(PolicyPanel)
        except NoMatches:  # the screen is being taken down (the app is quitting)
            return
        if panel.display:
            self._show_verdict(event.row)

    @on(EventTable.Selected)
    def _on_selected(self, event: EventTable.Selected) -> None:
        policy_text = ""
        if self.policy is not None:
            policy_text = self.policy.summary(self.store, event.row)
        from kaudit_tui.ui.screens.detail import DetailScreen  # on first use: keeps start-up fast

        screen = DetailScreen(
            self.store, event.row, show_secrets=self.show_secrets, policy_text=policy_text
        )
        self.push_screen(screen)

    @on(EventTable.ColumnsChanged)
    def _on_columns(self, event: EventTable.ColumnsChanged) -> None:
        self.query_one(ColumnHeader).set_columns(event.columns)

    @on(EventTable.FollowChanged)
    def _on_follow(self) -> None:
        self.status_bar.show(self._status(time.monotonic()))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            message = f"{event.worker.name} failed: {type(error).__name__}: {error}"
            self.notify(sanitize(message), severity="error", markup=False, timeout=15)

    def _source_message(self) -> str:
        """What a waiting or failing source says, for the status bar."""
        for status in self.live.states.values():
            if status.state in ("error", "waiting"):
                return status.message
        return ""

    def _on_source_status(self, status: SourceStatus) -> None:
        if status.state == "error":
            self.notify(sanitize(status.message), severity="error", markup=False, timeout=15)
        elif status.state == "waiting":
            self.notify(sanitize(status.message), severity="warning", markup=False, timeout=10)

    async def on_unmount(self) -> None:
        """Close the sources only now: their readers serve the detail view and export."""
        self.live.close()
        closer = getattr(self.sources, "aclose", None)
        if closer is not None:
            await closer()

    # -- actions -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in _MAIN_SCREEN_ACTIONS:
            return True
        if len(self.screen_stack) > 1:
            return False  # another screen is on top: its own keys apply (and show)
        if isinstance(self.focused, Input):
            return None  # typing: the key goes to the input (shown greyed in the footer)
        return True

    def action_focus_query(self, mode: str) -> None:
        self.bar.focus_mode(mode)

    def action_toggle_follow(self) -> None:
        self.table.follow = not self.table.follow

    def action_toggle_panel(self, name: str) -> None:
        panel = self.query_one(f"#{name}")
        panel.display = not panel.display
        self._derived_version, self._derived_at = -1, 0.0
        if name == "policy" and panel.display:
            self._show_verdict(self.table.highlighted_row)
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


_MAIN_SCREEN_ACTIONS = frozenset(
    binding.action.partition("(")[0] for binding in KauditApp.BINDINGS if binding.priority
)
