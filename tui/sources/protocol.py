"""The source protocol: what one kind of input delivers, in what order, and what it reports.

A *source* is one logical stream of audit log lines with a name (a file with its rotated
backups, a pipe, a cloud log export, a webhook receiver). The source set runs every source in
its own task, merges their lines by event time, batches them and hands them to the pipeline.
Implement :class:`Source` and register how it is opened (:mod:`.registry`); nothing else needs
to know about a new kind of input.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from .items import CaughtUp, LineBatch, SegmentEnd, SourceStatus

SourceYield = LineBatch | SegmentEnd | SourceStatus | CaughtUp
"""What ``Source.items`` may yield."""


@runtime_checkable
class Source(Protocol):
    """One named stream of events.

    ``items()`` is called once, in its own task, and its items are consumed in order:

    ``LineBatch``
        Complete lines of one *reader* (a :class:`~kaudit_tui.core.segments.RawReader`: a
        file, a spool, anything with ``read_at``), each ending in ``\\n``; only the last batch
        of a reader may end without one. ``reader.read_at(batch.offset, len(batch.data))``
        returns ``batch.data`` until ``close``: the index keeps only the locator and reads the
        raw text back for the detail view and ``--print``. Per reader, offsets ascend and
        batches do not overlap. A source may use several readers one after the other (rotated
        backups, a file replaced or truncated under it), never two at once.
    ``SegmentEnd(reader)``
        That reader will get no more lines; it comes after the reader's last batch (the
        indexer then completes an unterminated last line). Every reader a finished source
        used has had its ``SegmentEnd`` by the time ``items()`` returns.
    ``SourceStatus(label, state, message)``
        A change of state, shown in the status bar and, for ``error`` and ``waiting``, on
        stderr by the headless modes. ``label`` is the source's ``label``; ``state`` is one of
        ``STATES``; ``message`` names the input and is built from paths, not event text. The
        first item is a status (``reading``, or ``waiting`` for an input that is not there
        yet). A source that ends says so last: ``ended``, or ``error`` naming the reason.
        ``following``, ``waiting``, ``rotated`` and ``truncated`` are live states; ``error``
        while live means "retrying", not the end.
    ``CaughtUp(label)``
        Everything readable right now has been yielded and the source is about to wait for
        more (a followed file at its end, a pipe with no data, a receiver with no requests).
        **A source that can wait must yield it before every wait**: the time-ordered merge
        holds back the other sources' lines until each source either offers a line or has
        said it is caught up, so a source that waits silently stalls every other input. A
        source that never waits (a finished file) need not yield it; ending is enough.

    ``items()`` may raise ``OSError`` or ``SourceError``: the source set turns that into an
    ``error`` status naming the source, and the source counts as ended. Other exceptions reach
    the consumer. The source set reads only a few items ahead, so a source should produce
    lazily rather than read everything at once.

    ``close()`` is called once the run is over: after ``items()`` finished, or after it was
    cancelled at any ``await`` (quitting, Ctrl-C), or without ``items()`` ever having run
    (another input failed to open). It releases descriptors, removes spool files and stops
    background work, must not block for long, and must be safe to call twice. Readers stay
    readable until then.
    """

    label: str
    """The logical source name: shown in the status bar and matched by ``source:``."""

    def items(self) -> AsyncIterator[SourceYield]:
        """The lines, segment ends and status changes of this source, in order."""
        ...

    def close(self) -> None:
        """Release everything the source holds; idempotent."""
        ...
