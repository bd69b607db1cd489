"""A one-line sparkline of events per time bucket over the current view.

Buckets holding failed requests (code >= 400) are drawn in the error colour. Left/right pick a
bucket, Enter (or a click) narrows the filter to its time range with ``since:``/``until:``.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from kaudit_tui.core.timestamps import format_time
from kaudit_tui.ui.messages import NarrowTime
from kaudit_tui.ui.panels.base import Panel, PanelView, register
from kaudit_tui.view.derived import Histogram, time_histogram

BARS = " ▁▂▃▄▅▆▇█"
_LABEL = 10


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
        Binding("enter", "narrow", "Narrow to bucket", tooltip="narrow since:/until: to it"),
    ]
    DEFAULT_CSS = """
    TimeHistogram {
        height: 1;
        & > .time-histogram--bar { color: $histogram-bar; }
        & > .time-histogram--error { color: $histogram-error; }
        & > .time-histogram--cursor { background: $block-cursor-blurred-background; }
        &:focus > .time-histogram--cursor { background: $block-cursor-background; }
    }
    """

    selected: reactive[int] = reactive(-1)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.histogram: Histogram | None = None

    @property
    def buckets(self) -> int:
        """How many buckets fit between the two time labels."""
        return buckets_for(self.size.width)

    def compute(self, view: PanelView) -> Histogram | None:
        return time_histogram(view.store, view.rows, buckets_for(view.width))

    def show(self, histogram: object) -> None:
        assert histogram is None or isinstance(histogram, Histogram)
        self.histogram = histogram
        if histogram is not None and self.selected >= len(histogram.counts):
            self.selected = len(histogram.counts) - 1
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True)
        hist = self.histogram
        if hist is None or not len(hist.counts):
            return text.append("no timed events in view", style="dim")
        text.append(f"{_short(hist.start):>{_LABEL}} ", style="dim")
        peak = max(1, int(hist.counts.max()))
        bar = self.get_component_rich_style("time-histogram--bar")
        error = self.get_component_rich_style("time-histogram--error")
        cursor = self.get_component_rich_style("time-histogram--cursor")
        for i, (count, failed) in enumerate(zip(hist.counts, hist.errors, strict=True)):
            level = 0 if not count else 1 + int((len(BARS) - 2) * count / peak)
            style: Style = error if failed else bar
            if i == self.selected:
                style = style + cursor
            text.append(BARS[level], style=style)
        end = hist.start + hist.width * len(hist.counts)
        text.append(f" {_short(end)}", style="dim")
        return text

    def action_move(self, step: int) -> None:
        if self.histogram is None:
            return
        last = len(self.histogram.counts) - 1
        self.selected = max(0, min(last, (self.selected if self.selected >= 0 else last) + step))

    def action_narrow(self) -> None:
        if self.histogram is not None and 0 <= self.selected < len(self.histogram.counts):
            self.post_message(NarrowTime(*self.histogram.bucket_range(self.selected)))

    def on_click(self, event: events.Click) -> None:
        index = event.x - _LABEL - 1
        if self.histogram is not None and 0 <= index < len(self.histogram.counts):
            self.selected = index
            self.action_narrow()

    def watch_selected(self) -> None:
        self.refresh()


def _short(micros: int) -> str:
    """``MM-DDTHH:MM`` of an epoch time: enough to place the sparkline's ends."""
    return format_time(micros, digits=0)[5:16]
