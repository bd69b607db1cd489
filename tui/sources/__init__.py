"""Live sources: files, rotated sets, gzip backups and pipes, delivered as batches of lines.

Nothing here imports Textual or Rich. The consumer iterates a ``SourceSet`` and gets
``LineBatch`` items (complete lines plus the reader and offset they can be re-read from),
``SegmentEnd`` when a reader will get no more data, and ``SourceStatus`` changes.
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
