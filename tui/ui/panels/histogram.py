"""A sparkline of events per time bucket over the current view, and a line about it.

Buckets holding failed requests (code >= 400) are drawn in the error colour. Left/right (Home,
End) pick a bucket, drawn in reverse video with a marker under it and its time range and counts
beside the marker; Enter (or a click) narrows the filter to its time range with
``since:``/``until:``. The pick is forgotten when the view changes (another filter, other
buckets): it would name other events.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from kaudit_tui.core.timestamps import NO_TIME, format_time
from kaudit_tui.ui.messages import NarrowTime
from kaudit_tui.ui.panels.base import Panel, PanelView, register
from kaudit_tui.view.derived import Histogram, time_histogram

BARS = " ▁▂▃▄▅▆▇█"
_LABEL = 11
"""Width of a time label, ``MM-DDTHH:MM``."""
MARKER = "▲"


def buckets_for(width: int) -> int:
    """How many buckets fit between the two time labels of a ``width``-cell line."""
    return max(1, width - 2 * _LABEL - 2)


@register
class TimeHistogram(Panel, Widget, can_focus=True):
    """Sparkline under the event table."""

    KEY = "h"
    NAME = "histogram"
    TITLE = "Histogram"
    DESCRIPTION = "events over time, failures in the error colour"
    PLACE = "below"

    COMPONENT_CLASSES = {"time-histogram--bar", "time-histogram--error", "time-histogram--cursor"}
    BINDINGS = [
        Binding("left", "move(-1)", "Earlier", show=False, tooltip="earlier bucket"),
        Binding("right", "move(1)", "Later", show=False, tooltip="later bucket"),
        Binding("home", "jump(0)", "First", show=False, tooltip="first bucket"),
        Binding("end", "jump(-1)", "Last", show=False, tooltip="last bucket"),
        Binding("enter", "narrow", "Narrow to bucket", tooltip="narrow since:/until: to it"),
    ]
    DEFAULT_CSS = """
    TimeHistogram {
        height: 2;
        & > .time-histogram--bar { color: $histogram-bar; }
        & > .time-histogram--error { color: $histogram-error; }
        & > .time-histogram--cursor { text-style: reverse; }
        &:focus > .time-histogram--cursor { text-style: reverse bold; }
    }
    """

    selected: reactive[int] = reactive(-1)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.histogram: Histogram | None = None
        self._picked_in: tuple[object, int, int] | None = None
        """The filter and bucket grid the selection was made in."""

    @property
    def buckets(self) -> int:
        """How many buckets fit between the two time labels."""
        return buckets_for(self.size.width)

    def compute(self, view: PanelView) -> Histogram | None:
        return time_histogram(view.store, view.rows, buckets_for(view.width))

    def show(self, histogram: object) -> None:
        assert histogram is None or isinstance(histogram, Histogram)
        self.histogram = histogram
        if self.selected >= 0 and self._grid() != self._picked_in:
            self.selected = -1  # another view: that bucket would be other events
        self.refresh()

    def _grid(self) -> tuple[object, int, int] | None:
        """The filter and the bucket grid: a selection means something only within them."""
        hist = self.histogram
        if hist is None:
            return None
        return getattr(self.app, "query_text", None), hist.start, hist.width

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        hist = self.histogram
        if hist is None or not len(hist.counts):
            return text.append("no timed events in view", style="dim")
        shown = self._shown()  # fewer than computed for a wider panel: the labels stay
        end = hist.start + hist.width * shown
        text.append(f"{_short(hist.start, hist.width):>{_LABEL}} ", style="dim")
        peak = max(1, int(hist.counts[:shown].max()))
        bar = self.get_component_rich_style("time-histogram--bar")
        error = self.get_component_rich_style("time-histogram--error")
        cursor = self.get_component_rich_style("time-histogram--cursor", partial=True)
        for i in range(shown):
            count, failed = int(hist.counts[i]), int(hist.errors[i])
            level = 0 if not count else 1 + int((len(BARS) - 2) * count / peak)
            style: Style = error if failed else bar
            if i == self.selected:
                style = style + cursor
            text.append(BARS[level], style=style)
        text.append(f" {_short(end, hist.width)}\n", style="dim")
        text.append_text(self._info_line(hist, shown))
        return text

    def _info_line(self, hist: Histogram, shown: int) -> Text:
        """Under the sparkline: the picked bucket's range and counts beside a marker under it,
        or, with none picked, the totals and the bucket width."""
        if not 0 <= self.selected < shown:
            events, failed = int(hist.counts.sum()), int(hist.errors.sum())
            about = f"{_counts(events, failed)} in buckets of {_duration(hist.width)}"
            hint = "; ←/→ picks one" if self.has_focus else "; Tab, then ←/→ picks one"
            if _LABEL + 1 + len(about) + len(hint) > self.size.width:
                hint = ""
            return Text(" " * (_LABEL + 1) + about + hint, style="dim")
        begin, until = hist.bucket_range(self.selected)
        count, failed = int(hist.counts[self.selected]), int(hist.errors[self.selected])
        about = f"{_range(begin, until, hist.width)}: {_counts(count, failed)}"
        column = _LABEL + 1 + self.selected
        line = Text(no_wrap=True, overflow="crop")
        if column + 2 + len(about) <= max(self.size.width, 1) or column < len(about) + 2:
            line.append(" " * column)
            line.append(MARKER, style="bold")
            line.append(" " + about)
        else:  # no room on the right: the text ends at the marker
            line.append(" " * (column - len(about) - 1) + about + " ")
            line.append(MARKER, style="bold")
        return line

    def _shown(self) -> int:
        """How many buckets are drawn: all that fit between the labels."""
        if self.histogram is None:
            return 0
        return min(len(self.histogram.counts), max(1, self.size.width - 2 * _LABEL - 2))

    def action_move(self, step: int) -> None:
        if not self._shown():
            return
        last = self._shown() - 1
        self._pick(max(0, min(last, (self.selected if self.selected >= 0 else last) + step)))

    def action_jump(self, index: int) -> None:
        if self._shown():
            self._pick(index % self._shown())

    def _pick(self, index: int) -> None:
        self._picked_in = self._grid()
        self.selected = index

    def action_narrow(self) -> None:
        if self.histogram is not None and 0 <= self.selected < len(self.histogram.counts):
            self.post_message(NarrowTime(*self.histogram.bucket_range(self.selected)))

    def on_click(self, event: events.Click) -> None:
        index = event.x - _LABEL - 1
        if event.y == 0 and 0 <= index < self._shown():
            self._pick(index)
            self.action_narrow()

    def watch_selected(self, selected: int) -> None:
        if selected >= 0:  # however it was picked, it belongs to the view shown now
            self._picked_in = self._grid()
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _counts(events: int, failed: int) -> str:
    text = f"{events:,} event" + ("s" if events != 1 else "")
    return text + (f", {failed:,} failed" if failed else "")


def _duration(micros: int) -> str:
    for unit, name in ((86_400_000_000, "d"), (3_600_000_000, "h"), (60_000_000, "min"),
                       (1_000_000, "s"), (1_000, "ms")):  # fmt: skip
        if micros >= unit and micros % unit == 0:
            return f"{micros // unit}{name}"
    return f"{micros}µs"


def _range(begin: int, until: int, width: int) -> str:
    """``11-26 03:00:05–03:00:10 (UTC)``: as precise as the bucket width needs."""
    if begin == NO_TIME:
        return ""
    digits = 3 if width < 1_000_000 else 0
    first, last = format_time(begin, digits=digits), format_time(until, digits=digits)
    if width >= 86_400_000_000:
        return f"{first[:10]} – {last[:10]}"
    cut = 19 if width < 60_000_000 else 16
    if digits:
        cut = 23
    head = f"{first[5:10]} {first[11:cut]}"
    if last[:10] == first[:10]:
        return f"{head}–{last[11:cut]} UTC"
    return f"{head} – {last[5:10]} {last[11:cut]} UTC"


def _short(micros: int, width: int = 60_000_000) -> str:
    """``MM-DDTHH:MM`` of an epoch time, enough to place the sparkline's ends; ``HH:MM:SS``
    when the buckets are shorter than a minute (the line under it has the date)."""
    text = format_time(micros, digits=0)
    return text[11:19] if width < 60_000_000 else text[5:16]
