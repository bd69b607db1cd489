"""Audit policy engine: kube-apiserver's rule matching, explanations and cost estimates.

Typical use::

    policy = load_policy("audit-policy.yaml")          # raises PolicyError
    decision = policy.evaluate(attributes_from_event(event))
    decision.rule, decision.level, decision.logged(event["stage"])
    policy.explain(attrs)                              # why earlier rules did not match

Pure Python; no terminal or UI imports.
"""

from .attributes import RequestAttributes, attributes_from_event, attributes_from_fields
from .errors import PolicyError, PolicyIssue
from .evaluate import Decision, Evaluator
from .explain import RuleExplanation, explain, logged_level_mismatch
from .loader import LoadedPolicy, load_policy, parse_policy
from .model import LEVELS, STAGES, GroupResources, Policy, PolicyRule

__all__ = [
    "LEVELS",
    "STAGES",
    "Decision",
    "Evaluator",
    "GroupResources",
    "LoadedPolicy",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "PolicyRule",
    "RequestAttributes",
    "RuleExplanation",
    "attributes_from_event",
    "attributes_from_fields",
    "explain",
    "load_policy",
    "logged_level_mismatch",
    "parse_policy",
]
