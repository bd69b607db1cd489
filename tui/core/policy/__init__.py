"""Audit policy engine: kube-apiserver's rule matching, explanations and cost estimates.

Typical use::

    policy = load_policy("audit-policy.yaml")          # raises PolicyError
    decision = policy.evaluate(attributes_from_event(event))
    decision.rule, decision.level, decision.logged(event["stage"])
    policy.explain(attrs)                              # why earlier rules did not match

Pure Python; no terminal or UI imports.
"""

from .attributes import (
    RequestAttributes,
    RequestFields,
    attributes_from_event,
    attributes_from_fields,
)
from .cost import go_json_size, line_level, would_write_bytes
from .errors import PolicyError, PolicyIssue
from .evaluate import Decision, Evaluator
from .explain import RuleExplanation, explain, logged_level_mismatch, undecided_user_groups
from .loader import LoadedPolicy, load_policy, parse_policy
from .model import LEVELS, STAGES, GroupResources, Policy, PolicyRule
from .report import REPORT_HEADERS, PolicyReport, explain_record, format_bytes, report_cells
from .watch import PolicyWatcher

__all__ = [
    "LEVELS",
    "REPORT_HEADERS",
    "STAGES",
    "Decision",
    "Evaluator",
    "GroupResources",
    "LoadedPolicy",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "PolicyReport",
    "PolicyRule",
    "PolicyWatcher",
    "RequestAttributes",
    "RequestFields",
    "RuleExplanation",
    "attributes_from_event",
    "attributes_from_fields",
    "explain",
    "undecided_user_groups",
    "explain_record",
    "format_bytes",
    "go_json_size",
    "line_level",
    "load_policy",
    "logged_level_mismatch",
    "parse_policy",
    "report_cells",
    "would_write_bytes",
]
