"""``--rbac-for USER``: the least-privilege Roles, ClusterRoles and bindings for one identity's
requests among the matching events, as YAML documents on stdout.

The answer comes from :mod:`kaudit_tui.core.answers.rbac`; the query (``-q``) narrows which
requests count, and ``--rbac-skip-denied`` leaves denied requests out, saying how many.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import numpy as np

from kaudit_tui.core.answers.rbac import name_problem, rbac_for
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.usage import UsageError


def check_rbac_arguments(args: argparse.Namespace) -> None:
    """Usage errors of the ``--rbac-*`` options, before any input is read."""
    identity = getattr(args, "rbac_for", None)
    if identity is None:
        if args.rbac_name is not None or args.rbac_skip_denied:
            raise UsageError("--rbac-name and --rbac-skip-denied go with --rbac-for USER")
        return
    if not identity:
        raise UsageError("--rbac-for needs a user name (or system:serviceaccount:NS:NAME)")
    if args.print or args.stats or args.explain or args.policy_report:
        raise UsageError("--rbac-for writes YAML on stdout: use it without the other modes")
    if args.rbac_name is not None:
        problem = name_problem(args.rbac_name)
        if problem:
            raise UsageError(f"--rbac-name {args.rbac_name!r}: {problem}")


def print_rbac(
    store: EventStore, rows: np.ndarray, args: argparse.Namespace, stream: TextIO | None = None
) -> None:
    """The YAML for ``args.rbac_for`` over ``rows``; a note on stderr when it made none."""
    stream = stream if stream is not None else sys.stdout
    answer = rbac_for(
        store, rows, args.rbac_for, name=args.rbac_name, skip_denied=args.rbac_skip_denied
    )
    stream.write(answer.yaml())
    stream.flush()
    if not answer.requests and not answer.denied:
        who = sanitize(args.rbac_for)
        print(f"kaudit-tui: no request by {who} among the matching events", file=sys.stderr)
