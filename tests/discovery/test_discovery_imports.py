"""Discovery runs before the UI and in the headless modes: it must not pull in Textual."""

from __future__ import annotations

import subprocess
import sys


def test_discovery_imports_no_textual_or_rich() -> None:
    code = (
        "import sys, kaudit_tui.discovery, kaudit_tui.discovery.search; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
