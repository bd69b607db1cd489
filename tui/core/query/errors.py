"""Errors a query can raise: bad syntax (with the column to point at) and cancellation."""

from __future__ import annotations

from kaudit_tui.core.sanitize import sanitize


class QueryError(ValueError):
    """The query text is invalid; ``column`` (0-based) and ``length`` locate the culprit.

    The message says what was expected, so the query bar can show it under the text as is.
    """

    def __init__(self, message: str, column: int, length: int = 1) -> None:
        message = sanitize(message)  # it quotes what was typed, which may come from an event
        super().__init__(message)
        self.message = message
        self.column = column
        self.length = max(1, length)

    def __str__(self) -> str:
        return f"column {self.column + 1}: {self.message}"


class QueryCancelled(Exception):
    """A running filter noticed that its ``cancelled`` callback returned true."""
