"""The export path typed in one burst after ctrl+u is the path used (every text field keeps
its keys in the order they were typed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LOGS
from tests.e2e.tmux import Terminal, kaudit, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    terminal = Terminal(kaudit("--no-follow", str(LIGGITT)), tmp_path)
    yield terminal
    terminal.close()


def test_a_burst_after_ctrl_u_names_the_export_file(term: Terminal, tmp_path: Path) -> None:
    target = tmp_path / "burst.jsonl"
    term.wait_for("757 / 757 events")
    term.keys("e")
    term.wait_for("Enter writes the file")
    term.keys("C-u", *str(target), "Enter")  # one send-keys: the program reads one burst
    term.wait_for("exported 757 events")
    assert target.read_bytes() == LIGGITT.read_bytes()
