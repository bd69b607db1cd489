"""What sources yield and a source set delivers: batches of lines, segment ends, status changes.

The items are plain frozen values so they can cross task boundaries freely. Raw text is never
copied into the index: a ``LineBatch`` names the reader and offset its bytes can be re-read
from, which is all the event index keeps.
"""

from __future__ import annotations

import msgspec

from kaudit_tui.core.segments import RawReader

STATES = frozenset({"reading", "following", "waiting", "rotated", "truncated", "ended", "error"})
"""The values ``SourceStatus.state`` takes."""


class LineBatch(msgspec.Struct, frozen=True):
    """One or more complete lines, each ending in ``b"\\n"``.

    Only the very last batch of a segment that has ended may finish with an unterminated line
    (a file that does not end in a newline); a followed file's partial last line is held back
    until its newline arrives.
    """

    reader: RawReader
    offset: int
    """Offset of ``data[0]`` within ``reader``: ``reader.read_at(offset, len(data)) == data``."""
    data: bytes


class SegmentEnd(msgspec.Struct, frozen=True):
    """No more data will come for ``reader`` (rotated away, truncated, or the source ended)."""

    reader: RawReader


class SourceStatus(msgspec.Struct, frozen=True):
    """A change in a logical source's state, for the status bar and stderr."""

    label: str
    state: str
    """One of ``STATES``."""
    message: str
    """Human-readable, names the file; safe to show (built from paths, not event text)."""


class CaughtUp(msgspec.Struct, frozen=True):
    """A source has yielded everything readable now and is about to wait for more.

    Part of the source protocol (see ``Source``): a source that can wait must yield it before
    every wait. The time-ordered merge needs it: it may emit a line once every other source
    has either a later line waiting or nothing to read at the moment. The source set consumes
    it; consumers of a ``SourceSet`` never see it.
    """

    label: str


SourceItem = LineBatch | SegmentEnd | SourceStatus
"""What iterating a ``SourceSet`` yields."""


class SourceError(Exception):
    """A source that cannot be read at all; ``str()`` names the path and the reason."""
