"""kube-apiserver's policy validation (what makes it refuse to start), with lines.

The checks and their wording follow the apiserver's, so an operator can recognise the
message they would get from the server; positions are 1-based and a hint is added where
the fix is not obvious (a group name with a version, a misplaced wildcard).
"""

from __future__ import annotations

import re

from .decode import Decoded, FieldPath, display_path
from .errors import PolicyIssue
from .model import LEVELS, STAGES, Policy
from .text import quote, show_list

__all__ = ["validate_policy"]

_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1123_MAX = 253


def _group_problem(group: str) -> str | None:
    """Why ``group`` is not a valid API group name, or None when it is."""
    if group in ("", "*"):
        return None
    reasons = []
    if len(group) > _DNS1123_MAX:
        reasons.append(f"must be no more than {_DNS1123_MAX} characters")
    if not _DNS1123_SUBDOMAIN.fullmatch(group):
        reasons.append(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character"
        )
    if not reasons:
        return None
    upstream = "; ".join(reasons)
    base, slash, _version = group.partition("/")
    if slash and _DNS1123_SUBDOMAIN.fullmatch(base or "x"):
        return (
            f"invalid group {quote(group)}: a group name carries no version, write "
            f"{quote(base)} (versioned names were accepted only before 1.9; kube-apiserver "
            f"says: {upstream})"
        )
    if group.lower() != group and _DNS1123_SUBDOMAIN.fullmatch(group.lower()):
        return (
            f"invalid group {quote(group)}: group names are lower case, write "
            f"{quote(group.lower())} (kube-apiserver says: {upstream})"
        )
    return f"invalid group {quote(group)}: {upstream}"


class _Validator:
    def __init__(self, decoded: Decoded) -> None:
        self.decoded = decoded
        self.problems: list[PolicyIssue] = []

    def add(self, path: FieldPath, message: str, line_path: FieldPath | None = None) -> None:
        lines = self.decoded.lines
        probe = line_path if line_path is not None else path
        line = None
        while probe:
            if probe in lines:
                line = lines[probe]
                break
            probe = probe[:-1]
        rule: int | None = None
        inner = path
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rule = path[1] + 1
            inner = path[2:]
        self.problems.append(
            PolicyIssue(
                self.decoded.filename,
                line,
                rule,
                display_path(inner),
                message,
                self.decoded.rule_count,
            )
        )

    def omit_stages(self, stages: tuple[str, ...], path: FieldPath) -> None:
        for index, stage in enumerate(stages):
            if stage not in STAGES:
                self.add(
                    (*path, index),
                    f"Invalid value {quote(stage)}: allowed stages are {','.join(STAGES)} "
                    "(case-sensitive)",
                )

    def policy(self, policy: Policy) -> None:
        self.omit_stages(policy.omit_stages, ("omitStages",))
        for rule, index in zip(policy.rules, self.decoded.rule_indices, strict=True):
            path: FieldPath = ("rules", index)
            if rule.level == "":
                self.add((*path, "level"), "Required value: every rule needs a level")
            elif rule.level not in LEVELS:
                self.add(
                    (*path, "level"),
                    f"Unsupported value: {quote(rule.level)}: supported values: "
                    + ", ".join(quote(level) for level in LEVELS)
                    + " (case-sensitive)",
                )
            for url_index, url in enumerate(rule.non_resource_urls):
                url_path = (*path, "nonResourceURLs", url_index)
                if url == "*":
                    continue
                if not url.startswith("/"):
                    self.add(
                        url_path,
                        f"Invalid value {quote(url)}: non-resource URL rules must begin with "
                        "a '/' character",
                    )
                if url and "*" in url[:-1]:
                    self.add(
                        url_path,
                        f"Invalid value {quote(url)}: non-resource URL wildcards '*' must be "
                        "the final character of the rule",
                    )
            for entry_index, entry in enumerate(rule.resources):
                entry_path = (*path, "resources", entry_index)
                problem = _group_problem(entry.group)
                if problem:
                    self.add((*entry_path, "group"), problem)
                if entry.resource_names and not entry.resources:
                    self.add(
                        (*entry_path, "resourceNames"),
                        f"Invalid value [{show_list(entry.resource_names)}]: using "
                        "resourceNames requires at least one resource",
                    )
            self.omit_stages(rule.omit_stages, (*path, "omitStages"))
            if rule.non_resource_urls and (rule.resources or rule.namespaces):
                self.add(
                    (*path, "nonResourceURLs"),
                    "rules cannot apply to both regular resources and non-resource URLs: "
                    "split this rule in two",
                )


def validate_policy(decoded: Decoded) -> list[PolicyIssue]:
    """Return the apiserver's validation errors for a decoded policy, in file order."""
    if decoded.policy is None:
        return []
    validator = _Validator(decoded)
    validator.policy(decoded.policy)
    return validator.problems
