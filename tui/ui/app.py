"""KauditApp: the terminal UI. Owns the store and the current view, wires widgets to them.

Data flows one way: the ingest worker feeds the :class:`LiveView` (store + view), a timer
pushes the view to the widgets at most ten times a second, and widgets report what the user did
with messages; filters, facets, the histogram and policy summaries run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import AsyncIterable, Iterable
from pathlib import Path

import numpy as np
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from kaudit_tui.core.query import Query, QueryError, parse_query
from kaudit_tui.core.requests import request_rows
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import format_time
from kaudit_tui.sources import SourceStatus
from kaudit_tui.ui.actions import AppActions
from kaudit_tui.ui.detections import DetectionActions
from kaudit_tui.ui.messages import AddQueryTerm, NarrowTime
from kaudit_tui.ui.panels import Panel, PanelView, panel_named, registered
from kaudit_tui.ui.theming import (
    DEFAULT_THEME,
    THEME_VARIABLE_DEFAULTS,
    bundled_dir,
    load_themes,
    user_dir,
)
from kaudit_tui.ui.toasts import guard_toast_timeouts
from kaudit_tui.ui.widgets.column_header import ColumnHeader
from kaudit_tui.ui.widgets.columns import min_table_width
from kaudit_tui.ui.widgets.event_table import EventTable
from kaudit_tui.ui.widgets.query_bar import QueryBar
from kaudit_tui.ui.widgets.query_text import with_fields_replaced, with_term
from kaudit_tui.ui.widgets.status_bar import StatusBar, StatusInfo
from kaudit_tui.view.live import LiveView
from kaudit_tui.view.timing import Rate, shows_date

UPDATE_INTERVAL = 0.1
"""Seconds between UI updates while events stream in (~10 redraws a second)."""
BACKLOG_UPDATE_INTERVAL = 0.25
"""... and while a file is read for the first time."""
DERIVED_INTERVAL = 0.5
"""Seconds between recomputations of find marks and requests."""
PANEL_INTERVAL = 0.5
"""Least seconds between two computations of one panel (at most twice a second)."""
PANEL_MIN_WIDTH = 20
"""Side panels narrow down to this width so the table keeps its main columns readable."""
SIGNAL_GRACE = 3.0
"""Seconds a signalled app has to shut down before the process ends without the terminal."""
POLICY_POLL = 2.0
"""Seconds between checks of the policy file for changes."""


class KauditApp(AppActions, DetectionActions, App[int]):
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
        panels: names of registered panels to show from the start ("facets", "histogram",
            "policy", "findings", see :mod:`kaudit_tui.ui.panels`).
        rules: detection rules (a ``Ruleset``) to scan every event with.
    """

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "kaudit-tui"
    RATE_WINDOW = 3.0
    """Seconds over which the status bar's events/s is averaged."""
    # Priority bindings run when the App reads the key, before it is routed to the focused
    # widget, so keys typed in the same burst after "/" already land in the query bar. They
    # stand aside (check_action) while an input has focus or another screen is on top.
    # Each registered panel's key is added after "f" (see _bind_panels); the help screen and
    # the command palette are made from these bindings, their descriptions and tooltips.
    BINDINGS = [
        Binding("slash", "focus_query('filter')", "Filter", priority=True,
                tooltip="edit the filter query; Enter applies, Esc leaves, ↑/↓ history"),
        Binding("s", "focus_query('find')", "Find", priority=True,
                tooltip="mark events matching a query without hiding the others"),
        Binding("n", "find_next(1)", "Next match", show=False, priority=True,
                tooltip="next event matching the last find"),
        Binding("N", "find_next(-1)", "Previous match", show=False, priority=True,
                tooltip="previous event matching the last find"),
        Binding("f", "toggle_follow", "Follow", priority=True,
                tooltip="follow new events on or off"),
        Binding("P", "policy_rules", "Rules", show=False, priority=True,
                tooltip="policy rules with hits and bytes for the view"),
        Binding("r", "toggle_requests", "Requests", priority=True,
                tooltip="one row per request (audit ID) instead of one per stage"),
        Binding("o", "history", "History", priority=True,
                tooltip="every request on the highlighted event's object, each change a diff"),
        Binding("e", "export", "Export", priority=True,
                tooltip="write the view as JSON lines to a file"),
        Binding("exclamation_mark", "skipped", "Skipped", show=False, priority=True,
                tooltip="lines that held no event, and why"),
        Binding("tab", "focus_panel(1)", "Into panel", show=False, priority=True,
                tooltip="move the keyboard into the open panels (again: the next, then back)"),
        Binding("shift+tab", "focus_panel(-1)", "Previous panel", show=False, priority=True,
                tooltip="the same, backwards"),
        Binding("escape", "leave_panel", "Back to events", priority=True,
                tooltip="give the keyboard back to the event table"),
        Binding("question_mark", "help", "Help", priority=True, tooltip="all keys"),
        Binding("q", "quit", "Quit", tooltip="quit"),
    ]  # fmt: skip

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
        rules: object | None = None,
    ) -> None:
        super().__init__()
        guard_toast_timeouts()
        self.store = EventStore()
        self.sources = sources
        self.initial_query = query
        self.panel_classes: list[type[Panel]] = registered()
        self.initial_panels = tuple(panel_named(name).NAME for name in panels)
        self._bind_panels()
        self.show_secrets = show_secrets
        self.policy = None
        self._fields: dict = {}
        if policy is not None:
            from kaudit_tui.view.policy import PolicyState, policy_fields

            self.policy = PolicyState(policy)  # type: ignore[arg-type]
            self._fields = policy_fields(self.policy)
        self.alerts = None
        if rules is not None:
            from kaudit_tui.view.alerts import AlertState

            self.alerts = AlertState(rules, self.store)  # type: ignore[arg-type]
            self._fields = {**self._fields, **self.alerts.fields()}
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
        self._ticked_at = 0.0
        self._panel_inputs: dict[str, object] = {}
        self._panel_at: dict[str, float] = {}
        self._panel_busy: set[str] = set()
        self._rate = Rate(self.RATE_WINDOW)
        self.theme_errors = self._load_themes(theme, theme_dirs)

    # -- setup ---------------------------------------------------------------------------------
    def _bind_panels(self) -> None:
        """Add each registered panel's key (after "f", so the footer keeps its order)."""
        keys: dict[str, list[Binding]] = {}
        panel_bindings = [
            Binding(cls.KEY, f"toggle_panel({cls.NAME!r})", cls.TITLE, priority=True,
                    tooltip=f"{cls.TITLE.lower()} panel: {cls.DESCRIPTION}")
            for cls in self.panel_classes
        ]  # fmt: skip
        for key, bindings in self._bindings:
            keys.setdefault(key, []).append(bindings)
            if bindings.action == "toggle_follow":
                for binding in Binding.make_bindings(panel_bindings):
                    if binding.key in self._bindings.key_to_bindings:
                        raise ValueError(f"panel key {binding.key!r} is taken by the app")
                    keys.setdefault(binding.key, []).append(binding)
        self._bindings = BindingsMap.from_keys(keys)

    @property
    def key_bindings(self) -> list[Binding]:
        """The App's bindings, panels' included, in order, the ones it inherits from Textual's
        App (ctrl+q, ctrl+c) last: what the help screen and the palette are made from."""
        inherited = {key for key, _ in BindingsMap(App.BINDINGS)}
        bindings = [binding for _, binding in self._bindings]
        return sorted(bindings, key=lambda binding: binding.key in inherited)

    @property
    def panels(self) -> list[Widget]:
        """The panel widgets, in registry order."""
        return [self.query_one(f"#{cls.NAME}") for cls in self.panel_classes]

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
                for cls in self.panel_classes:
                    if cls.PLACE == "below":
                        yield cls(id=cls.NAME, classes="panel -below")  # type: ignore[call-arg]
            with Vertical(id="side"):
                for cls in self.panel_classes:
                    if cls.PLACE != "below":
                        yield cls(id=cls.NAME, classes="panel -side")  # type: ignore[call-arg]
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
                loop.add_signal_handler(sig, self._end_on_signal, sig)
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
        self._start_detections()
        self.set_interval(UPDATE_INTERVAL, self._tick)
        if self.initial_query:
            self._submit_filter(self.initial_query)

    def _end_on_signal(self, sig: int) -> None:
        """End like ``q``; and if that cannot finish (a hung-up terminal: Textual's writer
        thread dies on the closed terminal and its shutdown then waits for it forever), end
        the process anyway after a grace period rather than linger with the index in memory."""
        self.exit()
        watchdog = threading.Timer(SIGNAL_GRACE, os._exit, args=(128 + sig,))
        watchdog.daemon = True
        watchdog.start()

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
        """Find marks and request rows for the view ``rows``."""
        store = self.store
        if self.find_text:
            find = self.parse(self.find_text)
            self.marks = await asyncio.to_thread(find.filter, store, rows)
            self.table.set_marks(self.marks)
        if self.request_mode:
            self.requests = await asyncio.to_thread(request_rows, store, rows)
            self._shown = (-1, -1, True)
            self._update()

    def _refresh_panels(self) -> None:
        """Start the computation of each shown panel whose inputs changed, unless it ran less
        than PANEL_INTERVAL ago or is still running (the next tick of _update comes back)."""
        now = time.monotonic()
        live = self.live
        for panel in self.panels:
            assert isinstance(panel, Panel)
            name = panel.NAME
            if not panel.display or name in self._panel_busy or not panel.content_size.width:
                continue  # hidden, still computing, or not laid out yet
            view = PanelView(
                self.store,
                live.rows,
                self.table.highlighted_row,
                panel.content_size.width,
                self.policy,
                self.alerts,
            )
            inputs = (live.generation, live.version, panel.inputs(view))
            if inputs == self._panel_inputs.get(name):
                continue
            if now - self._panel_at.get(name, -PANEL_INTERVAL) < PANEL_INTERVAL:
                continue
            self._panel_inputs[name], self._panel_at[name] = inputs, now
            self._panel_busy.add(name)
            self.run_worker(
                self._compute_panel(panel, view), name=f"{name} panel", group=f"panel-{name}",
                exit_on_error=False,
            )  # fmt: skip

    async def _compute_panel(self, panel: Panel, view: PanelView) -> None:
        try:
            result = await asyncio.to_thread(panel.compute, view)
        finally:
            self._panel_busy.discard(panel.NAME)
        if isinstance(panel, Widget) and panel.is_attached and panel.display:
            panel.show(result)

    def _layout_side(self) -> None:
        """Show the side column if a side panel is open, as wide as they want but narrow
        enough to leave the table TIME, USER, VERB, RESOURCE and CODE."""
        try:
            side = self.query_one("#side")
        except NoMatches:
            return
        shown = [p for p in self.panels if isinstance(p, Panel) and p.PLACE != "below"
                 and p.display]  # fmt: skip
        side.display = bool(shown)
        if shown:
            wanted = max(p.WIDTH for p in shown)
            room = self.size.width - min_table_width(with_date=self.table.with_date)
            width = max(PANEL_MIN_WIDTH, min(wanted, room))
            if side.styles.width is None or side.styles.width.value != width:
                side.styles.width = width

    @work(group="find", exclusive=True, exit_on_error=False)
    async def _find(self) -> None:
        find = self.parse(self.find_text)
        self.marks = await asyncio.to_thread(find.filter, self.store, self.live.rows)
        self.table.set_marks(self.marks)
        self.action_find_next(1)

    # -- pushing state to widgets ---------------------------------------------------------------
    def _tick(self) -> None:
        """The update timer: ``_update`` ~10 times a second; while a file is read for the first
        time, ~4 times (drawing takes the CPU that indexing needs)."""
        now = time.monotonic()
        if self.live.progress_text() and now - self._ticked_at < BACKLOG_UPDATE_INTERVAL:
            return
        self._ticked_at = now
        self._update()

    def _update(self) -> None:
        """Push the view to the table and status bar if it changed."""
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
            table.set_with_date(shows_date(self.store, rows, time.time()))
            table.set_with_cluster(self.store.has_clusters())
            self._layout_side()
        now = time.monotonic()
        if live.version != self._derived_version and now - self._derived_at >= DERIVED_INTERVAL:
            self._derived_version, self._derived_at = live.version, now
            self._refresh_derived(live.rows)
        self._scan_tick()
        self._refresh_panels()
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
            match=self.find_position() if self.find_text else 0,
            progress=live.progress_text() or (self.alerts and self.alerts.progress_text()) or "",
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
        """Panels that follow the highlighted event recompute (at once, if not too soon)."""
        try:
            self._refresh_panels()
        except NoMatches:  # the screen is being taken down (the app is quitting)
            return

    def on_resize(self) -> None:
        self._layout_side()

    @on(EventTable.Selected)
    def _on_selected(self, event: EventTable.Selected) -> None:
        policy_text = ""
        if self.policy is not None:
            policy_text = self.policy.summary(self.store, event.row)
        from kaudit_tui.ui.screens.detail import DetailScreen  # on first use: keeps start-up fast

        screen = DetailScreen(
            self.store,
            event.row,
            show_secrets=self.show_secrets,
            policy_text=policy_text,
            alerts_of=self.alerts.alert_lines if self.alerts is not None else None,
        )
        self.push_screen(screen)

    @on(EventTable.ColumnsChanged)
    def _on_columns(self, event: EventTable.ColumnsChanged) -> None:
        # A relayout can still be on its way while the app shuts down and its widgets go.
        with contextlib.suppress(NoMatches):
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
        self._stop_detections()
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
        if action == "leave_panel":
            return self._focused_panel() is not None
        if isinstance(self.focused, Input):
            return None  # typing: the key goes to the input (shown greyed in the footer)
        if action == "focus_panel":
            return any(panel.display and panel.can_focus for panel in self.panels)
        return True

    def _focused_panel(self) -> Widget | None:
        focused = self.focused
        for panel in self.panels:
            if focused is not None and (focused is panel or panel in focused.ancestors):
                return panel
        return None

    def action_focus_query(self, mode: str) -> None:
        self.bar.focus_mode(mode)

    def action_toggle_follow(self) -> None:
        self.table.follow = not self.table.follow

    def action_toggle_panel(self, name: str) -> None:
        """Show or hide a panel; the keyboard stays with the event table (Tab moves it)."""
        panel = self.query_one(f"#{name}")
        if panel.display and self._focused_panel() is panel:
            self.table.focus()
        panel.display = not panel.display
        self._panel_inputs.pop(name, None)
        self._panel_at.pop(name, None)
        self._layout_side()
        self.call_after_refresh(self._refresh_panels)  # once the panel has its size

    def action_focus_panel(self, step: int) -> None:
        """Tab: the table, then each open panel in turn, then the table again."""
        stops: list[Widget] = [self.table]
        stops += [panel for panel in self.panels if panel.display and panel.can_focus]
        current = self._focused_panel() or self.table
        index = stops.index(current) if current in stops else 0
        stops[(index + step) % len(stops)].focus()

    def action_leave_panel(self) -> None:
        self.table.focus()

    def action_toggle_requests(self) -> None:
        self.request_mode = not self.request_mode
        self.requests = None
        self._derived_version, self._derived_at = -1, 0.0
        self._shown = (-1, -1, not self.request_mode)
        self._update()


_MAIN_SCREEN_ACTIONS = frozenset(
    ["toggle_panel"]
    + [binding.action.partition("(")[0] for binding in KauditApp.BINDINGS if binding.priority]
)
