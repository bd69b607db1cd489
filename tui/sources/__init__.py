"""Live sources: files, rotated sets, gzip backups and pipes, delivered as batches of lines.

Nothing here imports Textual or Rich. ``open_sources`` opens the inputs (raising
``SourceError`` for one that cannot be read at all); iterating the ``SourceSet`` yields
``LineBatch`` items (complete lines plus the reader and offset they can be re-read from),
``SegmentEnd`` when a reader will get no more data, and ``SourceStatus`` changes.
``SourceSet.bursts()`` yields the same items grouped by the moment they became ready.
``detach_stdin`` moves piped events off fd 0 so the UI can read keys there.
"""

from .items import LineBatch, SegmentEnd, SourceError, SourceItem, SourceStatus
from .pipe import detach_stdin
from .sourceset import SourceSet, open_sources

__all__ = [
    "LineBatch",
    "SegmentEnd",
    "SourceError",
    "SourceItem",
    "SourceSet",
    "SourceStatus",
    "detach_stdin",
    "open_sources",
]
