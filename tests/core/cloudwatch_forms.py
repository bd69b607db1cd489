"""The forms EKS audit events reach people in, written from a list of log messages the way
each tool writes them: ``aws logs tail`` (awscli v2's formatters: ``detailed``, ``short``,
``json``, with or without colour), ``aws logs filter-log-events`` / ``get-log-events`` output
(awscli's JSON output: ``json.dumps(indent=4, ensure_ascii=False)`` and a newline per page),
CloudWatch Logs subscription payloads (compact JSON, gzip, base64 of gzip) and Firehose
objects (payloads concatenated with no separator, optionally gzip)."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

GREEN, CYAN, RESET = "\x1b[32m", "\x1b[36m", "\x1b[0m"
"""colorama's Fore.GREEN (timestamps), Fore.CYAN (stream names) and Style.RESET_ALL."""
CLUSTER = "demo-cluster"
GROUP = f"/aws/eks/{CLUSTER}/cluster"
FIRST_MS = 1_700_000_000_000
FILTER_KEYS = ("logStreamName", "timestamp", "message", "ingestionTime", "eventId")
GET_KEYS = ("timestamp", "message", "ingestionTime")
CONTROL = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [
        {
            "id": "",
            "timestamp": FIRST_MS,
            "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose.",
        }
    ],
}


def log_events(messages: list[str]) -> list[dict]:
    """Log events as filter-log-events returns them; one in five has a whole-second time
    (``isoformat()`` then writes no fraction)."""
    events = []
    for index, message in enumerate(messages):
        ms = FIRST_MS + index * (1000 if index % 5 == 0 else 1234)
        events.append(
            {
                "logStreamName": f"kube-apiserver-audit-{index % 2:032x}",
                "timestamp": ms,
                "message": message,
                "ingestionTime": ms + 517,
                "eventId": f"{index:056d}",
            }
        )
    return events


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def tail(events: list[dict], form: str, color: bool) -> bytes:
    """``aws logs tail GROUP --format FORM [--color on]``."""

    def paint(text: str, colour: str) -> str:
        return colour + text + RESET if color else text

    out = []
    for event in events:
        when = _when(event["timestamp"])
        stream = paint(event["logStreamName"], CYAN)
        if form == "short":
            line = f"{paint(when.strftime('%Y-%m-%dT%H:%M:%S'), GREEN)} {event['message']}"
        elif form == "detailed":
            stamp = paint(when.isoformat(timespec="microseconds"), GREEN)
            line = f"{stamp} {stream} {event['message']}"
        else:
            try:
                message = "\n" + json.dumps(json.loads(event["message"]), indent=4)
            except json.JSONDecodeError:
                message = event["message"]
            line = f"{paint(when.isoformat(), GREEN)} {stream} {message}"
        out.append(line.rstrip() + "\n")
    return "".join(out).encode()


def pages(events: list[dict], per_page: int, keys: tuple[str, ...], tokens: dict) -> bytes:
    """awscli's JSON output of one call per page, the pages concatenated."""
    out = []
    for start in range(0, len(events), per_page):
        page = {"events": [{key: e[key] for key in keys} for e in events[start : start + per_page]]}
        out.append(json.dumps({**page, **tokens}, indent=4, ensure_ascii=False) + "\n")
    return "".join(out).encode()


def compact(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def payloads(events: list[dict], per_payload: int) -> list[dict]:
    """Subscription payloads (``DATA_MESSAGE``) of the log group, a few events each."""
    return [
        {
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": GROUP,
            "logStream": events[start]["logStreamName"],
            "subscriptionFilters": ["kaudit"],
            "logEvents": [
                {"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]}
                for e in events[start : start + per_payload]
            ],
        }
        for start in range(0, len(events), per_payload)
    ]


def forms(messages: list[str]) -> dict[str, bytes]:
    """Every form, by name, of the same messages."""
    events = log_events(messages)
    built = {}
    for form in ("detailed", "short", "json"):
        for color in (False, True):
            built[f"tail-{form}{'-color' if color else ''}"] = tail(events, form, color)
    more_pages = {"searchedLogStreams": [], "nextToken": "Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb"}
    built["filter-log-events"] = pages(events, 10, FILTER_KEYS, more_pages)
    # awscli's own pagination: every page merged into one document
    built["filter-log-events-merged"] = pages(
        events, len(events), FILTER_KEYS, {"searchedLogStreams": []}
    )
    built["filter-log-events-compact"] = b"".join(
        compact({"events": [{k: e[k] for k in FILTER_KEYS} for e in events[n : n + 10]]}) + b"\n"
        for n in range(0, len(events), 10)
    )
    tokens = {"nextForwardToken": "f/3791", "nextBackwardToken": "b/3790"}
    built["get-log-events"] = pages(events, 7, GET_KEYS, tokens)
    data = payloads(events, 8)
    built["subscription-gzip"] = gzip.compress(compact(payloads(events, len(events))[0]))
    built["subscription-base64"] = b"".join(
        base64.b64encode(gzip.compress(compact(payload))) + b"\n" for payload in [CONTROL, *data]
    )
    built["firehose"] = b"".join(compact(payload) for payload in [CONTROL, *data])
    built["firehose-gzip"] = b"".join(
        gzip.compress(compact(payload)) for payload in [CONTROL, *data]
    )
    return built


WITH_CLUSTER = frozenset({"subscription-gzip", "subscription-base64", "firehose", "firehose-gzip"})
"""The forms that name the log group, and so the cluster."""


def write(directory: Path, messages: list[str]) -> dict[str, Path]:
    """Each form in a file named as the form, with no suffix."""
    paths = {}
    for name, data in forms(messages).items():
        paths[name] = directory / name
        paths[name].write_bytes(data)
    return paths
