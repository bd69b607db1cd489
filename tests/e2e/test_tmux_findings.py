"""Detections in a real 80x24 terminal: Falco's k8s audit trace files with the community rules.
The alert gutter marks events, the findings panel lists the rules that fired, Enter on one
narrows the table to it, ``alert:`` queries filter, and a broken rules file is refused before
the terminal is taken over."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATA, LOGS
from tests.e2e.tmux import Terminal, kaudit, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

RULES = DATA / "rules" / "falco-k8s_audit_rules.yaml"
TRACES = LOGS / "falco-k8s-audit-trace-files.jsonl"
BORDER = "▊"
ROW = re.compile(r"^([! ]) (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d")


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    terminal = Terminal(
        kaudit("--no-default-rules", "--rules", str(RULES), str(TRACES)),
        tmp_path,
        width=80,
        height=24,
    )
    try:
        terminal.wait_for("51 / 51 events")
        yield terminal
    finally:
        terminal.close()


def rows(screen: str) -> list[re.Match[str]]:
    return [m for line in screen.splitlines() if (m := ROW.match(line.split(BORDER)[0]))]


def test_the_gutter_marks_events_that_fire_rules(term: Terminal) -> None:
    screen = term.wait_for(
        lambda s: sum(m.group(1) == "!" for m in rows(s)) >= 5 and "  TIME" in s
    )  # the header follows the gutter one message later
    marks = [m.group(1) for m in rows(screen)]
    assert " " in marks  # events that fire nothing are not marked
    header = next(line for line in screen.splitlines() if "TIME" in line)
    for title in ("TIME", "USER", "VERB", "RESOURCE", "CODE"):
        assert re.search(rf"\b{title}\b", header), (title, screen)
    styled = term.styled_screen()
    assert re.search(r"\x1b\[[0-9;]*m!", styled)  # the mark is coloured by its priority


def test_findings_panel_and_enter_narrow_to_a_rule(term: Terminal) -> None:
    term.keys("a")
    screen = term.wait_for("rules fired")
    panel = "\n".join(line.split(BORDER, 1)[1] for line in screen.splitlines() if BORDER in line)
    # the most severe, then the most frequent, first (its name wraps in the narrow column)
    assert re.search(r"WARN   6\s+▇*\s*▎\n Create/Modify", panel), panel
    term.keys("Tab")
    term.wait_for("Narrow to rule")  # the keyboard is in the panel
    term.keys("Down", "Enter")  # the first rule
    screen = term.wait_for("6 / 51 events")
    assert 'filter › alert:"Create/Modify Configmap With Private Credentials"' in screen
    assert [m.group(1) for m in rows(screen)] == ["!"] * 6
    term.keys("Escape")
    term.keys("/")
    term.keys("C-u")
    term.type('alert:"attach/exec pod"')
    term.keys("Enter")
    screen = term.wait_for(lambda s: "2 / 51 events" in s and "1 rule fired" in s)
    assert len(rows(screen)) == 2
    term.keys("q")
    assert term.exit_code() == 0


def test_a_broken_rules_file_is_refused_before_the_ui_starts(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- rule: R\n  desc: d\n  condition: ka.bogus = 1\n  output: o\n  priority: INFO\n"
        "  source: k8s_audit\n"
    )
    terminal = Terminal(kaudit("--rules", str(rules), str(TRACES)), tmp_path, width=80, height=24)
    try:
        screen = terminal.wait_for("kaudit-tui: bad rules:")
        assert "unknown field 'ka.bogus'" in screen and "Traceback" not in screen
        assert terminal.exit_code() == 2
    finally:
        terminal.close()


def test_the_built_in_rules_run_with_no_flag(tmp_path: Path) -> None:
    terminal = Terminal(kaudit(str(TRACES)), tmp_path, width=100, height=30)
    try:
        terminal.wait_for("51 / 51 events")
        terminal.keys("a")
        screen = terminal.wait_for("rules fired")
        assert "CRIT" in screen  # Binding to cluster-admin, the most severe, comes first
        terminal.keys("/")
        terminal.type('alert:"binding to cluster-admin"')
        terminal.keys("Enter")
        terminal.wait_for(lambda s: "1 / 51 events" in s and "1 rule fired" in s)
        terminal.keys("q")
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
