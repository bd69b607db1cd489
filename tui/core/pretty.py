"""Where a pretty-printed JSON object ends, found in a whole batch at once.

Pretty-printers (Python's ``json.dumps(indent=N)`` in awscli and ``aws logs tail --format
json``, gcloud's ``--format=json``, ``kubectl -o json``) put an object's closing ``}`` on a
line of its own, at the column of the line that opened it, and everything inside on deeper
lines. A JSON string holds no newline, so the first line that is exactly that ``}`` closes
the object: one ``bytes.find`` over the batch replaces reading the object line by line.

:func:`object_end` only answers when the object's lines are ones the line-by-line reader
would join the same way (see ``Ingestor._continue_document`` and ``_array_line``): every line
inside starts with a space, so none can start a record of its own. Whether the span is JSON at
all is for the caller's parser to say; if it is, its closing brace is the one matching the
opening brace, and the span is exactly the one the line-by-line reader assembles.
"""

from __future__ import annotations

_CLOSINGS: dict[int, bytes] = {}


def _closing(indent: int) -> bytes:
    closing = _CLOSINGS.get(indent)
    if closing is None:
        closing = _CLOSINGS[indent] = b"\n" + b" " * indent + b"}"
    return closing


def object_end(data: bytes, newline: int, indent: int, comma: bool) -> int:
    """The end of the object whose opening line (``indent`` spaces and ``{``) ends at
    ``data[newline]``: the index just after its closing ``}``; -1 when the closing line is not
    in ``data`` or the layout is not a pretty-printer's.

    The closing line is ``}`` alone, or with ``comma``, ``},`` (an array element), and ends
    with a newline.
    """
    closing = _closing(indent)
    found = data.find(closing, newline)
    if found < 0:
        return -1
    end = found + len(closing)
    after = data[end : end + 2]
    if not (after[:1] == b"\n" or (comma and after == b",\n")):
        return -1  # (at the end of the data without a newline: read line by line)
    inner = data[newline:found]
    if inner.count(b"\n") != inner.count(b"\n "):
        return -1
    return end


def opening_indent(line: bytes) -> int:
    """The column of the ``{`` when ``line`` is spaces and ``{`` alone (the opening line of
    an object a pretty-printer wrote), else -1."""
    if line[-1:] != b"{":
        return -1
    indent = len(line) - 1
    return indent if line.count(b" ", 0, indent) == indent else -1
