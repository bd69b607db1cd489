"""The layers keep their promises: the domain core, the sources, node discovery and the
headless modes never import a terminal library, so scripts start fast and the core can be
read and tested without a screen; and the import contracts in pyproject.toml hold (core below
sources below the pipeline, view models without Textual, widgets without the app, no cycles)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEADLESS = (
    "kaudit_tui.core.decode",
    "kaudit_tui.core.ingest",
    "kaudit_tui.core.parallel",
    "kaudit_tui.core.store",
    "kaudit_tui.core.query",
    "kaudit_tui.core.policy",
    "kaudit_tui.core.detect",
    "kaudit_tui.core.requestinfo",
    "kaudit_tui.core.decisions",
    "kaudit_tui.core.sanitize",
    "kaudit_tui.sources",
    "kaudit_tui.discovery",
    "kaudit_tui.discovery.search",
    "kaudit_tui.cli",
    "kaudit_tui.headless",
)


@pytest.mark.parametrize("module", HEADLESS)
def test_imports_no_textual_or_rich(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_import_contracts_hold() -> None:
    """``lint-imports`` checks every import, including those inside functions."""
    root = Path(__file__).resolve().parents[1]
    code = "import sys, importlinter.cli as c; sys.exit(c.lint_imports(no_cache=True))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
