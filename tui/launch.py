"""Starting the UI from the command line: open the sources and the policy, run the App.

Everything that can fail because of what the user typed (a missing file, a broken policy)
fails here, before the terminal is taken over, with a one-line message and an exit code.
"""

from __future__ import annotations

import os
import sys

EXIT_SOURCE = 1
EXIT_USAGE = 2


def _policy(path: str | None) -> object | None:
    if not path:
        return None
    from kaudit_tui.core.policy import PolicyError, load_policy

    try:
        loaded = load_policy(path)
    except PolicyError as error:
        raise _Fail(f"bad policy: {error}", EXIT_USAGE) from None
    except OSError as error:
        raise _Fail(f"cannot read policy {path}: {error.strerror}", EXIT_USAGE) from None
    return loaded


class _Fail(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def launch(args: object, paths: list[str], query: str, *, stdin_fd: int | None = None) -> int:
    """Open what the command line names and run the UI until the user quits; exit code."""
    from kaudit_tui.core.sanitize import sanitize
    from kaudit_tui.sources import SourceError, open_sources

    demo = bool(getattr(args, "demo", False))
    follow = getattr(args, "follow", None)
    if follow is None:
        follow = len(paths) == 1 and paths[0] != "-" and not paths[0].endswith(".gz")
    try:
        policy = _policy(getattr(args, "policy", None))
        if demo:
            from kaudit_tui.demo.replay import demo_files, start_replay

            read_fd, write_fd = os.pipe()
            start_replay(demo_files()[0], write_fd)
            sources = open_sources(["-"], follow=False, stdin_fd=read_fd)
        else:
            sources = open_sources(paths, follow=follow, stdin_fd=stdin_fd)
    except _Fail as error:
        print(f"kaudit-tui: {sanitize(str(error))}", file=sys.stderr)
        return error.code
    except SourceError as error:
        print(f"kaudit-tui: {sanitize(str(error))}", file=sys.stderr)
        return EXIT_SOURCE
    from kaudit_tui.app import KauditApp

    app = KauditApp(
        sources,
        query=query,
        policy=policy,
        theme=getattr(args, "theme", None),
        show_secrets=bool(getattr(args, "show_secrets", False)),
        max_events=getattr(args, "max_events", None),
        panels=("histogram", "policy") if demo else (),
    )
    app.run()
    return app.return_code or 0
