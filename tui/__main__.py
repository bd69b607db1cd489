"""Entry point for ``python -m kaudit_tui``."""

from kaudit_tui.cli import main

raise SystemExit(main())
