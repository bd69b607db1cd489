"""The policy panel, the rules screen and reloading, on the demo log with its real policy."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import orjson

import kaudit_tui.ui.app
from kaudit_tui.core.policy import attributes_from_event, load_policy
from kaudit_tui.demo.replay import demo_files
from kaudit_tui.ui.screens.policy_rules import PolicyRulesScreen
from tests.ui.support import SIZE, filtered, loaded, make_app, status, wait_until

DEMO_LOG, DEMO_POLICY = demo_files()
EVENTS = [orjson.loads(line) for line in DEMO_LOG.read_bytes().splitlines()]


def decide(policy_path: Path, event: dict):  # noqa: ANN201
    return load_policy(str(policy_path)).evaluate(attributes_from_event(event))


def panel_text(app) -> str:  # noqa: ANN001
    return app.query_one("#policy-text").render().plain


async def highlight(pilot, app, index: int) -> None:  # noqa: ANN001
    app.table.go_to_row(app.store.first_id + index)
    await pilot.pause()


async def test_panel_shows_the_deciding_rule_and_why_earlier_rules_failed() -> None:
    index = next(
        n for n, e in enumerate(EVENTS)
        if e["user"].get("username") == "system:serviceaccount:ci:deployer"
        and e["verb"] == "create" and e["stage"] == "ResponseComplete"
    )  # fmt: skip
    expected = decide(DEMO_POLICY, EVENTS[index])
    assert expected.rule == 4  # the demo's deliberate rule-order mistake
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await pilot.press("p")
        await highlight(pilot, app, index)
        await wait_until(pilot, lambda: "rule 4" in panel_text(app))
        text = panel_text(app)
        assert "level RequestResponse" in text
        assert "logged: yes" in text
        assert 'users: ["system:serviceaccount:ci:deployer"]' in text
        for earlier in (1, 2, 3):
            assert f"\n{earlier:>3} " in text
        assert "\n  5 " not in text


async def test_panel_says_when_a_stage_is_omitted() -> None:
    index = next(
        n for n, e in enumerate(EVENTS)
        if e["verb"] == "get" and e["objectRef"].get("resource") == "leases"
        and e["stage"] == "ResponseComplete"
    )  # fmt: skip
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await pilot.press("p")
        await highlight(pilot, app, index)
        await wait_until(pilot, lambda: "rule 8" in panel_text(app))
        assert "omitted stages: RequestReceived" in panel_text(app)


async def test_rules_screen_counts_hits_and_filters_by_rule() -> None:
    hits = Counter(decide(DEMO_POLICY, e).rule for e in EVENTS)
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(app.screen, PolicyRulesScreen))
        screen = app.screen
        shown = {h.rule: h.events for h in screen.hits}
        assert shown == {rule: hits.get(rule, 0) for rule in [*range(1, 11), None]}
        assert sum(h.bytes for h in screen.hits) == DEMO_LOG.stat().st_size - len(EVENTS)
        table = screen.query_one("DataTable")
        table.move_cursor(row=4)  # rule 5
        await pilot.press("enter")
        await filtered(pilot, app, "rule:5")
        assert f"{hits[5]:,} / {len(EVENTS):,} events" in status(app)


async def test_policy_file_is_reloaded_when_it_changes(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(kaudit_tui.ui.app, "POLICY_POLL", 0.05)
    policy = tmp_path / "policy.yaml"
    shutil.copy(DEMO_POLICY, policy)
    index = next(
        n for n, e in enumerate(EVENTS)
        if e["user"].get("username") == "system:serviceaccount:ci:deployer"
    )  # fmt: skip
    app = make_app(DEMO_LOG, policy=load_policy(str(policy)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, len(EVENTS))
        await pilot.press("p")
        await highlight(pilot, app, index)
        deployer_rule = 'users: ["system:serviceaccount:ci:deployer"]'
        await wait_until(pilot, lambda: deployer_rule in panel_text(app))
        text = policy.read_text()
        fixed = text.replace(f"  - level: RequestResponse\n    {deployer_rule}\n", "")
        assert fixed != text
        policy.write_text(fixed)
        await wait_until(pilot, lambda: deployer_rule not in panel_text(app))
        now = decide(policy, EVENTS[index])
        assert (now.rule, now.level) == (4, "Metadata")  # the secrets rule, one place up
        assert "rule 4  level Metadata" in panel_text(app)

        policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Loud}]\n")
        await wait_until(pilot, lambda: "Loud" in panel_text(app))
        assert app.policy.policy.rules  # the last good policy stays in force


def test_demo_log_is_what_its_policy_would_write() -> None:
    policy = load_policy(str(DEMO_POLICY))
    for event in EVENTS:
        decision = policy.evaluate(attributes_from_event(event))
        assert decision.level == event["level"], event["auditID"]
        assert decision.logged(event["stage"]), event["auditID"]


async def test_policy_warnings_are_shown_when_it_loads(tmp_path: Path) -> None:
    # A misspelt field is ignored by kube-apiserver, so the rule matches every user: say so.
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"
        "  - level: None\n    userz: [system:kube-proxy]\n  - level: Metadata\n"
    )
    app = make_app(DEMO_LOG, policy=load_policy(str(policy)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications))
        (note,) = [n for n in app._notifications if n.title == "policy warning"]
        assert "policy.yaml:5" in note.message and "userz" in note.message
        assert note.severity == "warning"
