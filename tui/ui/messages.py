"""Messages that travel from panels and screens up to the App.

Panels never change the view themselves: they say what the user asked for, and the App turns
it into a new query text (the single source of truth), shows it in the query bar and applies it.
"""

from __future__ import annotations

from textual.message import Message


class AddQueryTerm(Message):
    """Add ``field:value`` to the filter (``-field:value`` when ``exclude``)."""

    def __init__(self, field: str, value: str, exclude: bool = False) -> None:
        self.field = field
        self.value = value
        self.exclude = exclude
        super().__init__()


class NarrowTime(Message):
    """Replace the time bounds of the filter by ``since:``/``until:`` (epoch microseconds)."""

    def __init__(self, since: int, until: int) -> None:
        self.since = since
        self.until = until
        super().__init__()


class ShowRow(Message):
    """Move the table's cursor to store row ``row`` (from the detail view's stage list)."""

    def __init__(self, row: int) -> None:
        self.row = row
        super().__init__()
