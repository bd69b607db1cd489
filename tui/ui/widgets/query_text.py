"""Editing query text: facets, the histogram and "filter by this" add terms to the query.

The query text is the single source of truth for filtering, so every such action produces a new
query string, which the query bar shows and the App applies. A term that is already there is
not added twice, and adding ``field:value`` replaces ``-field:value`` (and the reverse).
"""

from __future__ import annotations

from kaudit_tui.core.sanitize import sanitize

_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "*": "\\*", ",": "\\,"})


def quote_value(value: str) -> str:
    """``value`` as one literal query value (quoted when it holds spaces or is empty).

    Characters a terminal could act on (escapes, bidi overrides, zero-width characters) are
    written as ``\\x1b``-style escapes, which the query language reads back as the character:
    the query bar shows the value the way the table does, and the term matches it exactly.
    """
    escaped = sanitize(value.translate(_ESCAPE))
    if not value or any(c.isspace() for c in value) or value[0] in "-/":
        return f'"{escaped}"'
    return escaped


def field_term(field: str, value: str, exclude: bool = False) -> str:
    return f"{'-' if exclude else ''}{field}:{quote_value(value)}"


def _spans(query: str) -> list[tuple[int, int]]:
    """Start and end of each whitespace-separated term, honouring quotes and escapes."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        start, quoted = i, False
        while i < n and (quoted or not query[i].isspace()):
            if query[i] == "\\":
                i += 1
            elif query[i] == '"':
                quoted = not quoted
            i += 1
        spans.append((start, min(i, n)))
    return spans


def terms(query: str) -> list[str]:
    return [query[a:b] for a, b in _spans(query)]


def with_term(query: str, field: str, value: str, exclude: bool = False) -> str:
    """``query`` with ``field:value`` (or its exclusion) added, replacing its opposite."""
    term = field_term(field, value, exclude)
    opposite = field_term(field, value, not exclude)
    kept = [t for t in terms(query) if t not in (term, opposite)]
    return " ".join([*kept, term])


def with_fields_replaced(query: str, replacements: dict[str, str]) -> str:
    """``query`` with every ``field:`` term of the given fields replaced by the new values."""
    prefixes = tuple(f"{field}:" for field in replacements)
    kept = [t for t in terms(query) if not t.lower().startswith(prefixes)]
    added = [field_term(field, value) for field, value in replacements.items()]
    return " ".join([*kept, *added])
