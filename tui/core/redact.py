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

from kaudit_tui.core import gke

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
    """A copy of ``event`` with secret values masked (the input is left untouched).

    A GKE Cloud Logging entry is masked likewise: its ``protoPayload`` request and response,
    and its labels (the event's annotations).
    """
    event = copy.deepcopy(event)
    payload = event.get("protoPayload")
    if isinstance(payload, dict) and "objectRef" not in event:
        name = payload.get("resourceName")
        ref = gke.parse_resource_name(name) if isinstance(name, str) else None
        _mask_bodies(payload, ("request", "response"), ref or {})
        _mask_annotations(event.get("labels"))
        return event
    ref = event.get("objectRef")
    _mask_bodies(event, ("requestObject", "responseObject"), ref if isinstance(ref, dict) else {})
    if isinstance(event.get("requestURI"), str):
        event["requestURI"] = mask_text(event["requestURI"])
    _mask_annotations(event.get("annotations"))
    return event


def _mask_annotations(annotations: object) -> None:
    if isinstance(annotations, dict):
        for name, value in annotations.items():
            if isinstance(value, str):
                annotations[name] = mask_text(value)


def _mask_bodies(event: dict[str, Any], keys: tuple[str, str], ref: dict[str, Any]) -> None:
    is_secret = ref.get("resource") == "secrets"
    for key in keys:
        body = event.get(key)
        if isinstance(body, dict):
            _mask_body(body, is_secret, ref.get("subresource", ""))
        elif isinstance(body, list) and is_secret:  # a JSON patch: mask every operation value
            for operation in body:
                if isinstance(operation, dict) and "value" in operation:
                    operation["value"] = MASK


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
