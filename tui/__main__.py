"""Entry point for ``python -m kaudit_tui`` and for the standalone executable.

The executable starts its indexing helper as itself with a hidden first argument
(``kaudit_tui.core.parallel.HELPER_FLAG``, see ``helper_command`` there); it is recognised here,
before the command line is parsed or the UI imported.
"""

import sys

if len(sys.argv) == 3 and sys.argv[1] == "--index-helper":
    from kaudit_tui.core.parallel import serve

    serve(int(sys.argv[2]))
    raise SystemExit(0)

from kaudit_tui.cli import main  # noqa: E402

raise SystemExit(main())
