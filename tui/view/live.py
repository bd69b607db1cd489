"""The live view of the UI: the ingest pipeline, plus how its state reads on the status bar.

The data flow itself (sources -> decode in a worker thread -> store -> filter -> rows of the
view, ``--max-events`` eviction, source states, progress) is :class:`kaudit_tui.pipeline.Pipeline`,
shared with the headless modes; this module adds only the UI's wording. No Textual here.
"""

from __future__ import annotations

from kaudit_tui.core.store import EventStore
from kaudit_tui.pipeline import Pipeline, Progress, RowFilter

__all__ = ["LiveView", "Progress", "RowFilter"]


class LiveView(Pipeline):
    """Store, ingestor, the current query and the ascending row ids that match it.

    ``ingest``, ``apply``, ``catch_up``, ``rows``, ``generation``, ``version``, ``states``,
    ``source_state``, ``on_status``, ``on_extend`` and ``close`` are the pipeline's.
    """

    def __init__(self, store: EventStore, query: RowFilter, *, max_events: int | None = None):
        super().__init__(store, query, max_events=max_events)

    def progress_text(self) -> str:
        """``indexing 312 MB 41%`` while an input is still being read for the first time."""
        if self.source_state() != "reading" or not self.progress.bytes_total:
            return ""  # nothing to measure against for pipes and decompressed backups
        fraction = self.progress.fraction
        percent = f" {fraction:.0%}" if fraction is not None else ""
        return f"indexing {self.progress.bytes_read / 1e6:,.0f} MB{percent}"
