"""Editing query text: facets, the histogram and "filter by this" add terms to the query.

The query text is the single source of truth for filtering, so every such action produces a new
query string, which the query bar shows and the App applies. A term that is already there is
not added twice, and adding ``field:value`` replaces ``-field:value`` (and the reverse). A
query with a top-level ``OR`` is put in parentheses first, so the added term narrows all of it.
"""

from __future__ import annotations

from kaudit_tui.core.query import QueryError
from kaudit_tui.core.query.syntax import Operator, RawOperator, scan
from kaudit_tui.core.sanitize import sanitize

_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "*": "\\*", ",": "\\,"})


def quote_value(value: str) -> str:
    """``value`` as one literal query value (quoted when it holds spaces or is empty).

    Characters a terminal could act on (escapes, bidi overrides, zero-width characters) are
    written as ``\\x1b``-style escapes, which the query language reads back as the character:
    the query bar shows the value the way the table does, and the term matches it exactly.
    """
    escaped = sanitize(value.translate(_ESCAPE))
    if not value or any(c.isspace() or c in "()" for c in value) or value[0] in "-/":
        return f'"{escaped}"'
    return escaped


def field_term(field: str, value: str, exclude: bool = False) -> str:
    return f"{'-' if exclude else ''}{field}:{quote_value(value)}"


def _items(query: str) -> tuple[list[str], bool]:
    """The top-level parts of ``query`` (a term, a group, ``NOT``/``-`` with what it negates)
    and whether an ``OR`` joins them."""
    try:
        tokens = scan(query)
    except QueryError:  # not a valid query: keep it whole
        return ([query.strip()] if query.strip() else []), False
    items: list[str] = []
    has_or, depth, start = False, 0, None
    for token in tokens:
        operator = token.kind if isinstance(token, RawOperator) else None
        if operator is Operator.OR and depth == 0:
            has_or = True
            continue
        start = token.column if start is None else start
        if operator is Operator.OPEN:
            depth += 1
        elif operator is Operator.CLOSE:
            depth -= 1
        if depth == 0 and operator not in (Operator.NOT, Operator.MINUS, Operator.OPEN):
            items.append(query[start : token.end])
            start = None
    return items, has_or


def terms(query: str) -> list[str]:
    """The top-level parts of ``query``, each as typed (quotes and escapes kept)."""
    return _items(query)[0]


def _conjuncts(query: str) -> list[str]:
    """Parts that all must hold: the parts, or the whole query in parentheses if ORed."""
    items, has_or = _items(query)
    return [f"({query.strip()})"] if has_or else items


def with_term(query: str, field: str, value: str, exclude: bool = False) -> str:
    """``query`` with ``field:value`` (or its exclusion) added, replacing its opposite."""
    term = field_term(field, value, exclude)
    opposite = field_term(field, value, not exclude)
    kept = [t for t in _conjuncts(query) if t not in (term, opposite)]
    return " ".join([*kept, term])


def with_fields_replaced(query: str, replacements: dict[str, str]) -> str:
    """``query`` with every ``field:`` term of the given fields replaced by the new values."""
    prefixes = tuple(f"{field}:" for field in replacements)
    kept = [t for t in _conjuncts(query) if not t.lower().startswith(prefixes)]
    added = [field_term(field, value) for field, value in replacements.items()]
    return " ".join([*kept, *added])
