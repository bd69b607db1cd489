"""Plain audit event lines for fault tests (the faults, not the events, are the point)."""

from __future__ import annotations

import orjson


def event_line(number: int, **changes: object) -> bytes:
    """One compact ``audit.k8s.io/v1`` event line (with its newline), told apart by number."""
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": f"00000000-0000-4000-8000-{number:012d}",
        "stage": "ResponseComplete",
        "requestURI": f"/api/v1/namespaces/default/configmaps/cm-{number}",
        "verb": "get",
        "user": {"username": "alice", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.7"],
        "userAgent": "kubectl/v1.31.0",
        "objectRef": {"resource": "configmaps", "namespace": "default", "name": f"cm-{number}"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2026-11-26T10:00:00.100000Z",
        "stageTimestamp": "2026-11-26T10:00:00.200000Z",
        **changes,
    }
    return orjson.dumps(event) + b"\n"


def event_lines(start: int, stop: int) -> bytes:
    return b"".join(event_line(n) for n in range(start, stop))
