"""Typed schema of the audit event fields the index needs, for the fast decode path.

msgspec decodes a JSON line straight into these structs, skipping every field not declared here
(request and response bodies, managedFields, extra user info) without building a Python object for
it. That is what lets indexing keep pace with a bare JSON parse. A line whose fields have the
wrong types or unexpected values fails validation and takes the tolerant dict-based path in
:mod:`decode` instead, which yields the same fields, only more slowly.

Two choices keep the per-event lookups cheap:

* Fields with a small closed set of values (verb, stage, level, the authorization decision) are
  ``Literal`` types: msgspec then returns the same string object every time, whose hash is cached
  and which compares by identity inside the interning tables.
* The fields of the two shapes the store interns per event (the client: user, impersonated user,
  source IPs, user agent; the object: API group and version, resource, subresource, namespace)
  are kept as raw JSON text. Joined, they are one key for both shapes, and they are decoded
  only the first time that text is seen (:func:`decode_shapes`).

Fields that kube-apiserver never writes as ``null`` (objectRef, responseStatus, annotations)
default to shared empty instances, so that every event is read the same way; a ``null`` there
fails validation and takes the tolerant path.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from kaudit_tui.core.decode import (
    CLUSTER_ANNOTATION,
    DECISION_ANNOTATION,
    ClientShape,
    RequestShape,
)

Level = Literal["None", "Metadata", "Request", "RequestResponse"]
Stage = Literal["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"]
Verb = Literal[
    # Resource requests, then the lower-cased HTTP methods of non-resource requests.
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy",
    "post", "put", "head", "options", "connect",
]  # fmt: skip
Decision = Literal["allow", "forbid"]
ApiVersion = Literal["audit.k8s.io/v1", "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1"]

_ABSENT = msgspec.Raw(b"")


class User(msgspec.Struct, frozen=True, gc=False):
    username: str = ""
    groups: tuple[str, ...] = ()


class ObjectRef(msgspec.Struct, frozen=True, gc=False):
    resource: msgspec.Raw = _ABSENT
    namespace: msgspec.Raw = _ABSENT
    name: str = ""
    apiGroup: msgspec.Raw = _ABSENT
    apiVersion: msgspec.Raw = _ABSENT
    subresource: msgspec.Raw = _ABSENT


class Status(msgspec.Struct, frozen=True, gc=False):
    code: Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] = 0
    """Range-checked so that a batch of codes always fits an int64 array."""


class Meta(msgspec.Struct, frozen=True, gc=False):
    creationTimestamp: str | None = None


class Annotations(msgspec.Struct, frozen=True, gc=False):
    decision: Decision | Literal[""] = msgspec.field(default="", name=DECISION_ANNOTATION)
    cluster: str = msgspec.field(default="", name=CLUSTER_ANNOTATION)


NO_OBJECT_REF = ObjectRef()
"""The objectRef of an event without one (a non-resource request); told apart by identity."""
NO_STATUS = Status()
NO_ANNOTATIONS = Annotations()


class Event(msgspec.Struct, frozen=True, gc=False):
    """A v1/v1beta1/v1alpha1 audit Event (events without kind or apiVersion are not)."""

    kind: Literal["Event"]
    apiVersion: ApiVersion
    level: Level | Literal[""] = ""
    auditID: str = ""
    stage: Stage | Literal[""] = ""
    requestURI: str = ""
    verb: Verb | Literal[""] = ""
    user: msgspec.Raw = _ABSENT
    impersonatedUser: msgspec.Raw = _ABSENT
    sourceIPs: msgspec.Raw = _ABSENT
    userAgent: msgspec.Raw = _ABSENT
    objectRef: ObjectRef = NO_OBJECT_REF
    responseStatus: Status = NO_STATUS
    requestReceivedTimestamp: str | None = None
    stageTimestamp: str | None = None
    timestamp: str | None = None
    metadata: Meta | None = None
    annotations: Annotations = NO_ANNOTATIONS


decode_event = msgspec.json.Decoder(Event).decode
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
"""What the decoders here raise for bad input: besides its own error, msgspec reports invalid
UTF-8 and very deep nesting (even inside fields it skips) with the standard exceptions."""

_NO_USER = User()
_user = msgspec.json.Decoder(User).decode
_impersonated = msgspec.json.Decoder(User | None).decode
_strings = msgspec.json.Decoder(tuple[str, ...]).decode
_string = msgspec.json.Decoder(str).decode


def _text(raw: msgspec.Raw) -> str:
    """A raw JSON string field as text ("" when the field is absent)."""
    return _string(raw) if raw else ""


def decode_shapes(event: Event) -> tuple[ClientShape, RequestShape]:
    """The client and request shapes of an event, from its raw fields (once per new key).

    Raises:
        msgspec.DecodeError: a field has the wrong type (the tolerant path handles the event),
            or another of ``DECODE_ERRORS``.
    """
    user = _user(event.user) if event.user else _NO_USER
    imp = _impersonated(event.impersonatedUser) if event.impersonatedUser else None
    client = ClientShape(
        user=user.username,
        as_=imp.username if imp else "",
        groups=user.groups,
        ua=_text(event.userAgent),
        ip=_strings(event.sourceIPs) if event.sourceIPs else (),
    )
    ref = event.objectRef
    group = _text(ref.apiGroup)
    if not group and "/" in (version := _text(ref.apiVersion)):
        group = version.rpartition("/")[0]  # v1alpha1 kept the group in apiVersion
    request = RequestShape(
        verb=event.verb,
        apigroup=group,
        resource=_text(ref.resource),
        sub=_text(ref.subresource),
        ns=_text(ref.namespace),
        stage=event.stage,
        level=event.level,
        decision=event.annotations.decision,
        objref=ref is not NO_OBJECT_REF,
        cluster=event.annotations.cluster,
    )
    return client, request
