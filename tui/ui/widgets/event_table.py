"""The event table: a Line-API scroll view over the rows of the current view.

Nothing here exists per event: the table holds the array of row ids the App gives it and draws
only the lines on screen, each built from the store's columns and cached as a ``Strip``. The
cost of a frame depends on the terminal height, not on the size of the log.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kaudit_tui.core.store import EventStore
from kaudit_tui.ui.widgets.columns import MARK, Column, RowCells, fit, layout_columns

_NO_ROWS = np.zeros(0, dtype=np.int64)
ROLES = (
    "time", "latency", "stage", "rule", "verb-read", "verb-write", "verb-delete", "verb-other",
    "status-ok", "status-other", "status-client-error", "status-server-error",
    "level-none", "level-metadata", "level-request", "level-requestresponse", "match",
    "alert-critical", "alert-error", "alert-warning", "alert-notice", "alert-info",
)  # fmt: skip


class EventTable(ScrollView, can_focus=True):
    """Virtual table of events; the App sets ``rows`` and listens for its messages."""

    COMPONENT_CLASSES = {"event-table--cursor", *(f"event-table--{role}" for role in ROLES)}
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, tooltip="next event"),
        Binding("up,k", "cursor_up", "Up", show=False,
                tooltip="previous event (moving up pauses following)"),
        Binding("pagedown", "page_down", "Page down", show=False, tooltip="next page"),
        Binding("pageup", "page_up", "Page up", show=False, tooltip="previous page"),
        Binding("home,g", "first", "First", show=False, tooltip="first event"),
        Binding("end,G", "last", "Last", show=False,
                tooltip="last event, and follow new events again"),
        Binding("enter", "select", "Open", show=False,
                tooltip="the whole event, the other stages of its request; y copies it"),
    ]  # fmt: skip
    DEFAULT_CSS = """
    EventTable {
        overflow-x: hidden;
        & > .event-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .event-table--cursor { background: $block-cursor-background; text-style: bold; }
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False)
    """Index of the highlighted line in ``rows``."""
    follow: reactive[bool] = reactive(True)
    """Stick to the newest event as events arrive."""

    class Highlighted(Message):
        """The highlighted event changed (``row`` is a store row id, None when empty)."""

        def __init__(self, row: int | None) -> None:
            self.row = row
            super().__init__()

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EventTable.Highlighted)

    class Selected(Message):
        """Enter (or a double click) on an event."""

        def __init__(self, row: int) -> None:
            self.row = row
            super().__init__()

    class ColumnsChanged(Message):
        """The column layout changed (terminal resized, rule column shown): redraw headers."""

        def __init__(self, columns: list[Column]) -> None:
            self.columns = columns
            super().__init__()

    class FollowChanged(Message):
        """Following was turned on or off (by the user scrolling, or ``f``)."""

        def __init__(self, following: bool) -> None:
            self.following = following
            super().__init__()

    def __init__(self, store: EventStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.rows: np.ndarray = _NO_ROWS
        self.cells = RowCells(store)
        self.columns: list[Column] = []
        self.with_date = False
        self.with_cluster = False
        self.marks: np.ndarray = _NO_ROWS
        """Rows matching the find query: drawn with a marker in a gutter left of TIME."""
        self._cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self._styles: dict[tuple[str, bool], Style] = {}

    # -- data from the App -------------------------------------------------------------------
    def set_rows(self, rows: np.ndarray, *, replaced: bool) -> None:
        """Show ``rows``; after a new query (``replaced``) keep the cursor on the same event."""
        previous = self.highlighted_row
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows))
        if replaced:
            self._cache.clear()
        if self.follow:
            self.set_reactive(EventTable.cursor, max(0, len(rows) - 1))
            self._stick_to_end()
        elif replaced and previous is not None and len(rows):
            index = min(int(np.searchsorted(rows, previous)), len(rows) - 1)
            self.set_reactive(EventTable.cursor, index)
            self._scroll_cursor_into_view(center=True)
        elif previous is not None and len(rows):
            self._keep_place(previous, rows)
        self.set_reactive(EventTable.cursor, self.validate_cursor(self.cursor))
        self.refresh()
        if self.highlighted_row != previous:
            self.post_message(self.Highlighted(self.highlighted_row))

    def _keep_place(self, previous: int, rows: np.ndarray) -> None:
        """Rows left from the front (``--max-events``): stay on the highlighted event, or on
        the oldest one kept if it left, and scroll by as many lines as left above it."""
        index = min(int(np.searchsorted(rows, previous)), len(rows) - 1)
        shift = self.cursor - index
        if shift > 0:
            self.set_reactive(EventTable.cursor, index)
            top = max(0, round(self.scroll_offset.y) - shift)
            self.scroll_to(y=top, animate=False, immediate=True, force=True)

    def set_marks(self, marks: np.ndarray) -> None:
        gutter = bool(len(self.marks)) != bool(len(marks))
        self.marks = marks
        if gutter:  # the gutter comes and goes with the matches
            self._relayout()
        self._cache.clear()
        self.refresh()

    def set_rule_lookup(self, rule_of: Callable[[int], int | None] | None) -> None:
        """Show the policy rule column, with values from ``rule_of(row)`` (None hides it)."""
        self.cells.rule_of = rule_of
        self._relayout()

    def set_alert_lookup(self, alert_of: Callable[[int], int | None] | None) -> None:
        """Show the alert gutter, marking rows for which ``alert_of(row)`` gives a priority
        rank (None hides it). It must not wait: it is called while drawing."""
        self.cells.alert_of = alert_of
        self._relayout()

    def refresh_alerts(self) -> None:
        """More rows were scanned for alerts: draw the lines on screen again."""
        self._cache.clear()
        self.refresh()

    def set_with_cluster(self, with_cluster: bool) -> None:
        """Show the CLUSTER column (the App does once any event names its cluster)."""
        if with_cluster != self.with_cluster:
            self.with_cluster = with_cluster
            self._relayout()

    def set_with_date(self, with_date: bool) -> None:
        if with_date != self.with_date:
            self.with_date = with_date
            self._relayout()

    @property
    def highlighted_row(self) -> int | None:
        if not len(self.rows):
            return None
        return int(self.rows[min(self.cursor, len(self.rows) - 1)])

    # -- cursor and follow ---------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self._scroll_cursor_into_view()
        self.post_message(self.Highlighted(self.highlighted_row))

    def watch_follow(self, following: bool) -> None:
        self.set_class(following, "-following")
        if following and len(self.rows):
            self.cursor = len(self.rows) - 1
            self._stick_to_end()
        self.post_message(self.FollowChanged(following))

    def _move(self, delta: int) -> None:
        if delta < 0:
            self.follow = False
        self.cursor = self.validate_cursor(self.cursor + delta)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.follow = False
        self.cursor = 0

    def action_last(self) -> None:
        self.follow = True
        self.cursor = max(0, len(self.rows) - 1)

    def go_to_row(self, row: int) -> None:
        """Highlight store row ``row`` (or the nearest row of the view after it) in the
        middle of the screen, so that a find jump shows the events around the match."""
        if not len(self.rows):
            return
        self.follow = False
        index = min(int(np.searchsorted(self.rows, row)), len(self.rows) - 1)
        height = max(1, self.size.height)
        self.scroll_to(y=max(0, index - height // 2), animate=False, immediate=True, force=True)
        self.cursor = index

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        height = max(1, self.size.height)
        top = round(self.scroll_offset.y)
        if top <= self.cursor < top + height and not center:
            return
        if center and not top <= self.cursor < top + height:
            target = self.cursor - height // 2
        elif self.cursor < top:
            target = self.cursor
        else:
            target = self.cursor - height + 1
        self.scroll_to(y=max(0, target), animate=False, immediate=True, force=True)

    # -- mouse ---------------------------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.rows):
            if index < self.cursor:
                self.follow = False
            self.cursor = index
            if event.chain == 2:
                self.post_message(self.Selected(int(self.rows[index])))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False

    def action_select(self) -> None:
        row = self.highlighted_row
        if row is not None:
            self.post_message(self.Selected(row))

    # -- rendering -----------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._relayout()
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.follow:
            self._stick_to_end()

    def _stick_to_end(self) -> None:
        """Scroll to the last line now.

        ``force``: right after the row count grows, the scrollbar that allows vertical scrolling
        only appears with the next layout; without it the scroll would be silently dropped.
        """
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.call_after_refresh(self._sync_scrollbar)

    def _sync_scrollbar(self) -> None:
        """A scrollbar that appeared after a forced scroll still shows the old position."""
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = self.scroll_y

    def _relayout(self) -> None:
        self.columns = layout_columns(
            self.size.width,
            with_date=self.with_date,
            with_rule=self.cells.rule_of is not None,
            with_cluster=self.with_cluster,
            with_marks=bool(len(self.marks)),
            with_alerts=self.cells.alert_of is not None,
        )
        self._cache.clear()
        self.refresh()
        self.post_message(self.ColumnsChanged(self.columns))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    def _style(self, role: str, cursor: bool) -> Style:
        """Base style plus a colour role (plus the cursor's background), computed once."""
        style = self._styles.get((role, cursor))
        if style is None:
            style = self.rich_style
            if role:
                style += self.get_component_rich_style(
                    f"event-table--{role}", partial=True, default=Style()
                )
            if cursor:
                style += self.get_component_rich_style("event-table--cursor", partial=True)
            self._styles[(role, cursor)] = style
        return style

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.size.width
        if index >= len(self.rows) or index < 0:
            return Strip.blank(width, self.rich_style)
        row = int(self.rows[index])
        is_cursor = index == self.cursor
        key = (row, width, is_cursor, self.has_focus)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._build_line(row, is_cursor, width)
            self._cache[key] = strip
        return strip

    def _build_line(self, row: int, is_cursor: bool, width: int) -> Strip:
        cells = self.cells.cells(row, self.with_date)
        marked = len(self.marks) and _contains(self.marks, row)
        gap = Segment(" ", self._style("", is_cursor))
        segments: list[Segment] = []
        for n, column in enumerate(self.columns):
            text, role = cells.get(column.key, ("", ""))
            if column.key == "mark" and marked:
                text, role = MARK, "match"
            if n:
                segments.append(gap)
            segments.append(
                Segment(
                    fit(text, column.width, column.right, column.clip),
                    self._style(role, is_cursor),
                )
            )
        return Strip(segments).crop_extend(0, width, self._style("", is_cursor))


def _contains(sorted_rows: np.ndarray, row: int) -> bool:
    index = int(np.searchsorted(sorted_rows, row))
    return index < len(sorted_rows) and int(sorted_rows[index]) == row
