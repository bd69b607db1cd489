"""How the program says it was built, how a standalone executable starts its helper, and what
the build puts in it (without building: that is test_executable.py)."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import kaudit_tui
from kaudit_tui import __version__, version_text
from kaudit_tui.core import parallel

REPO = Path(__file__).resolve().parents[2]


def test_an_installed_program_says_installed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", "--version"], capture_output=True, text=True
    )
    assert done.stdout == f"kaudit-tui {__version__} (installed)\n"
    assert not (REPO / "tui" / "_build.py").exists(), "the build module is never committed"


def test_a_standalone_build_says_standalone_commit_and_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build = types.ModuleType("kaudit_tui._build")
    build.KIND, build.COMMIT, build.PYTHON = "standalone", "abc1234", "3.11.7"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kaudit_tui._build", build)
    monkeypatch.setattr(kaudit_tui, "_build", build, raising=False)
    assert version_text() == f"kaudit-tui {__version__} (standalone, commit abc1234, Python 3.11.7)"


def test_the_helper_is_this_module_installed_and_the_executable_itself_when_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parallel.helper_command(5) == [sys.executable, "-m", "kaudit_tui.core.parallel", "5"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert parallel.helper_command(5) == [sys.executable, parallel.HELPER_FLAG, "5"]
    # The entry point recognises exactly that argument.
    assert (
        repr(parallel.HELPER_FLAG).replace("'", '"') in (REPO / "tui" / "__main__.py").read_text()
    )


def test_the_entry_point_runs_the_helper_for_the_hidden_argument() -> None:
    # With its pipe closed at once, the helper says it is ready and ends.
    done = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", parallel.HELPER_FLAG, "0"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x80")  # the pickled "ready"


def test_the_staged_package_has_the_build_module_and_every_data_file(tmp_path: Path) -> None:
    from kaudit_tui.standalone import build

    package = build.stage(tmp_path)
    text = (package / "_build.py").read_text()
    assert 'KIND = "standalone"' in text and "COMMIT = " in text and "PYTHON = " in text
    assert not (package / "standalone").exists()
    spec = build.write_spec(tmp_path, package).read_text()
    for name in ("app.tcss", "kaudit-dark.toml", "kaudit-light.toml", "demo-audit.jsonl"):
        assert name in spec
    assert "demo-policy.yaml" in spec and "collect_submodules" in spec
