"""Detections: Falco rules (``k8s_audit`` source) evaluated over audit events.

Typical use::

    ruleset = Ruleset.from_files(["k8s_audit_rules.yaml", "my-overrides.yaml"])  # RulesError
    for alert in ruleset.evaluate(event):       # event: the audit event as a dict
        alert.rule, alert.priority, alert.output, alert.to_json()

``rules``      loading files: lists, macros, rules, appends, overrides, exceptions, errors
``condition``  the condition language: parser (with columns) and compiled predicates
``fields``     the ``ka.*``, ``json.value[...]``/``jevt.*`` and ``evt.time`` fields
``output``     ``%field`` output strings
``engine``     the ruleset, its alerts, and the scanner running it over a store's rows
``lift``       checks answered once per distinct indexed value (three-valued), for the scanner
``rate``       ``kaudit_rate``: kaudit-tui's rate windows (bursts)
``defaults``   the built-in triage rules (``triage_rules.yaml``), loaded before the user's

Pure Python; no terminal or UI imports.
"""

from .condition import ConditionError, Context, compile_condition, parse_condition
from .defaults import DEFAULT_RULES, load_ruleset_files
from .engine import Alert, Ruleset, rfc3339_ns
from .fields import FIELDS, FieldError, lookup_field
from .output import OutputError, parse_output
from .rules import PRIORITIES, CompiledRule, LoadedRules, RulesError, load_rules, load_rules_text

__all__ = [
    "DEFAULT_RULES",
    "FIELDS",
    "PRIORITIES",
    "Alert",
    "CompiledRule",
    "ConditionError",
    "Context",
    "FieldError",
    "LoadedRules",
    "OutputError",
    "Ruleset",
    "RulesError",
    "compile_condition",
    "lookup_field",
    "load_rules",
    "load_rules_text",
    "load_ruleset_files",
    "parse_condition",
    "parse_output",
    "rfc3339_ns",
]
