"""The histogram: a visible cursor, the bucket's range and count, Home/End, a selection
that resets with the view, both time labels whatever the span."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.text import Text

from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, ui_event, wait_until


async def submit(pilot, app, text: str, key: str = "slash") -> None:  # noqa: ANN001
    await pilot.press(key)
    app.query_one(QueryBar).input.value = text
    await pilot.press("enter")


def three_bursts(tmp_path: Path) -> Path:
    log = tmp_path / "audit.log"
    events = [ui_event(n, seconds=60 * (n // 10) + n % 10, code=500 if n // 10 == 1 else 200)
              for n in range(30)]  # fmt: skip
    log.write_bytes(lines(*events))
    return log


def rendered_lines(widget) -> list[str]:  # noqa: ANN001
    return ["".join(s.text for s in widget.render_line(y)) for y in range(widget.size.height)]


async def test_histogram_cursor_is_visible_with_range_and_count(tmp_path: Path) -> None:
    app = make_app(three_bursts(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 30)
        await pilot.press("h", "tab")
        histogram = app.query_one("TimeHistogram")
        await wait_until(pilot, lambda: histogram.histogram is not None)
        await pilot.press("home")
        assert histogram.selected == 0
        await pilot.pause()
        text = histogram.render()
        assert isinstance(text, Text)
        plain = text.plain
        first = int(histogram.histogram.counts[0])
        assert "03:00:00" in plain and f"{first} events" in plain, plain
        # the chosen bucket is drawn in reverse video
        cell = plain.index(next(c for c in plain.split("\n")[0] if c in "▁▂▃▄▅▆▇█"))
        styles = [span.style for span in text.spans if span.start <= cell < span.end]
        assert any(getattr(style, "reverse", False) for style in styles), styles
        await pilot.press("end")
        last = len(histogram.histogram.counts) - 1
        assert histogram.selected == last
        await pilot.pause()
        plain = histogram.render().plain
        assert f"{int(histogram.histogram.counts[last])} events" in plain, plain
        assert "failed" not in plain.split("\n")[1]


async def test_histogram_selection_resets_when_the_view_changes(tmp_path: Path) -> None:
    app = make_app(three_bursts(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 30)
        await pilot.press("h", "tab")
        histogram = app.query_one("TimeHistogram")
        await wait_until(pilot, lambda: histogram.histogram is not None)
        await pilot.press("end")
        assert histogram.selected >= 0
        app.action_leave_panel()
        await submit(pilot, app, "code:500")
        await filtered(pilot, app, "code:500")
        await wait_until(pilot, lambda: sum(histogram.histogram.counts) == 10)
        assert histogram.selected == -1


TIME = r"(\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d)"
LABEL = re.compile(rf"^ *{TIME} .* {TIME} *$")


@pytest.mark.parametrize(
    ("count", "step"),
    [(200, 86_400 * 40 / 199), (119, 117.51 / 118)],
    ids=["forty-days", "buckets-fill-the-line"],
)
async def test_histogram_shows_both_time_labels(tmp_path: Path, count: int, step: float) -> None:
    log = tmp_path / "audit.log"
    # 03:00:00.99 to 03:01:58.5: 117.5 s fit the 118 buckets of a 140-cell line at one second
    # each, but from the round 03:00:00 they need 119: the last one was cut off, and the line
    # (labels one cell wider than counted) lost its right-hand label
    log.write_bytes(lines(*(ui_event(n, seconds=0.98 + n * step) for n in range(count))))
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, count)
        await pilot.press("h")
        histogram = app.query_one("TimeHistogram")
        await wait_until(pilot, lambda: histogram.histogram is not None)
        await pilot.pause()
        first = rendered_lines(histogram)[0]
        match = LABEL.match(first)
        assert match, first
        hist = histogram.histogram
        assert int(hist.counts.sum()) == count  # the last bucket is counted, not cut off
        end = hist.start + hist.width * len(hist.counts)
        last_event = app.store.column("ts").max()
        assert end > last_event
