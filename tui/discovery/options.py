"""Command-line side of discovery: the options, ``--where``, and the sources it yields.

Kept apart from ``cli.py`` so the CLI only has to call three functions.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.discovery.model import Discovery, DiscoveryError

EXIT_NOT_FOUND = 2


def add_discovery_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--where``, ``--root DIR`` and ``--manifest PATH`` to ``parser``."""
    group = parser.add_argument_group(
        "discovery", "with no SOURCE on a control-plane node, find the apiserver's audit log"
    )
    group.add_argument(
        "--where",
        action="store_true",
        help="print where the apiserver's audit log and policy are, then exit",
    )
    group.add_argument(
        "--root",
        metavar="DIR",
        help="discover on the node whose / is DIR (e.g. a copied node filesystem)",
    )
    group.add_argument(
        "--manifest",
        metavar="PATH",
        help="read the kube-apiserver static pod manifest at PATH instead of searching",
    )


def discovery_requested(args: argparse.Namespace, has_source: bool, stdin_is_tty: bool) -> bool:
    """True when discovery should run: asked for explicitly, or nothing else to read."""
    explicit = args.where or args.root is not None or args.manifest is not None
    return explicit or (not has_source and stdin_is_tty)


def run_where(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """``--where``: print what discovery found; exit status 2 when nothing was found."""
    try:
        found = _discover(args)
    except DiscoveryError as exc:
        print(exc, file=err)
        return EXIT_NOT_FOUND
    out.write(found.render())
    return 0


def discovered_sources(args: argparse.Namespace) -> list[str]:
    """Discover the log to open, as if its files had been named on the command line.

    Sets ``args.policy`` to the discovered policy unless one was given, and
    ``args.discovery`` to the ``Discovery`` (its ``origin`` belongs in the status bar).
    Returns the readable files of the log, oldest backup first, the active log last.

    Raises:
        DiscoveryError: nothing found, or no log file to open; ``str()`` says why.
    """
    if args.sources and (args.root is not None or args.manifest is not None):
        raise DiscoveryError(
            "kaudit-tui: --root and --manifest find the audit log themselves: give no SOURCE"
        )
    found = _discover(args)
    paths = found.readable_log_paths
    if not paths:
        raise DiscoveryError(
            found.render() + f"kaudit-tui: no audit log to open from {sanitize(found.origin)}"
        )
    if args.policy is None and found.policy_path and os.access(found.policy_path, os.R_OK):
        args.policy = found.policy_path
    args.discovery = found
    return paths


def summary(found: Discovery) -> str:
    """Lines for stderr in the headless modes: what is read, from where, and the notes."""
    count = len(found.readable_log_paths)
    lines = [
        f"kaudit-tui: reading {count} file{'s' * (count != 1)} of {sanitize(found.log_path or '')}"
        f" ({found.origin})"
    ]
    lines.extend(f"kaudit-tui: {note}" for note in found.notes)
    return "\n".join(lines)


def _discover(args: argparse.Namespace) -> Discovery:
    from kaudit_tui.discovery.search import discover

    return discover(root=args.root or "/", manifest=args.manifest)
