"""Loading a policy file: decode, version check, validation, then a ready evaluator.

The order of checks is kube-apiserver's (decode, group/version, validation, zero rules),
but where the server stops at the first failing step this loader reports every problem
it can find at once, so a broken file is fixed in one round.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .attributes import RequestAttributes
from .decode import decode_policy_text
from .errors import PolicyError, PolicyIssue
from .evaluate import Decision, Evaluator
from .explain import RuleExplanation, explain, undecided_user_groups
from .model import Policy, PolicyRule
from .text import quote
from .validation import validate_policy

__all__ = ["LoadedPolicy", "load_policy", "parse_policy"]

MAX_POLICY_BYTES = 16 << 20
"""Larger files are refused unread: real policies are a few KiB."""
_CURRENT = "audit.k8s.io/v1"
_OLD_VERSIONS = {
    "audit.k8s.io/v1beta1": "1.8 to 1.23",
    "audit.k8s.io/v1alpha1": "1.7 to 1.23",
}


@dataclass(eq=False)
class LoadedPolicy:
    """A valid policy, ready to evaluate, with the warnings found while loading it.

    Attributes:
        policy: the decoded rules.
        path: the file name it came from.
        warnings: unknown fields, old apiVersions and the like; each says what it means.
    """

    policy: Policy
    path: str
    warnings: tuple[PolicyIssue, ...] = ()
    _evaluator: Evaluator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._evaluator = Evaluator(self.policy)

    @property
    def rules(self) -> tuple[PolicyRule, ...]:
        """The rules in file order (rule N is ``rules[N - 1]``)."""
        return self.policy.rules

    @property
    def evaluator(self) -> Evaluator:
        """The cached evaluator (for :meth:`Evaluator.evaluate_fields` on index rows)."""
        return self._evaluator

    def evaluate(self, attrs: RequestAttributes) -> Decision:
        """First matching rule, level, omitted stages and managed-fields flag (cached)."""
        return self._evaluator.evaluate(attrs)

    def explain(self, attrs: RequestAttributes) -> list[RuleExplanation]:
        """Each rule up to the matching one, with the first field that failed and why."""
        return explain(self.policy, attrs)

    def undecided_user_groups(self, attrs: RequestAttributes) -> list[int]:
        """The rules whose ``userGroups`` cannot be decided for an event without groups."""
        return undecided_user_groups(self.policy, attrs)


def _version_issues(
    filename: str, api_version: str | None, kind: str | None, line_of: dict[str, int]
) -> tuple[list[PolicyIssue], list[PolicyIssue]]:
    errors: list[PolicyIssue] = []
    warnings: list[PolicyIssue] = []
    if not api_version:
        errors.append(
            PolicyIssue(
                filename,
                1,
                None,
                "apiVersion",
                "missing. kube-apiserver 1.9 and later refuse a file without apiVersion "
                '("unknown group version field"); only 1.7 and 1.8 read it. Add '
                f"'apiVersion: {_CURRENT}' and 'kind: Policy'",
            )
        )
    elif api_version in _OLD_VERSIONS:
        warnings.append(
            PolicyIssue(
                filename,
                line_of.get("apiVersion"),
                None,
                "apiVersion",
                f"{api_version} is read by Kubernetes {_OLD_VERSIONS[api_version]} only: 1.24 "
                f"and later refuse this file. The schema is the same, so changing it to "
                f"{_CURRENT} is enough",
            )
        )
    elif api_version != _CURRENT:
        errors.append(
            PolicyIssue(
                filename,
                line_of.get("apiVersion"),
                None,
                "apiVersion",
                f"unsupported apiVersion {quote(api_version)}: an audit policy is {_CURRENT} "
                "(or the old audit.k8s.io/v1beta1, v1alpha1)",
            )
        )
    if kind is None or kind == "":
        if api_version:
            warnings.append(
                PolicyIssue(
                    filename,
                    line_of.get("apiVersion"),
                    None,
                    "kind",
                    "kind is missing: kube-apiserver appears to fill in Policy, but write "
                    "'kind: Policy' to be sure",
                )
            )
    elif kind != "Policy":
        errors.append(
            PolicyIssue(
                filename,
                line_of.get("kind"),
                None,
                "kind",
                f"kind is {quote(kind)}: an audit policy file holds kind Policy",
            )
        )
    return errors, warnings


def _group_wildcard_warnings(filename: str, policy: Policy, rule_count: int) -> list[PolicyIssue]:
    warnings = []
    for index, rule in enumerate(policy.rules):
        for entry_index, entry in enumerate(rule.resources):
            if entry.group == "*":
                warnings.append(
                    PolicyIssue(
                        filename,
                        entry.line or None,
                        index + 1,
                        f"resources[{entry_index + 1}].group",
                        'group "*" (every API group) needs kube-apiserver 1.36 or later; '
                        "older releases refuse the file",
                        rule_count,
                    )
                )
    return warnings


def parse_policy(text: str | bytes, filename: str = "<policy>") -> LoadedPolicy:
    """Parse policy text (YAML or JSON) as kube-apiserver would.

    Raises:
        PolicyError: when kube-apiserver would refuse the policy; ``str()`` lists every
            problem with file, line, rule number and field (rules and list positions count
            from 1).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(
                [PolicyIssue(filename, None, None, "", f"not UTF-8 text (byte {exc.start})")]
            ) from None
    decoded = decode_policy_text(text, filename)
    errors = list(decoded.errors)
    warnings = list(decoded.warnings)
    policy = decoded.policy
    if policy is None:
        raise PolicyError(errors)
    line_of = {str(k[0]): v for k, v in decoded.lines.items() if len(k) == 1}
    version_errors, version_warnings = _version_issues(
        filename, decoded.api_version, decoded.kind, line_of
    )
    errors = version_errors + errors + validate_policy(decoded)
    warnings = version_warnings + warnings
    rules_unreadable = any(issue.field == "rules" for issue in decoded.errors)
    if not decoded.rule_count and not rules_unreadable:
        errors.append(
            PolicyIssue(
                filename,
                line_of.get("rules"),
                None,
                "rules",
                'the policy has no rules: kube-apiserver refuses it ("loaded illegal policy '
                'with 0 rules"). To log nothing, use one rule with level: None',
            )
        )
    if errors:
        raise PolicyError(errors)
    warnings += _group_wildcard_warnings(filename, policy, len(policy.rules))
    return LoadedPolicy(policy, filename, tuple(warnings))


def load_policy(path: str | os.PathLike[str]) -> LoadedPolicy:
    """Read and parse a policy file (YAML or JSON).

    Raises:
        PolicyError: when the file cannot be read or kube-apiserver would refuse it.
    """
    name = os.fspath(path)
    try:
        data = _read_bounded(name)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PolicyError([PolicyIssue(name, None, None, "", f"cannot read: {reason}")]) from None
    if len(data) > MAX_POLICY_BYTES:
        message = f"larger than {MAX_POLICY_BYTES >> 20} MiB: not an audit policy"
        raise PolicyError([PolicyIssue(name, None, None, "", message)])
    return parse_policy(data, name)


def _read_bounded(name: str) -> bytes:
    """At most ``MAX_POLICY_BYTES + 1`` bytes of a file, pipe or device.

    Opening without blocking keeps a FIFO that has no writer from hanging the caller (a
    watched policy path replaced by one); the bound keeps ``/dev/zero`` or a runaway file from
    filling memory.
    """
    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_POLICY_BYTES + 1)
    finally:
        os.close(fd)
