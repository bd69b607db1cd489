"""Legacy text audit lines (``--audit-log-format=legacy``) as v1-shaped event dicts.

Layout (policy-semantics.md §8.1): ``<ts> AUDIT: id="…" stage="…" ip="…" method="…" user="…"
groups="…" as="…" asgroups="…" [user-agent="…"] namespace="…" uri="…" response="…"``. Values are
Go-quoted; ``groups`` is quoted twice. There is no objectRef: resource, subresource, group and
name are derived from the URI the way kube-apiserver parses request paths.
"""

from __future__ import annotations

import re
from typing import Any

_LINE = re.compile(rb"^(\S+) AUDIT: (.*)$", re.S)
_PAIR = re.compile(r'([A-Za-z][\w-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[abfnrtv\\"\'])')
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_PLACEHOLDERS = {"<none>", "<self>", "<lookup>", "<unknown>"}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "xuU":
        return chr(int(code[1:], 16))
    return _SIMPLE.get(code, code)


def go_unquote(value: str) -> str:
    """The text of a Go double-quoted literal (bare values are returned as they are)."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return _ESCAPE.sub(_unescape, value[1:-1])
    return value


def _group_list(value: str) -> list[str]:
    """``groups="\\"a\\",\\"b\\""`` -> ["a", "b"] (quoted once as a whole, once per group)."""
    inner = go_unquote(value)
    if inner in _PLACEHOLDERS or not inner:
        return []
    return [go_unquote(g) for g in re.findall(r'"(?:[^"\\]|\\.)*"', inner)]


def is_legacy(line: bytes) -> bool:
    return b" AUDIT: " in line[:80]


def parse_pairs(text: str) -> dict[str, str]:
    """The raw ``key=value`` pairs of a legacy line body (values still quoted)."""
    return {key: raw for key, raw in _PAIR.findall(text)}


def to_event_dict(line: bytes) -> dict[str, Any] | None:
    """A v1-shaped audit event dict for a legacy line, or None if it is not one."""
    from kaudit_tui.core.requestinfo import parse_request_uri

    match = _LINE.match(line.rstrip(b"\r\n"))
    if match is None:
        return None
    timestamp = match.group(1).decode("ascii", "replace")
    pairs = parse_pairs(match.group(2).decode("utf-8", "replace"))
    if "id" not in pairs:
        return None
    value = {k: go_unquote(v) for k, v in pairs.items()}
    event: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "auditID": value["id"],
        "requestReceivedTimestamp": timestamp,
        "stageTimestamp": timestamp,
    }
    if value.get("stage"):
        event["stage"] = value["stage"]
    user: dict[str, Any] = {}
    if value.get("user") and value["user"] != "<none>":
        user["username"] = value["user"]
        groups = _group_list(pairs.get("groups", ""))
        if groups:
            user["groups"] = groups
    event["user"] = user
    if value.get("as") and value["as"] != "<self>":
        event["impersonatedUser"] = {"username": value["as"]}
    if value.get("ip") and value["ip"] != "<unknown>":
        event["sourceIPs"] = [value["ip"]]
    if value.get("user-agent"):
        event["userAgent"] = value["user-agent"]
    response = value.get("response", "")
    if response.isdigit():
        event["responseStatus"] = {"code": int(response)}
    uri = value.get("uri", "")
    method = value.get("method", "")
    if uri:
        event["requestURI"] = uri
        info = parse_request_uri(uri, method)
        event["verb"] = info.verb
        if info.is_resource:
            ref = {
                "resource": info.resource,
                "subresource": info.subresource,
                "namespace": value.get("namespace", "")
                if value.get("namespace") != "<none>"
                else info.namespace,
                "name": info.name,
                "apiGroup": info.api_group,
                "apiVersion": info.api_version,
            }
            event["objectRef"] = {k: v for k, v in ref.items() if v}
    elif method:
        event["verb"] = method
    return event
