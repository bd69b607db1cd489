"""Command-line side of discovery: the options, ``--where``, and the sources it yields.

Kept apart from ``cli.py`` so the CLI only has to call three functions.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from kaudit_tui.discovery.discover import discover
from kaudit_tui.discovery.model import Discovery, DiscoveryError
from kaudit_tui.discovery.text import shown

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


def discover_for_viewing(args: argparse.Namespace, err: TextIO = sys.stderr) -> Discovery | None:
    """Discover the log to open, or explain on ``err`` why there is none (then exit 2).

    The caller opens ``readable_log_paths`` (oldest backup first, then the active log) and
    ``policy_path`` as if they had been given on the command line, and shows ``origin``.
    """
    try:
        found = _discover(args)
    except DiscoveryError as exc:
        print(exc, file=err)
        return None
    if found.readable_log_paths:
        return found
    err.write(found.render())
    print(f"kaudit-tui: no audit log to open from {shown(found.origin)}", file=err)
    return None


def _discover(args: argparse.Namespace) -> Discovery:
    return discover(root=args.root or "/", manifest=args.manifest)
