"""``python -m kaudit_tui.standalone``: build ``dist/kaudit-tui``."""

from kaudit_tui.standalone.build import main

raise SystemExit(main())
