"""Detections in the UI, on Falco's k8s audit trace files with the community rules: the findings
panel, narrowing to a rule, the alert:/priority: fields, the table's marks, the detail view's
alerts, and reloading the rules file. Expected rows come from evaluating each event alone."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import kaudit_tui.ui.detections
from kaudit_tui.core.alerts import read_ruleset
from kaudit_tui.core.detect import PRIORITIES
from kaudit_tui.ui.panels import FindingsPanel
from kaudit_tui.ui.screens.detail import DetailScreen
from kaudit_tui.ui.widgets.columns import ALERT_ROLES
from kaudit_tui.ui.widgets.query_bar import QueryBar
from tests.conftest import DATA, LOGS
from tests.ui.support import SIZE, filtered, lines, loaded, make_app, status, ui_event, wait_until

RULES = DATA / "rules" / "falco-k8s_audit_rules.yaml"
TRACES = LOGS / "falco-k8s-audit-trace-files.jsonl"
RULESET = read_ruleset([str(RULES)], default=False)
EVENTS = [orjson.loads(line) for line in TRACES.read_bytes().splitlines()]
FIRED = [[rule.name for rule in RULESET.matching(event)] for event in EVENTS]
RULE = "- rule: {}\n  desc: d\n  condition: {}\n  output: {}\n  priority: {}\n  source: k8s_audit\n"


def count(name: str) -> int:
    return sum(name in names for names in FIRED)


def panel_lines(app) -> list[str]:  # noqa: ANN001
    panel = app.query_one(FindingsPanel)
    return [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]


def notes(app) -> list[str]:  # noqa: ANN001
    return [str(note.message) for note in app._notifications]


async def submit(pilot, app, text: str) -> None:  # noqa: ANN001
    await pilot.press("slash")
    app.query_one(QueryBar).input.value = text
    await pilot.press("enter")


async def test_panel_lists_the_rules_that_fired_and_enter_narrows_to_one() -> None:
    app = make_app(TRACES, rules=read_ruleset([str(RULES)], default=False))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await pilot.press("a")
        panel = app.query_one(FindingsPanel)
        assert panel.display and app.focused is app.table  # opening takes no keyboard
        fired = {name for names in FIRED for name in names}
        head = f"{len(fired)} rules fired in the view"
        await wait_until(pilot, lambda: head in panel_lines(app)[0])
        shown = panel_lines(app)[1:]
        assert len(shown) == len(fired)
        # most severe first: every Warning before the Notices, the Informational ones last
        priorities = [line.split()[0] for line in shown]
        assert priorities == sorted(priorities, key=["WARN", "NOTICE", "INFO"].index)
        attach = next(line for line in shown if "Attach/Exec Pod" in line)
        assert attach.split()[:2] == ["NOTICE", str(count("Attach/Exec Pod"))]
        assert "2018-10-26 13:38:34 – 13:42:46" in attach  # first and last, not log order

        await pilot.press("tab")
        assert app.focused is panel
        panel.highlighted = next(i for i, line in enumerate(panel_lines(app))
                                 if "Attach/Exec Pod" in line)  # fmt: skip
        await pilot.press("enter")
        await filtered(pilot, app, 'alert:"Attach/Exec Pod"')
        assert f"{count('Attach/Exec Pod')} / {len(EVENTS)} events" in status(app)
        await wait_until(pilot, lambda: panel_lines(app)[0].startswith("1 rule fired"))
        await pilot.press("escape")
        assert app.focused is app.table

        await submit(pilot, app, "verb:delete")
        await filtered(pilot, app, "verb:delete")
        await wait_until(pilot, lambda: "Attach/Exec Pod" not in "".join(panel_lines(app)))
        deleted = {n for e, names in zip(EVENTS, FIRED, strict=True) if e["verb"] == "delete"
                   for n in names}  # fmt: skip
        names = {line.split(maxsplit=2)[2].split("\n")[0] for line in panel_lines(app)[1:]}
        assert names == deleted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alert:any", sum(bool(names) for names in FIRED)),
        ("alert:none", sum(not names for names in FIRED)),
        ("alert:*clusterrole*", sum(any("ClusterRole" in n for n in names) for names in FIRED)),
        (
            "priority:>=warning",
            sum(any(r.priority == "Warning" for r in RULESET.matching(e)) for e in EVENTS),
        ),
    ],
)
async def test_alert_and_priority_queries_filter_the_table(text: str, expected: int) -> None:
    app = make_app(TRACES, rules=read_ruleset([str(RULES)], default=False))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await submit(pilot, app, text)
        await filtered(pilot, app, text)
        assert len(app.table.rows) == expected > 0


async def test_without_rules_the_query_bar_says_what_alert_needs() -> None:
    app = make_app(TRACES)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await submit(pilot, app, "alert:any")
        bar = app.query_one(QueryBar)
        await wait_until(pilot, lambda: bar.has_class("-error"))
        error_line = bar.query_one(".error").render().plain
        assert "'alert' works once detection rules are loaded (--rules FILE)" in error_line
        await pilot.press("escape", "a")
        await wait_until(pilot, lambda: "no detection rules loaded" in "".join(panel_lines(app)))


async def test_table_marks_events_with_alerts_by_their_priority() -> None:
    app = make_app(TRACES, rules=read_ruleset([str(RULES)], default=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, len(EVENTS))
        table = app.table
        assert [c.key for c in table.columns][:2] == ["alert", "time"]
        await wait_until(pilot, lambda: app.alerts.behind() == 0)
        await pilot.pause(0.2)
        table.action_first()
        await pilot.pause()
        for y in range(table.size.height):
            strip = table.render_line(y)
            first = strip._segments[0]
            names = FIRED[y]
            assert (first.text == "!") == bool(names), (y, names)
            if names:  # the colour of the most severe priority among its alerts
                rank = min(PRIORITIES.index(r.priority) for r in RULESET.matching(EVENTS[y]))
                assert first.style == table._style(ALERT_ROLES[rank], y == table.cursor)
        assert table.render_line(0)._segments[0].style == table._style("alert-warning", True)
        header = str(app.query_one("ColumnHeader").render())
        assert header.startswith("  TIME")  # the gutter keeps TIME, USER, VERB, RESOURCE, CODE
        assert all(word in header for word in ("USER", "VERB", "RESOURCE", "CODE"))


async def test_detail_view_lists_the_alerts_of_the_event() -> None:
    app = make_app(TRACES, rules=read_ruleset([str(RULES)], default=False))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        app.table.action_first()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        alerts = app.screen.query_one("#detail-alerts")
        await wait_until(pilot, lambda: "Anonymous" in str(alerts.render()))
        text = str(alerts.render())
        for name in FIRED[0]:
            assert name in text
        assert "Warning Request by anonymous user allowed (user=system:anonymous" in text
        await pilot.press("escape")
        quiet = next(n for n, names in enumerate(FIRED) if not names)
        app.table.go_to_row(app.store.first_id + quiet)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        alerts = app.screen.query_one("#detail-alerts")
        await wait_until(pilot, lambda: "no rule fires" in str(alerts.render()))


async def test_hostile_rule_output_is_shown_escaped(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(ui_event(1, user="mallory\u202e\x1b[31m")))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format("Who", "ka.verb = get", "'user=%ka.user.name'", "ERROR"))
    app = make_app(log, rules=read_ruleset([str(rules)], default=False))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        alerts = app.screen.query_one("#detail-alerts")
        await wait_until(pilot, lambda: "user=" in str(alerts.render()))
        text = str(alerts.render())
        assert "user=mallory\\u202e\\x1b[31m" in text and "\x1b" not in text


async def test_rules_reload_when_the_file_changes_and_errors_keep_the_old_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kaudit_tui.ui.detections, "RULES_POLL", 0.05)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format("Deletes", "ka.verb = delete", "'del %ka.target.name'", "ERROR"))
    app = make_app(TRACES, rules=read_ruleset([str(rules)], default=False), query="alert:any")
    deletes = sum(e["verb"] == "delete" for e in EVENTS)
    creates = sum(e["verb"] == "create" for e in EVENTS)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await pilot.press("a")
        await filtered(pilot, app, "alert:any")
        assert len(app.table.rows) == deletes
        await wait_until(pilot, lambda: "Deletes" in "".join(panel_lines(app)))
        assert panel_lines(app)[1].split()[:3] == ["ERROR", str(deletes), "Deletes"]

        creating = RULE.format("Creates", "ka.verb = create", "'new %ka.target.name'", "INFO")
        rules.write_text(creating)
        await wait_until(pilot, lambda: "Creates" in "".join(panel_lines(app)))
        assert "Deletes" not in "".join(panel_lines(app))
        assert any("rules reloaded: 1 rules in force" in note for note in notes(app))
        # the query asked for alerts: it is applied again with the new rules
        await wait_until(pilot, lambda: len(app.table.rows) == creates)

        rules.write_text(RULE.format("Broken", "ka.bogus = 1", "o", "INFO"))
        await wait_until(pilot, lambda: any("unknown field 'ka.bogus'" in n for n in notes(app)))
        assert any("the previous rules stay in force" in n for n in notes(app))
        await wait_until(pilot, lambda: "unknown field 'ka.bogus'" in panel_lines(app)[0])
        assert "Creates" in "".join(panel_lines(app))
        assert len(app.table.rows) == creates


async def test_events_appended_to_a_followed_log_are_scanned_and_counted(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(*(ui_event(n) for n in range(5))))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format("Exec", "ka.target.subresource = exec", "'exec %ka.user.name'",
                                 "WARNING"))  # fmt: skip
    app = make_app(
        log, follow=True, rules=read_ruleset([str(rules)], default=False), panels=["findings"]
    )
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, 5)
        await wait_until(pilot, lambda: "no rule fired in the view" in panel_lines(app)[0])
        with log.open("ab") as out:
            for n in range(5, 12):
                out.write(lines(ui_event(n, verb="create", resource="pods",
                                         subresource="exec", user="mallory")))  # fmt: skip
        await loaded(pilot, app, 12)
        await wait_until(pilot, lambda: "1 rule fired" in panel_lines(app)[0])
        await wait_until(pilot, lambda: panel_lines(app)[1].split()[:3] == ["WARN", "7", "Exec"])
        assert app.alerts.top_rank(app.store.first_id + 11) == 4  # Warning: the gutter marks it
        assert app.alerts.top_rank(app.store.first_id) is None
