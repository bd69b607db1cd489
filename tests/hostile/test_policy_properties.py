"""Generated, mutated and hostile policy files through ``parse_policy`` and evaluation.

A policy file is either loaded (with warnings) or refused with a ``PolicyError``; every
message is safe to print; a policy that loads evaluates every event of a hostile log, and its
``rule:``/``logged:`` query fields filter without raising.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kaudit_tui.core.decisions import RowDecisions, policy_fields
from kaudit_tui.core.policy import PolicyError, parse_policy
from kaudit_tui.core.query import QueryError, parse_query
from kaudit_tui.core.store import EventStore
from tests.conftest import DATA, LOGS, index_files
from tests.hostile.corpus import CORPUS, is_terminal_safe
from tests.hostile.strategies import hostile_text, json_values

POLICIES = sorted((DATA / "policies").glob("*.yaml")) + [CORPUS / "policy.yaml"]
RULE_KEYS = ("level", "users", "userGroups", "verbs", "resources", "namespaces",
             "nonResourceURLs", "omitStages", "omitManagedFields", "Level", "resource")  # fmt: skip
LEVELS = ("None", "Metadata", "Request", "RequestResponse", "metadata", "")
YAML_TRAPS = (
    "a: &a [1, 2]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nrules: [*c, *c, *c]\n",
    "rules:\n  - <<: 5\n    level: None\n",
    "rules:\n  - <<: [*x]\n",
    "rules:\n  - level: !!python/object:os.system echo\n",
    "rules:\n  - level: !!binary aGVsbG8=\n",
    "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + "  - level: None\n" * 3 + "---\n]",
    "[" * 5000 + "]" * 5000,
    "{" * 5000,
    "rules: " + "[" * 300 + "]" * 300,
    "kind: Policy\nrules:\n- level: None\n  users: [" + "1" * 500 + "]\n",
    "\ufeffapiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- {level: Metadata}\n",
    "apiVersion: audit.k8s.io/v1\r\nkind: Policy\r\nrules:\r\n\t- level: None\r\n",
    "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  level: Metadata\n",
    "%YAML 9.9\n---\nrules: []\n",
    "? [a, b]\n: c\n",
    "rules:\n  - level: \x00\n",
)


@st.composite
def generated_policies(draw: st.DrawFn) -> str:
    """A policy document from Python values of any type, as YAML (or JSON) text."""
    value = json_values | hostile_text
    rule = st.dictionaries(st.sampled_from(RULE_KEYS) | hostile_text, value, max_size=4)
    rules = st.lists(rule, max_size=4).map(
        lambda rs: [{"level": "Metadata", **r} if i % 2 else r for i, r in enumerate(rs)]
    )
    document = {
        "apiVersion": draw(st.sampled_from(["audit.k8s.io/v1", "audit.k8s.io/v1beta1"]) | value),
        "kind": draw(st.just("Policy") | value),
        "rules": draw(rules | value),
    }
    if draw(st.booleans()):
        document["omitStages"] = draw(st.lists(hostile_text, max_size=2) | value)
    dump = draw(st.sampled_from([yaml.safe_dump, yaml.dump]))
    return dump(document, allow_unicode=draw(st.booleans()))


def _mutate(text: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(text)))
    how = data.draw(st.sampled_from(["cut", "insert", "level"]))
    if how == "cut":
        return text[:at]
    if how == "insert":
        junk = data.draw(st.sampled_from([":", "- ", "\t", "&a ", "*a", "!!", "{", "]", "\n  "]))
        return text[:at] + junk + text[at:]
    return text.replace("level: ", f"level: {data.draw(st.sampled_from(LEVELS) | hostile_text)}", 1)


policy_texts = st.one_of(
    generated_policies(),
    st.builds(_mutate, st.sampled_from(POLICIES).map(Path.read_text), st.data()),
    st.sampled_from(YAML_TRAPS),
    hostile_text,
)


@pytest.fixture(scope="module")
def store() -> Iterator[EventStore]:
    yield index_files(
        LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log",
        CORPUS / "events.jsonl",
        CORPUS / "legacy.log",
    )


@given(policy_texts | st.binary(max_size=200))
def test_a_policy_file_loads_or_is_refused_with_safe_messages(text: str | bytes) -> None:
    try:
        loaded = parse_policy(text, "policy.yaml")
    except PolicyError as error:
        assert error.problems
        assert is_terminal_safe(str(error)), str(error)
        return
    for warning in loaded.warnings:
        assert is_terminal_safe(str(warning)), str(warning)
    assert loaded.rules


POLICY_QUERIES = ("rule:1", "rule:none", "-rule:2", "logged:true", "logged:no", "rule:0",
                  "rule:99999999999999999999")  # fmt: skip


@given(policy_texts, st.sampled_from(POLICY_QUERIES))
def test_a_policy_that_loads_decides_every_hostile_event(
    store: EventStore, text: str, query_text: str
) -> None:
    try:
        loaded = parse_policy(text, "policy.yaml")
    except PolicyError:
        return
    decisions = RowDecisions(loaded)
    rules, logged = decisions.columns(store, range(store.first_id, store.next_id))
    assert len(rules) == len(logged) == len(store)
    assert all(0 <= rule <= len(loaded.rules) for rule in rules.tolist())
    try:
        query = parse_query(query_text, extra_fields=policy_fields(decisions))
    except QueryError:
        return
    query.filter(store)
