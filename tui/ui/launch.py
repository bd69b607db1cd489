"""Starting the UI from the command line: open the sources, the policy and the rules, run the App.

Everything that can fail because of what the user typed (a missing file, a broken policy or
rules file) fails here, before the terminal is taken over, with a one-line message and an exit
code.
"""

from __future__ import annotations

import os
import sys


def launch(args: object, paths: list[str], query: str, *, stdin_fd: int | None = None) -> int:
    """Open what the command line names and run the UI until the user quits; exit code."""
    from kaudit_tui.core.sanitize import sanitize
    from kaudit_tui.sources import SourceError, open_sources
    from kaudit_tui.usage import EXIT_SOURCE, load_policy_file, load_rules_files

    demo = bool(getattr(args, "demo", False))
    follow = getattr(args, "follow", None)
    if follow is None:
        follow = len(paths) == 1 and paths[0] != "-" and not paths[0].endswith(".gz")
        if follow and not os.path.lexists(paths[0]):
            # Following was not asked for: a missing file is a typo, not a log to wait for.
            print(f"kaudit-tui: {sanitize(paths[0])}: no such file", file=sys.stderr)
            return EXIT_SOURCE
    policy_path = getattr(args, "policy", None)
    policy = load_policy_file(policy_path) if policy_path else None  # UsageError: exit 2
    rule_paths = getattr(args, "rules", None) or []
    default_rules = not getattr(args, "no_default_rules", False)
    rules = None  # the built-in triage rules unless --no-default-rules, then --rules files
    if default_rules or rule_paths:
        rules = load_rules_files(rule_paths, default_rules)  # UsageError: exit 2
    try:
        if demo:
            from kaudit_tui.demo.replay import demo_files, start_replay

            read_fd, write_fd = os.pipe()
            start_replay(demo_files()[0], write_fd)
            sources = open_sources(["-"], follow=False, stdin_fd=read_fd)
        else:
            sources = open_sources(paths, follow=follow, stdin_fd=stdin_fd)
    except SourceError as error:
        print(f"kaudit-tui: {sanitize(str(error))}", file=sys.stderr)
        return EXIT_SOURCE
    from kaudit_tui.ui.app import KauditApp
    from kaudit_tui.ui.panels import PolicyPanel, TimeHistogram

    app = KauditApp(
        sources,
        query=query,
        policy=policy,
        theme=getattr(args, "theme", None),
        show_secrets=bool(getattr(args, "show_secrets", False)),
        max_events=getattr(args, "max_events", None),
        panels=(TimeHistogram.NAME, PolicyPanel.NAME) if demo else (),
        rules=rules,
    )
    app.run()
    return app.return_code or 0
