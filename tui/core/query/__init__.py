"""The query language: text -> terms with columns -> a filter over the event store.

Terms separated by spaces must all hold; ``OR`` between them binds looser, ``NOT`` or a
leading ``-`` negates a term or a ``(group)``. ``field:v1,v2`` matches any of the values,
values may be "quoted" and use ``*`` wildcards, and field values match whole values
case-insensitively. A bare word is a case-insensitive substring of the raw event
text and ``/regex/`` a regex search of it. Examples::

    user:system:serviceaccount:kube-system:* verb:delete,deletecollection -ns:kube-system
    resource:pods/exec code:4xx latency:>500ms since:15m "connection refused"
    (verb:get OR verb:list) -(ns:kube-system OR user:system:*)

The UI and the headless modes call :func:`parse_query` and :meth:`Query.filter` only.
"""

from kaudit_tui.core.query.errors import QueryCancelled, QueryError
from kaudit_tui.core.query.fields import FIELDS, FieldSpec
from kaudit_tui.core.query.nodes import And, FieldTerm, Node, Not, Or, RegexTerm, Term, TextTerm
from kaudit_tui.core.query.query import Query, parse_query

__all__ = [
    "FIELDS",
    "And",
    "Node",
    "Not",
    "Or",
    "FieldSpec",
    "FieldTerm",
    "Query",
    "QueryCancelled",
    "QueryError",
    "RegexTerm",
    "Term",
    "TextTerm",
    "parse_query",
]
