"""``--history RESOURCE[/NAMESPACE]/NAME``: every request on one object, oldest first, with the
change each write made as a unified diff (text) or a JSON Patch (``--json``, one line per
request).

The answer comes from :mod:`kaudit_tui.core.answers.history`; the query (``-q``) narrows which
requests are listed, while every request on the object still counts for the versions, so a
patch is always against the version before it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import numpy as np

from kaudit_tui.core.answers.history import ObjectSpec, SpecError, object_history, parse_spec
from kaudit_tui.core.answers.history_text import history_lines
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.usage import UsageError

from .printing import dumps

OTHER_MODES = ("print", "stats", "explain", "policy_report", "alerts")


def check_history_arguments(args: argparse.Namespace) -> ObjectSpec:
    """The object ``--history`` names; usage errors before any input is read."""
    if any(getattr(args, mode, False) for mode in OTHER_MODES) or args.rbac_for is not None:
        raise UsageError("--history writes the object's timeline: use it without other modes")
    try:
        return parse_spec(args.history)
    except SpecError as error:
        raise UsageError(f"--history: {error}") from None


def print_history(
    store: EventStore,
    rows: np.ndarray,
    args: argparse.Namespace,
    policy: object | None = None,
    stream: TextIO | None = None,
) -> None:
    """The timeline of ``args.history`` over the requests among ``rows``."""
    stream = stream if stream is not None else sys.stdout
    history = object_history(store, parse_spec(args.history), policy=policy)
    listed = np.isin(
        np.asarray([entry.row for entry in history.entries], dtype=np.int64),
        np.asarray(rows, dtype=np.int64),
    )
    entries = [entry for entry, keep in zip(history.entries, listed.tolist(), strict=True) if keep]
    if args.json:
        for entry in entries:
            stream.write(dumps(entry.json()).decode() + "\n")
    else:
        stream.write("\n".join(history_lines(history, entries)) + "\n")
    stream.flush()
    if not history.entries:
        label = sanitize(history.spec.label())
        print(f"kaudit-tui: no request on {label} in the log", file=sys.stderr)
