"""The rules screen (``P``) and ``--policy-report`` show the same columns, units and numbers."""

from __future__ import annotations

import re
import subprocess
import sys

from kaudit_tui.core.policy import REPORT_HEADERS, load_policy
from kaudit_tui.demo.replay import demo_files
from kaudit_tui.ui.screens.policy_rules import PolicyRulesScreen
from tests.ui.support import loaded, make_app, wait_until

DEMO_LOG, DEMO_POLICY = demo_files()
TOTAL = sum(1 for _ in DEMO_LOG.open("rb"))


def report_rows() -> list[list[str]]:
    """The rows of ``kaudit-tui --policy-report`` (a real process), split into cells."""
    done = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", "--policy-report", "-p", str(DEMO_POLICY),
         str(DEMO_LOG)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == list(REPORT_HEADERS)
    rows = []
    for line in lines[2:]:
        if line.startswith("---"):
            break
        rule, rest = line[:7].strip(), line[7:]
        number = rest[:6].strip()
        cells = re.split(r"\s{2,}", rest[6:].strip())
        rows.append([rule, number, *cells])
    return rows


async def test_rules_screen_matches_the_policy_report_and_fits_80_columns() -> None:
    app = make_app(DEMO_LOG, policy=load_policy(str(DEMO_POLICY)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, TOTAL)
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(app.screen, PolicyRulesScreen))
        table = app.screen.query_one("DataTable")
        assert [str(c.label) for c in table.columns.values()] == list(REPORT_HEADERS)
        await wait_until(pilot, lambda: "…" not in table.get_column_at(6))
        shown = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        title = app.screen.query_one("#rules-title")
        text = str(title.render())
        assert text == f"demo-policy.yaml: rules over the {TOTAL:,} events in view"
        assert len(text) <= title.content_region.width <= 80
    assert shown == report_rows()
