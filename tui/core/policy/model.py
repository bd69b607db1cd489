"""The audit Policy as loaded: plain, immutable data mirroring ``audit.k8s.io/v1``.

Every rule and entry remembers the line it was written on, so explanations, warnings and
the UI can point back into the file the operator is editing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "LEVELS",
    "LEVEL_RANK",
    "STAGES",
    "GroupResources",
    "Policy",
    "PolicyRule",
]

LEVELS: tuple[str, ...] = ("None", "Metadata", "Request", "RequestResponse")
"""Audit levels in increasing order of detail; the names are case-sensitive."""

LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}

STAGES: tuple[str, ...] = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")
"""Event stages, in the order a request goes through them."""


@dataclass(frozen=True, slots=True)
class GroupResources:
    """One ``resources:`` entry of a rule: an API group and optionally resources and names."""

    group: str = ""
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule. Empty tuples mean "no restriction", as in the apiserver.

    ``omit_stages`` is the rule's own list as written; ``omit_managed_fields`` is None when
    the rule does not set it (the policy-level value then applies).
    """

    level: str
    users: tuple[str, ...] = ()
    user_groups: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    resources: tuple[GroupResources, ...] = ()
    namespaces: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    omit_stages: tuple[str, ...] = ()
    omit_managed_fields: bool | None = None
    line: int = 0
    source: str = field(default="", compare=False, repr=False)
    """The rule as written in its file, comments inside it included (empty when built in code)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole policy. ``omit_stages`` is the policy-level list as written."""

    api_version: str
    rules: tuple[PolicyRule, ...]
    omit_stages: tuple[str, ...] = ()
    omit_managed_fields: bool = False
