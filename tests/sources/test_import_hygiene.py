"""The sources package stays free of UI libraries, so headless modes start fast."""

from __future__ import annotations

import subprocess
import sys


def test_sources_import_no_textual_or_rich() -> None:
    code = (
        "import sys, kaudit_tui.sources; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
