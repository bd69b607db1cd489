"""End to end in a real terminal: ``o`` on an event of the generated Deployment lifecycle shows
the object's history with coloured diffs, ``n`` the noise fields, Esc goes back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_tmux import assert_restored, start, terminal  # noqa: F401 (a fixture)
from tests.e2e.tmux import kaudit, needs_tmux
from tests.lifecycle import write_lifecycle

pytestmark = [pytest.mark.e2e, needs_tmux]


def foreground(styled: str, text: str) -> str:
    """The last foreground colour set before ``text`` on its line of the styled screen."""
    line = next(line for line in styled.splitlines() if text in line)
    codes = re.findall(r"\x1b\[([0-9;]*)m", line[: line.index(text)])
    return next((c for c in reversed(codes) if c.startswith("38;") or c in ("39", "0")), "")


def test_history_of_the_highlighted_event(tmp_path: Path, terminal) -> None:  # noqa: ANN001, F811
    log = tmp_path / "audit.log"
    write_lifecycle(log)
    term = start(terminal, kaudit("--no-follow", "-q", "user:mallory", str(log)), tmp_path)
    term.wait_for("2 / 28 events")
    term.keys("o")
    screen = term.wait_for("13 requests (9 changes, 1 denied, 1 dry run)")
    assert "history of deployments.apps/shop/frontend (the whole log)" in screen
    assert "create  alice  201  ResponseComplete  7ms" in screen
    screen = term.wait_for("n Noise fields")  # the screen's own keys in the footer
    assert "o History" not in screen
    assert "resourceVersion" not in term.screen()

    term.keys("n")
    term.wait_for("resourceVersion")
    term.keys("n")
    term.wait_for(lambda s: "resourceVersion" not in s and "noise fields hidden" in s)
    term.keys("End")
    term.wait_for("deleted by alice at 2026-11-26T09:13:00.091000Z")
    # the last change, a strategic merge patch removing the env var, as a coloured diff
    styled = term.styled_screen()
    added = foreground(styled, "+      - image: shop/frontend:1.1")
    removed = foreground(styled, "-      - env:")
    plain = foreground(styled, "deleted by alice")
    assert len({added, removed, plain}) == 3, (added, removed, plain)

    term.keys("Escape")
    term.wait_for("2 / 28 events")
    term.keys("q")
    assert_restored(term)
