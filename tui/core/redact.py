"""Mask secret payloads in an event before it is shown or copied.

An audit log at Request or RequestResponse level holds the data of every Secret that was
written or read, the tokens of TokenRequests and TokenReviews, and sometimes bearer tokens in
annotations or URIs. Someone triaging an incident should not have them on screen (or in a
screen share) by default: values are replaced by a marker, keys and structure are kept so the
event still reads correctly. ``--show-secrets`` turns this off.
"""

from __future__ import annotations

import copy
import re
from typing import Any

MASK = "<masked>"
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_URI_SECRET = re.compile(
    r"(?i)([?&](?:access_token|token|id_token|refresh_token|password|client_secret)=)[^&#]*"
)
_SECRET_KINDS = frozenset({"Secret", "SecretList"})
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def mask_text(text: str) -> str:
    """Bearer tokens, JWTs and token query parameters in free text, masked."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _JWT.sub(MASK, text)
    return _URI_SECRET.sub(lambda m: m.group(1) + MASK, text)


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with secret values masked (the input is left untouched)."""
    event = copy.deepcopy(event)
    ref = event.get("objectRef")
    ref = ref if isinstance(ref, dict) else {}
    is_secret = ref.get("resource") == "secrets"
    for key in ("requestObject", "responseObject"):
        body = event.get(key)
        if isinstance(body, dict):
            _mask_body(body, is_secret, ref.get("subresource", ""))
        elif isinstance(body, list) and is_secret:  # a JSON patch: mask every operation value
            for operation in body:
                if isinstance(operation, dict) and "value" in operation:
                    operation["value"] = MASK
    if isinstance(event.get("requestURI"), str):
        event["requestURI"] = mask_text(event["requestURI"])
    annotations = event.get("annotations")
    if isinstance(annotations, dict):
        for name, value in annotations.items():
            if isinstance(value, str):
                annotations[name] = mask_text(value)
    return event


def _mask_body(body: dict[str, Any], is_secret: bool, subresource: str) -> None:
    if is_secret or body.get("kind") in _SECRET_KINDS:
        _mask_secret(body)
        for item in body.get("items") or ():
            if isinstance(item, dict):
                _mask_secret(item)
    if subresource == "token" or body.get("kind") in ("TokenRequest", "TokenReview"):
        for part in ("spec", "status"):
            section = body.get(part)
            if isinstance(section, dict) and "token" in section:
                section["token"] = MASK


def _mask_secret(obj: dict[str, Any]) -> None:
    """The values of ``data`` / ``stringData``, and the copy kubectl keeps in an annotation."""
    for key in ("data", "stringData"):
        values = obj.get(key)
        if isinstance(values, dict):
            obj[key] = {name: MASK for name in values}
        elif values is not None:
            obj[key] = MASK
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
        annotations[_LAST_APPLIED] = MASK
