"""How many bytes a policy would write for an event: the cost side of a policy report.

The size of an event is the size of its JSON line without the newline, as the log
backend writes it. Under another policy the same request would be written with another
level, so the estimate starts from the logged line and removes what the new decision
would not record:

* nothing at all for level None or an omitted stage;
* ``requestObject`` and ``responseObject`` at Metadata; ``responseObject`` at Request;
* ``metadata.managedFields`` inside the bodies kept, when the decision omits them
  (including the items of lists and the rows of tables);
* the ``level`` value itself changes length (``Metadata`` → ``Request``).

A body the log does not hold cannot be counted: when a policy records more than the log
did, the estimate is a lower bound.

Sizes of removed parts are measured with Go's encoding rules: compact JSON, UTF-8 kept
as is, and ``<``, ``>``, ``&``, U+2028 and U+2029 escaped as ``\\uXXXX``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import orjson

from .evaluate import Decision
from .model import LEVEL_RANK

__all__ = ["go_json_size", "line_level", "would_write_bytes"]

_LEVEL_HEAD = re.compile(rb'"level"\s*:\s*"([A-Za-z]*)"')


def go_json_size(value: Any) -> int:
    """Bytes of ``value`` as Go's ``encoding/json`` writes it (compact)."""
    try:
        encoded = orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        # Integers beyond 64 bits and the like: the standard encoder takes anything JSON.
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    extra = 5 * (encoded.count(b"<") + encoded.count(b">") + encoded.count(b"&"))
    extra += 3 * (encoded.count("\u2028".encode()) + encoded.count("\u2029".encode()))
    return len(encoded) + extra


def _member_size(key: str, value: Any) -> int:
    """Bytes of ``,"key":value`` inside an object (the comma included)."""
    return go_json_size(key) + 1 + go_json_size(value) + 1


def _strip_managed_fields(body: Any) -> Any:
    """A copy of ``body`` without ``metadata.managedFields`` (in the object, items, rows)."""
    if not isinstance(body, Mapping):
        return body
    result = dict(body)
    metadata = result.get("metadata")
    if isinstance(metadata, Mapping) and "managedFields" in metadata:
        result["metadata"] = {k: v for k, v in metadata.items() if k != "managedFields"}
    items = result.get("items")
    if isinstance(items, list):
        result["items"] = [_strip_managed_fields(item) for item in items]
    rows = result.get("rows")
    if isinstance(rows, list):
        result["rows"] = [
            {**row, "object": _strip_managed_fields(row["object"])}
            if isinstance(row, Mapping) and "object" in row
            else row
            for row in rows
        ]
    return result


def line_level(line: bytes) -> str | None:
    """The ``level`` of a raw JSON event line, read from its head without parsing it.

    kube-apiserver writes ``level`` among the first keys (after ``metadata`` in v1beta1),
    so the first 512 bytes hold it.
    """
    match = _LEVEL_HEAD.search(line, 0, 512)
    return match.group(1).decode("ascii") if match else None


def _line_size(line: bytes) -> int:
    end = len(line)
    while end and line[end - 1] in b"\r\n":
        end -= 1
    return end


def would_write_bytes(decision: Decision, stage: str, event: bytes | Mapping[str, Any]) -> int:
    """Bytes kube-apiserver would write for this event's stage under ``decision``.

    Args:
        decision: the decision of the policy being costed for this event's request.
        stage: the event's stage.
        event: the event's raw JSON line (the newline is not counted) or its parsed dict
            (then its size is that of Go's compact encoding).

    Returns:
        0 when the event would not be written, else the estimated line size.
    """
    if not decision.logged(stage):
        return 0
    rank = LEVEL_RANK.get(decision.level, 0)
    if isinstance(event, (bytes, bytearray, memoryview)):
        line = bytes(event)
        size = _line_size(line)
        if rank == LEVEL_RANK["RequestResponse"] and not decision.omit_managed_fields:
            head = line_level(line)
            if head is not None:
                return size + len(decision.level) - len(head)
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError:
            return size
        if not isinstance(parsed, Mapping):
            return size
        data: Mapping[str, Any] = parsed
    else:
        data = event
        size = go_json_size(dict(data))
    logged_level = data.get("level")
    if isinstance(logged_level, str):
        size += len(decision.level) - len(logged_level)
    for key in ("requestObject", "responseObject"):
        if key not in data:
            continue
        keep = rank >= LEVEL_RANK["RequestResponse"] or (
            key == "requestObject" and rank >= LEVEL_RANK["Request"]
        )
        body = data[key]
        if not keep:
            size -= _member_size(key, body)
        elif decision.omit_managed_fields:
            size -= go_json_size(body) - go_json_size(_strip_managed_fields(body))
    return size
