"""End to end in a real terminal: the palette's "Least-privilege RBAC for this user" on the
audit2rbac demo log shows the YAML for the highlighted event's identity and exports it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import LOGS
from tests.e2e.test_tmux import assert_restored, start, terminal  # noqa: F401 (a fixture)
from tests.e2e.tmux import kaudit, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

LIGGITT = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"


def test_rbac_from_the_palette(tmp_path: Path, terminal) -> None:  # noqa: ANN001, F811
    term = start(terminal, kaudit("--no-follow", "-q", "who:bob", str(LIGGITT)), tmp_path)
    term.wait_for("/ 757 events")
    term.keys("C-p")
    term.wait_for("Search for commands")
    term.type("Least-privilege")
    term.wait_for("Least-privilege RBAC for this user")
    term.keys("Enter")
    screen = term.wait_for("least-privilege RBAC for bob")
    assert "# kaudit-tui: 29 requests by bob (4 of them denied)" in screen
    assert "kind: ClusterRole" in screen
    assert "name: kaudit:bob" in screen

    target = tmp_path / "bob-rbac.yaml"
    term.keys("e")
    term.wait_for("Export the RBAC YAML to:")
    term.keys("C-u")
    term.type(str(target))
    term.keys("Enter")
    term.wait_for("wrote the RBAC YAML")
    assert target.stat().st_mode & 0o777 == 0o600
    kinds = [d["kind"] for d in yaml.safe_load_all(target.read_text())]
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Role",
        "RoleBinding",
    ]

    term.keys("Escape")
    term.wait_for("/ 757 events")
    term.keys("q")
    assert_restored(term)
