"""Typed schema of the audit event fields the index needs, for the fast decode path.

msgspec decodes a JSON line straight into these structs, skipping every field not declared here
(request and response bodies, managedFields, extra user info) without building a Python object for
it. That is what lets indexing keep pace with a bare JSON parse. A line whose fields have the
wrong types fails validation and takes the tolerant dict-based path in :mod:`decode` instead.
"""

from __future__ import annotations

import msgspec


class User(msgspec.Struct, frozen=True):
    username: str = ""
    groups: tuple[str, ...] = ()


class ObjectRef(msgspec.Struct, frozen=True):
    resource: str = ""
    namespace: str = ""
    name: str = ""
    apiGroup: str = ""
    apiVersion: str = ""
    subresource: str = ""


class Status(msgspec.Struct, frozen=True):
    code: int = 0


class Meta(msgspec.Struct, frozen=True):
    creationTimestamp: str | None = None


_NO_USER = User()


class Event(msgspec.Struct, frozen=True):
    kind: str = ""
    apiVersion: str = ""
    level: str = ""
    auditID: str = ""
    stage: str = ""
    requestURI: str = ""
    verb: str = ""
    user: User = _NO_USER
    impersonatedUser: User | None = None
    sourceIPs: tuple[str, ...] = ()
    userAgent: str = ""
    objectRef: ObjectRef | None = None
    responseStatus: Status | None = None
    requestReceivedTimestamp: str | None = None
    stageTimestamp: str | None = None
    timestamp: str | None = None
    metadata: Meta | None = None
    annotations: dict[str, str] | None = None


decode_event = msgspec.json.Decoder(Event).decode
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
"""What ``decode_event`` raises for bad input: besides its own error, msgspec reports invalid
UTF-8 and very deep nesting (even inside fields it skips) with the standard exceptions."""
