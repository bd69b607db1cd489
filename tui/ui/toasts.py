"""A guard around Textual's toasts: a toast never starts with a timeout of zero or less.

Textual (8.2) mounts a toast for a notification that has not expired, then takes its timeout
from the clock once more. On a busy machine the notification can expire in between, the
toast's timer then gets a negative interval, and Textual's timer loop spins without yielding:
the screen freezes at full CPU. Whatever a toast's time left, it gets at least a moment.
"""

from __future__ import annotations

from textual.widgets._toast import Toast

SHORTEST = 0.05
"""Seconds: the least a toast's timer waits (an expired notification disappears at once)."""

_original_init = Toast.__init__


def _init(self: Toast, notification: object) -> None:
    _original_init(self, notification)  # type: ignore[arg-type]
    self._timeout = max(self._timeout, SHORTEST)


def guard_toast_timeouts() -> None:
    """Install the guard (idempotent)."""
    Toast.__init__ = _init  # type: ignore[method-assign]
