"""How a command-line input is opened: a registry of source kinds.

Each kind of input registers a test for the specs it takes (``-``, ``listen:ADDR``, a
``gs://`` URL, ...) and a function that opens one as a :class:`~.protocol.Source`.
``open_sources`` asks the registry about every spec, most recent registration first; a spec
no kind claims is a file path, grouped with its rotated backups and opened by the file
source. Adding a kind of input is therefore one module (the source and its opener) and one
``register_opener`` call.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from .protocol import Source


class OpenOptions(msgspec.Struct, frozen=True):
    """What the command line says about every input of a run."""

    follow: bool
    """Keep reading as the input grows (files); a one-shot reader ends at the current end."""
    poll_interval: float = 0.1
    """Seconds between checks of an input that has nothing new (for polling sources)."""
    stdin_fd: int | None = None
    """Descriptor piped events are read from (see ``detach_stdin``); None means fd 0."""


Matches = Callable[[str], bool]
Open = Callable[[str, OpenOptions], Source]


class Opener(msgspec.Struct, frozen=True):
    """One registered kind of input."""

    name: str
    matches: Matches
    """Whether a command-line spec names an input of this kind."""
    open: Open
    """Open the input now (raise ``SourceError`` naming it when it cannot be read at all);
    reading starts when the source set iterates the returned source."""


_OPENERS: list[Opener] = []


def register_opener(matches: Matches, open: Open, *, name: str = "") -> Callable[[], None]:
    """Make ``open_sources`` open the specs ``matches`` accepts with ``open``.

    Later registrations are consulted first. Returns a function that removes this one
    again (for tests and plugins that come and go).
    """
    opener = Opener(name or getattr(open, "__name__", "source"), matches, open)
    _OPENERS.append(opener)

    def unregister() -> None:
        if opener in _OPENERS:
            _OPENERS.remove(opener)

    return unregister


def opener_for(spec: str) -> Opener | None:
    """The registered kind that takes ``spec``, or None for a file path."""
    for opener in reversed(_OPENERS):
        if opener.matches(spec):
            return opener
    return None


def openers() -> list[Opener]:
    """The registered kinds, most recent first."""
    return list(reversed(_OPENERS))
