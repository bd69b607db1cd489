"""Keys sent to the real program in one burst (one ``tmux send-keys``) apply in the order sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, kaudit, needs_tmux
from tests.ui.support import lines, ui_event

pytestmark = [pytest.mark.e2e, needs_tmux]


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    """The program on 200 events: every fourth a delete, every tenth a 403."""
    log = tmp_path / "audit.log"
    log.write_bytes(
        lines(*(ui_event(i, code=403 if i % 10 == 0 else 200,
                      verb="delete" if i % 4 == 0 else "get") for i in range(200)))
    )  # fmt: skip
    terminal = Terminal(kaudit(str(log)), tmp_path)
    yield terminal
    terminal.close()


def status_line(screen: str) -> str:
    return next(line for line in screen.splitlines() if " events" in line)


def test_a_burst_of_editing_keys_applies_the_typed_filter(term: Terminal) -> None:
    term.wait_for("200 / 200 events")
    term.keys("/")
    term.type("verb:get")
    term.keys("Enter")
    term.wait_for("filter: verb:get")

    term.keys("/", "C-u", *"code:403", "Enter")  # one send-keys: the program reads one burst
    term.wait_for("filter: code:403")
    assert "20 / 200 events" in status_line(term.wait_for("20 / 200 events"))

    term.keys("/", "End", *["BSpace"] * 3, *"200 verb:delete", "Enter")
    term.wait_for("filter: code:200 verb:delete")
    assert "40 / 200 events" in status_line(term.wait_for("40 / 200 events"))
