"""The request attributes an audit policy matches on, rebuilt from a logged event.

kube-apiserver evaluates the policy once per request, before it reads the body, on the
authenticated user and the parsed URL. An event logs a little more than that (the
impersonated user, a create's name taken from the body), so rebuilding the attributes
means picking exactly the fields the policy saw and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..requestinfo import decode_path, parse_request_uri, split_uri

__all__ = ["RequestAttributes", "RequestFields", "attributes_from_event", "attributes_from_fields"]


@dataclass(frozen=True, slots=True)
class RequestAttributes:
    """What the policy checker looks at for one request.

    Attributes:
        user: the authenticated user name; None when the request had no user at all
            (failed authentication, a rejected ``?timeout=``): then ``users`` and
            ``userGroups`` rules never match.
        groups: the authenticated user's groups.
        verb: the Kubernetes verb for resource requests, the lower-cased HTTP method for
            non-resource requests.
        is_resource: whether the URL named an API resource.
        path: the percent-decoded URL path without the query (used for non-resource URLs).
        namespace, api_group, resource, subresource, name: from the URL parse; the name of
            a create is the one in the URL, usually empty.
    """

    user: str | None
    groups: tuple[str, ...]
    verb: str
    is_resource: bool
    path: str
    namespace: str
    api_group: str
    resource: str
    subresource: str
    name: str


class RequestFields(NamedTuple):
    """The fields of a logged event that the policy's view of its request is built from.

    Attributes:
        user: the authenticated user name; None, or "" with no groups, means no user.
        groups: the authenticated user's groups.
        verb: as logged.
        is_resource: whether the event has an objectRef.
        request_uri: as logged, with its query.
        namespace, api_group, resource, subresource, name: from the objectRef; the name of a
            create (filled from the body) is not what the policy saw.
    """

    user: str | None
    groups: tuple[str, ...]
    verb: str
    is_resource: bool
    request_uri: str
    namespace: str = ""
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _group_from_v1alpha1(object_ref: Mapping[str, Any]) -> str:
    """v1alpha1 objectRefs have no apiGroup; their apiVersion is ``group/version``."""
    group = _text(object_ref.get("apiGroup"))
    if group:
        return group
    api_version = _text(object_ref.get("apiVersion"))
    head, slash, _ = api_version.rpartition("/")
    return head if slash else ""


def _user(user_info: Any) -> tuple[str | None, tuple[str, ...]]:
    if not isinstance(user_info, Mapping):
        return None, ()
    username = _text(user_info.get("username"))
    raw_groups = user_info.get("groups")
    groups = (
        tuple(g for g in raw_groups if isinstance(g, str))
        if isinstance(raw_groups, Sequence) and not isinstance(raw_groups, str)
        else ()
    )
    if not username and not groups:
        return None, ()
    return username, groups


def attributes_from_event(event: Mapping[str, Any]) -> RequestAttributes:
    """Rebuild the policy's view of a request from a parsed audit event.

    Works for ``audit.k8s.io`` v1, v1beta1 and v1alpha1 events:

    * the user is ``event.user``; ``impersonatedUser`` is ignored (the policy runs before
      impersonation); an empty ``user`` object means no user;
    * a request is a resource request exactly when ``objectRef`` is present;
    * group, resource, subresource and namespace come from ``objectRef`` (for v1alpha1 the
      group is split off ``objectRef.apiVersion``);
    * the name comes from ``objectRef`` except for creates, whose logged name was filled
      from the body after the policy ran: their name is the one in the URL;
    * the path is ``requestURI`` without its query, percent-decoded.
    """
    user, groups = _user(event.get("user"))
    verb = _text(event.get("verb"))
    request_uri = _text(event.get("requestURI"))
    object_ref = event.get("objectRef")
    if not isinstance(object_ref, Mapping):
        return attributes_from_fields(
            RequestFields(user=user, groups=groups, verb=verb, is_resource=False,
                          request_uri=request_uri)
        )  # fmt: skip
    if event.get("apiVersion") == "audit.k8s.io/v1alpha1":
        group = _group_from_v1alpha1(object_ref)
    else:
        group = _text(object_ref.get("apiGroup"))
    return attributes_from_fields(
        RequestFields(
            user=user,
            groups=groups,
            verb=verb,
            is_resource=True,
            request_uri=request_uri,
            namespace=_text(object_ref.get("namespace")),
            api_group=group,
            resource=_text(object_ref.get("resource")),
            subresource=_text(object_ref.get("subresource")),
            name=_text(object_ref.get("name")),
        )
    )


def attributes_from_fields(fields: RequestFields) -> RequestAttributes:
    """The policy's view of a request, from the fields of its event.

    Applies the rules that differ from a plain copy: the path is the request URI without its
    query, percent-decoded; for ``create`` the name is taken from the URL (the logged name
    is ignored); an empty user with no groups means no user.
    """
    user = fields.user
    if user == "" and not fields.groups:
        user = None
    request_uri = fields.request_uri
    raw_path, _ = split_uri(request_uri)
    name = fields.name
    if fields.is_resource and fields.verb == "create":
        name = parse_request_uri(request_uri, "create").name
    return RequestAttributes(
        user=user,
        groups=tuple(fields.groups) if user is not None else (),
        verb=fields.verb,
        is_resource=fields.is_resource,
        path=decode_path(raw_path),
        namespace=fields.namespace,
        api_group=fields.api_group,
        resource=fields.resource,
        subresource=fields.subresource,
        name=name,
    )
