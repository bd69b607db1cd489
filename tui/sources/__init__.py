"""Live sources: files, rotated sets, gzip backups and pipes, delivered as batches of lines.

Nothing here imports Textual or Rich, nor anything but the core's reader and time helpers.

Reading
    ``open_sources(specs, follow=...)`` opens the command line's inputs (raising
    ``SourceError`` naming the one that cannot be read at all) as a ``SourceSet``. Iterating
    it yields ``LineBatch`` (complete lines plus the reader and offset they can be re-read
    from), ``SegmentEnd`` (a reader gets no more data) and ``SourceStatus`` changes, with the
    lines of several inputs merged by event time; ``SourceSet.bursts()`` yields the same
    items grouped by the moment they became ready. ``aclose()`` stops reading and releases
    everything. ``detach_stdin`` moves piped events off fd 0 so the UI can read keys there.

The source protocol (``Source``, in :mod:`.protocol`)
    One logical input is an object with a ``label``, an ``items()`` async iterator and a
    ``close()``. In short:

    * ``items()`` yields ``SourceStatus`` first (``reading``, or ``waiting`` for an input not
      there yet), then ``LineBatch`` items whose ``reader.read_at(offset, len(data))`` gives
      their bytes back until ``close``; per reader the offsets ascend without overlap, every
      line ends in ``\\n`` except perhaps the last of a reader.
    * ``SegmentEnd(reader)`` follows a reader's last batch; when ``items()`` returns, every
      reader it used has had one.
    * ``CaughtUp(label)`` must be yielded before every wait for more input (end of a
      followed file, an idle pipe or receiver): without it the time-ordered merge holds back
      every other input. A source that never waits need not yield it.
    * A source that ends reports ``ended`` (or ``error`` with the reason) last; ``following``,
      ``waiting``, ``rotated``, ``truncated`` are live states. ``OSError``/``SourceError``
      raised by ``items()`` become an ``error`` status; other exceptions reach the consumer.
    * ``close()`` comes once the run is over, whether ``items()`` finished, was cancelled at
      any ``await``, or never ran; it releases descriptors and spools and is idempotent.

Adding a kind of input
    Write one module with the source class, a ``matches(spec)`` test and an
    ``open(spec, options)`` function, and add one ``register_opener(matches, open)`` line
    below (or call it from outside the package). Specs no kind claims are file paths.
    ``tests/sources/source_contract.py`` checks a new source against the protocol.
"""

from .items import CaughtUp, LineBatch, SegmentEnd, SourceError, SourceItem, SourceStatus
from .listen import is_listen, open_listen
from .pipe import detach_stdin
from .protocol import Source, SourceYield
from .registry import OpenOptions, register_opener
from .sourceset import SourceSet, open_inputs, open_sources
from .stdin import is_stdin, open_stdin

# Kinds of input other than file paths, consulted most recent first.
register_opener(is_stdin, open_stdin, name="stdin")
register_opener(is_listen, open_listen, name="webhook")

__all__ = [
    "CaughtUp",
    "LineBatch",
    "OpenOptions",
    "SegmentEnd",
    "Source",
    "SourceError",
    "SourceItem",
    "SourceSet",
    "SourceStatus",
    "SourceYield",
    "detach_stdin",
    "open_inputs",
    "open_sources",
    "register_opener",
]
