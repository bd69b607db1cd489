"""Why a request hit the rule it hit: each earlier rule with the first field that failed.

This is a second, deliberately plain reading of the matching rules (the evaluator is the
fast one); the test suite checks that both always pick the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .attributes import RequestAttributes
from .evaluate import Decision
from .model import GroupResources, Policy, PolicyRule
from .text import show, show_list

__all__ = ["RuleExplanation", "explain", "logged_level_mismatch"]


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    """One rule's verdict for one request.

    Attributes:
        rule: 1-based rule number.
        level: the rule's level.
        matched: True for the rule that decides the request (always the last one listed).
        field: the first field that failed (``users``, ``userGroups``, ``verbs``,
            ``namespaces``, ``resources``, ``resourceNames``, ``nonResourceURLs``), or None
            for the matching rule.
        reason: a short sentence, e.g. ``users: system:kube-proxy ≠ alice``; safe to print
            (event strings are escaped).
        line: the rule's line in the policy file (0 when unknown).
    """

    rule: int
    level: str
    matched: bool
    field: str | None
    reason: str
    line: int = 0


def _path_matches(path: str, pattern: str) -> bool:
    if pattern == "*" or pattern == path:
        return True
    return pattern.endswith("*") and path.startswith(pattern.rstrip("*"))


def _resource_matches(entry: GroupResources, resource: str, sub: str) -> bool:
    combined = f"{resource}/{sub}" if sub else resource
    for pattern in entry.resources:
        if pattern == combined or pattern == "*":
            return True
        if sub and pattern.startswith("*/") and pattern[2:] == sub:
            return True
        if pattern.endswith("/*") and pattern[:-2] == resource:
            return True
    return False


def _describe_request(attrs: RequestAttributes) -> str:
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    group = f" in group {show(attrs.api_group)}" if attrs.api_group else " in the core group"
    return f"{show(combined)}{group}"


def _check_resources(rule: PolicyRule, attrs: RequestAttributes) -> tuple[str, str] | None:
    group_hits = [e for e in rule.resources if e.group in (attrs.api_group, "*")]
    if not group_hits:
        groups = show_list(e.group for e in rule.resources)
        return "resources", f"resources: group {groups} ≠ {show(attrs.api_group)}"
    name_failures: list[GroupResources] = []
    for entry in group_hits:
        if not entry.resources:
            return None
        if not _resource_matches(entry, attrs.resource, attrs.subresource):
            continue
        if entry.resource_names and attrs.name not in entry.resource_names:
            name_failures.append(entry)
            continue
        return None
    if name_failures:
        names = show_list(n for e in name_failures for n in e.resource_names)
        shown = show(attrs.name) if attrs.name else '"" (the request names no object)'
        return "resourceNames", f"resourceNames: {names} ≠ {shown}"
    patterns = show_list(r for e in group_hits for r in e.resources)
    return "resources", f"resources: {patterns} ≠ {_describe_request(attrs)}"


def _first_failure(rule: PolicyRule, attrs: RequestAttributes) -> tuple[str, str] | None:
    """(field, reason) for the first field of ``rule`` that rejects ``attrs``; None on match."""
    user = attrs.user
    if rule.users:
        if user is None:
            return "users", "users: the request has no user (authentication failed)"
        if user not in rule.users:
            return "users", f"users: {show_list(rule.users)} ≠ {show(user)}"
    if rule.user_groups:
        if user is None:
            return "userGroups", "userGroups: the request has no user (authentication failed)"
        if not set(rule.user_groups) & set(attrs.groups):
            have = (
                f"any of {show_list(attrs.groups)}" if attrs.groups else "(the user has no groups)"
            )
            return "userGroups", f"userGroups: {show_list(rule.user_groups)} ≠ {have}"
    if rule.verbs and attrs.verb not in rule.verbs:
        return "verbs", f"verbs: {show_list(rule.verbs)} ≠ {show(attrs.verb)}"
    if rule.namespaces or rule.resources:
        field = "resources" if rule.resources else "namespaces"
        if not attrs.is_resource:
            return field, (
                f"{field}: the rule is for resource requests; {show(attrs.path)} is a "
                "non-resource URL"
            )
        if rule.namespaces and attrs.namespace not in rule.namespaces:
            shown = show(attrs.namespace) if attrs.namespace else '"" (cluster-wide)'
            return "namespaces", f"namespaces: {show_list(rule.namespaces)} ≠ {shown}"
        if rule.resources:
            return _check_resources(rule, attrs)
        return None
    if rule.non_resource_urls:
        if attrs.is_resource:
            return "nonResourceURLs", (
                "nonResourceURLs: the rule is for non-resource URLs; this is a resource "
                f"request ({_describe_request(attrs)})"
            )
        if not any(_path_matches(attrs.path, p) for p in rule.non_resource_urls):
            patterns = show_list(rule.non_resource_urls)
            return "nonResourceURLs", f"nonResourceURLs: {patterns} ≠ {show(attrs.path)}"
    return None


def undecided_user_groups(policy: Policy, attrs: RequestAttributes) -> list[int]:
    """The rules whose ``userGroups`` this event cannot decide, because it logs no groups (GKE
    entries never do): rules up to the one that decides it (all, if none does) that would
    match were the user in one of their groups. Empty when the event has groups or no user.
    """
    if attrs.user is None or attrs.groups:
        return []
    numbers = []
    for index, rule in enumerate(policy.rules):
        if rule.user_groups and _first_failure(replace(rule, user_groups=()), attrs) is None:
            numbers.append(index + 1)
        elif _first_failure(rule, attrs) is None:
            break
    return numbers


def explain(policy: Policy, attrs: RequestAttributes) -> list[RuleExplanation]:
    """Every rule up to and including the one that matches ``attrs`` (all rules if none)."""
    result: list[RuleExplanation] = []
    for index, rule in enumerate(policy.rules):
        failure = _first_failure(rule, attrs)
        if failure is None:
            result.append(RuleExplanation(index + 1, rule.level, True, None, "matched", rule.line))
            break
        field, reason = failure
        result.append(RuleExplanation(index + 1, rule.level, False, field, reason, rule.line))
    return result


def logged_level_mismatch(decision: Decision, logged_level: str, stage: str) -> str | None:
    """A warning when the loaded policy cannot have produced this event, else None.

    kube-apiserver writes the level it computed into every event, and never writes a stage
    the policy omits, so either disagreement means the log was written under another
    policy (or an older version of this one).
    """
    where = f"rule {decision.rule}" if decision.rule is not None else "no rule matched"
    if decision.level != logged_level:
        if decision.level == "None":
            return (
                f"the log was written under another policy: this policy would not log the "
                f"request ({where}, level None), but it was logged at {show(logged_level)}"
            )
        return (
            f"the log was written under another policy: this policy gives level "
            f"{decision.level} ({where}), the event was logged at {show(logged_level)}"
        )
    if stage in decision.omit_stages:
        return (
            f"the log was written under another policy: this policy omits stage "
            f"{show(stage)} ({where}), yet the event was written"
        )
    return None
