"""Builders shared by the policy tests: policies from rule dicts, requests from URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kaudit_tui.core.policy import (
    LoadedPolicy,
    RequestAttributes,
    RequestFields,
    attributes_from_fields,
    parse_policy,
)
from kaudit_tui.core.requestinfo import parse_request_uri

DATA = Path(__file__).resolve().parent.parent / "data" / "policies"

AUTHENTICATED = ("system:authenticated",)


def make_policy(rules: list[dict[str, Any]], **top: Any) -> LoadedPolicy:
    """A v1 policy with ``rules`` (and any policy-level fields), loaded through YAML text."""
    document = {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", **top, "rules": rules}
    return parse_policy(yaml.safe_dump(document, sort_keys=False), "test-policy.yaml")


def request(
    method: str,
    uri: str,
    user: str | None = "alice",
    groups: tuple[str, ...] = AUTHENTICATED,
) -> RequestAttributes:
    """The attributes kube-apiserver would evaluate for ``method uri`` by ``user``."""
    info = parse_request_uri(uri, method)
    return attributes_from_fields(
        RequestFields(
            user=user,
            groups=groups if user is not None else (),
            verb=info.verb,
            is_resource=info.is_resource,
            request_uri=uri,
            namespace=info.namespace,
            api_group=info.api_group,
            resource=info.resource,
            subresource=info.subresource,
            name=info.name,
        )
    )


def no_user(method: str, uri: str) -> RequestAttributes:
    """A request that failed authentication: it is evaluated with no user at all."""
    return request(method, uri, user=None, groups=())
