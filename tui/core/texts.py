"""The table of request URIs: InternTable's codes, the texts kept compactly.

Most requests of a busy cluster have a URI of their own (a query string, a resource version),
so the URI table grows with the log: as Python strings in a dict and a list it costs about 190
bytes a URI, a third of the index's memory. :class:`CompactTexts` keeps them as UTF-8 in large
blocks of the compiled extension (about 100 bytes a URI), and the compiled scanner codes URIs
straight into it. It gives exactly the codes :class:`InternTable` gives, and the same
interface; where the extension was not built, :func:`text_table` is an InternTable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from kaudit_tui.core.tables import InternTable

try:
    from kaudit_tui.core._linescan import TextTable
except ImportError:  # built without a C compiler
    TextTable = None  # type: ignore[assignment,misc]


class CompactTexts:
    """:class:`InternTable` ``[str]`` (code 0 is ``""``) over a compiled ``TextTable``."""

    __slots__ = ("values", "code", "codes", "get")

    def __init__(self) -> None:
        table = TextTable()
        self.values = table
        """The texts by code (``values[code]``, slices, ``len``), decoded when read."""
        self.code = table.code
        self.codes = table.codes
        self.get = table.get

    def __len__(self) -> int:
        return len(self.values)

    @property
    def epoch(self) -> int:
        return self.values.epoch

    @property
    def next_code(self) -> int:
        return self.values.next_code

    @property
    def nbytes(self) -> int:
        """Memory the table holds."""
        return self.values.nbytes

    def distinct_codes(self, values: Sequence[str]) -> np.ndarray:
        return np.array(self.codes(values), dtype=np.int64)

    def release(self, codes: Iterable[int]) -> None:
        self.values.release(codes)

    def reused_since(self, epoch: int) -> list[int] | None:
        return self.values.reused_since(epoch)

    def find(self, value: str) -> int | None:
        return self.get(value)

    def codes_of(self, values: Iterable[str]) -> list[int]:
        return [c for c in map(self.get, values) if c is not None]

    mask = InternTable.mask
    extend_mask = InternTable.extend_mask


def text_table() -> CompactTexts | InternTable[str]:
    """A new, empty table of texts: compact where the extension was built."""
    return CompactTexts() if TextTable is not None else InternTable("")
