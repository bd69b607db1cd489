"""Detail view, facets editing the query, find, request view, export, skipped lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
from textual.events import MouseScrollUp

from kaudit_tui.core.redact import MASK
from kaudit_tui.demo.replay import demo_files
from kaudit_tui.ui.panels.facets import FacetsPanel
from kaudit_tui.ui.screens.detail import DetailScreen
from kaudit_tui.ui.screens.export import ExportScreen
from kaudit_tui.ui.screens.skipped import SkippedScreen
from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.conftest import LOGS
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, status, ui_event, wait_until

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
LIGGITT_EVENTS = [orjson.loads(line) for line in LIGGITT.read_bytes().splitlines()]
DEMO_LOG = demo_files()[0]


async def submit(pilot, app, text: str, key: str = "slash") -> None:  # noqa: ANN001
    """Open the query bar with ``key``, put ``text`` in it and press Enter."""
    await pilot.press(key)
    app.query_one(QueryBar).input.value = text
    await pilot.press("enter")


async def test_enter_opens_the_detail_of_the_highlighted_event() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("g", *["j"] * 5, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.compact))
        expected = LIGGITT_EVENTS[5]
        assert screen.row == app.store.first_id + 5
        assert orjson.loads(screen.compact) == expected
        stages = [o.id for o in screen.query_one("#detail-stages").options]
        same_request = [
            n for n, e in enumerate(LIGGITT_EVENTS) if e["auditID"] == expected["auditID"]
        ]
        assert [int(s) for s in stages] == same_request
        await pilot.press("y")
        assert orjson.loads(app.clipboard) == expected
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        assert app.table.cursor == 5


async def _open_secret(pilot, app) -> DetailScreen:  # noqa: ANN001
    await loaded(pilot, app, 1162)
    await submit(pilot, app, "user:system:serviceaccount:ci:deployer verb:create resource:secrets")
    await filtered(
        pilot, app, "user:system:serviceaccount:ci:deployer verb:create resource:secrets"
    )
    await pilot.press("end", "enter")
    await wait_until(
        pilot, lambda: isinstance(app.screen, DetailScreen) and bool(app.screen.compact)
    )
    return app.screen


async def test_secret_data_is_masked_in_the_detail_view() -> None:
    app = make_app(DEMO_LOG)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_secret(pilot, app)
        shown = orjson.loads(screen.compact)
        assert shown["requestObject"]["kind"] == "Secret"
        assert set(shown["requestObject"]["data"].values()) == {MASK}
        raw = orjson.loads(app.store.event_json(screen.row))
        secret_value = next(iter(raw["requestObject"]["data"].values()))
        assert secret_value not in screen.pretty and secret_value not in screen.compact


async def test_show_secrets_reveals_them() -> None:
    app = make_app(DEMO_LOG, show_secrets=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_secret(pilot, app)
        raw = orjson.loads(app.store.event_json(screen.row))
        assert orjson.loads(screen.compact)["requestObject"]["data"] == raw["requestObject"]["data"]


async def test_facets_count_the_view_and_edit_the_query() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("c")
        facets = app.query_one(FacetsPanel)
        await wait_until(pilot, lambda: bool(facets.counts))
        verbs = dict(facets.counts["verb"])
        assert verbs["delete"] == sum(e["verb"] == "delete" for e in LIGGITT_EVENTS)
        await pilot.press("tab")
        assert app.focused is facets
        facets.highlighted = facets.get_option_index("verb\x00delete")
        await pilot.press("enter")
        await filtered(pilot, app, "verb:delete")
        assert app.query_one(QueryBar).input.value == "verb:delete"
        await wait_until(pilot, lambda: dict(facets.counts["verb"]) == {"delete": verbs["delete"]})
        user, _ = facets.counts["user"][0]
        facets.highlighted = facets.get_option_index(f"user\x00{user}")
        await pilot.press("minus")
        query = f"verb:delete -user:{user}"
        await filtered(pilot, app, query)
        expected = sum(
            e["verb"] == "delete" and e["user"]["username"] != user for e in LIGGITT_EVENTS
        )
        assert f"{expected:,} / 757 events" in status(app)


async def test_find_marks_matches_and_n_jumps_between_them() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("g")
        await submit(pilot, app, "verb:create", key="s")
        creates = [n for n, e in enumerate(LIGGITT_EVENTS) if e["verb"] == "create"]
        await wait_until(pilot, lambda: len(app.marks) == len(creates))
        assert "757 / 757 events" in status(app)
        await wait_until(pilot, lambda: app.table.highlighted_row == creates[0])
        await pilot.press("n")
        assert app.table.highlighted_row == creates[1]
        await pilot.press("N", "N")
        assert app.table.highlighted_row == creates[-1]


async def test_request_view_shows_one_row_per_audit_id() -> None:
    app = make_app(LIGGITT)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await pilot.press("r")
        requests = len({e["auditID"] for e in LIGGITT_EVENTS})
        await wait_until(pilot, lambda: len(app.table.rows) == requests)
        assert f"({requests:,} requests)" in status(app)
        ids = [app.store.row(int(r))["id"] for r in app.table.rows]
        assert len(set(ids)) == requests
        await pilot.press("r")
        await wait_until(pilot, lambda: len(app.table.rows) == 757)


async def test_export_writes_the_filtered_view(tmp_path: Path) -> None:
    app = make_app(LIGGITT)
    target = tmp_path / "out.jsonl"
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 757)
        await submit(pilot, app, "verb:patch")
        await filtered(pilot, app, "verb:patch")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists() and target.stat().st_size > 0)
        await pilot.pause(0.2)
    expected = [line for line in LIGGITT.read_bytes().splitlines() if b'"verb":"patch"' in line]
    assert target.read_bytes().splitlines() == expected
    assert target.stat().st_mode & 0o777 == 0o600


async def test_skipped_lines_are_counted_and_explained(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(
        lines(ui_event(0))
        + b"I1126 03:00:00.000000 1 server.go:42] not an audit line\n"
        + b'{"kind":"Event","auditID":"x","verb":"get"\n'
        + lines(ui_event(1))
    )
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 2)
        await wait_until(pilot, lambda: "2 skipped" in status(app))
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, SkippedScreen))
        text = app.screen.query_one("Static").render().plain
        assert "not JSON or a legacy audit line" in text and "server.go:42" in text
        assert "truncated JSON" in text


async def test_hostile_strings_are_escaped_on_screen(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(
        lines(ui_event(0, user="mallory\x1b[2J\x1b]0;owned\x07", name="x\u202eexe.txt"))
    )
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        text = "".join(segment.text for segment in app.table.render_line(0))
        assert "\x1b" not in text and "\u202e" not in text
        assert "mallory\\x1b[2J" in text and "x\\u202eexe" in text
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, DetailScreen) and bool(app.screen.compact)
        )
        assert "\x1b" not in app.screen.pretty and "\\u001b" in app.screen.pretty
        assert np.array_equal(app.table.rows, [app.store.first_id])


async def test_histogram_bucket_narrows_the_time_range(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    # three bursts of 10 events, one minute apart; the middle one fails
    events = [ui_event(n, seconds=60 * (n // 10) + n % 10, code=500 if n // 10 == 1 else 200)
              for n in range(30)]  # fmt: skip
    log.write_bytes(lines(*events))
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 30)
        await pilot.press("h", "tab")
        histogram = app.query_one("TimeHistogram")
        assert app.focused is histogram
        await wait_until(pilot, lambda: histogram.histogram is not None)
        counts = histogram.histogram.counts.tolist()
        errors = histogram.histogram.errors.tolist()
        assert sum(counts) == 30 and sum(errors) == 10
        middle = next(i for i, e in enumerate(errors) if e)
        histogram.selected = middle
        await pilot.press("enter")
        await wait_until(pilot, lambda: "since:" in app.query_text and not app.filtering)
        await wait_until(pilot, lambda: len(app.table.rows) == counts[middle])
        assert {app.store.row(int(r))["code"] for r in app.table.rows} == {500}


async def test_mouse_click_selects_double_click_opens_wheel_pauses(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(*(ui_event(i) for i in range(100))))
    app = make_app(log)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 100)
        table = app.table
        top = round(table.scroll_offset.y)
        await pilot.click("#events", offset=(5, 3))
        assert table.cursor == top + 3 and not table.follow
        await pilot.press("end")
        assert table.follow
        # Pilot has no wheel method; this is the path its click() takes, with a wheel event.
        await pilot._post_mouse_events([MouseScrollUp], "#events", offset=(5, 3))
        await wait_until(pilot, lambda: not table.follow)
        await pilot.click("#events", offset=(5, 2), times=2)
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
