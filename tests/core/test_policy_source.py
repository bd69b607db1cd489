"""Each rule keeps its text as written, cut by its YAML node's marks (the policy panel shows it)."""

from __future__ import annotations

from pathlib import Path

from kaudit_tui.core.policy import load_policy, parse_policy
from kaudit_tui.view.policy import rule_texts

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"


def sources(text: str) -> list[str]:
    return [rule.source for rule in parse_policy(text, "p.yaml").rules]


def test_block_rules_keep_their_dash_and_inner_comments_not_the_trailing_ones() -> None:
    text = HEADER + (
        "rules:\n"
        "  # Rule one: the noisy reads.\n"
        "  - level: None  # quiet\n"
        "    # who\n"
        "    users: [a]\n"
        "    verbs:\n"
        "    - get\n"
        "\n"
        "  # Rule two\n"
        "  - level: Metadata\n"
        "omitStages: [RequestReceived]\n"
    )
    assert sources(text) == [
        "- level: None  # quiet\n  # who\n  users: [a]\n  verbs:\n  - get",
        "- level: Metadata",
    ]


def test_flow_rules_on_one_line_are_cut_at_their_braces() -> None:
    text = HEADER + "rules: [{level: None, users: [a]}, {level: Metadata}]\n"
    assert sources(text) == ["{level: None, users: [a]}", "{level: Metadata}"]


def test_json_rules() -> None:
    text = (
        '{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [\n'
        '  {\n    "level": "None",\n    "users": ["a"]\n  },\n'
        '  {"level": "Metadata"}\n]}\n'
    )
    assert sources(text) == ['{\n  "level": "None",\n  "users": ["a"]\n}', '{"level": "Metadata"}']


def test_byte_order_mark_crlf_and_wide_characters() -> None:
    text = (
        "\ufeff"
        + HEADER.replace("\n", "\r\n")
        + ('rules:\r\n- level: None\r\n  users: ["名前 🚀"]\r\n- level: Metadata\r\n')
    )
    assert sources(text) == ['- level: None\n  users: ["名前 🚀"]', "- level: Metadata"]


def test_rule_texts_come_from_the_loaded_policy_not_the_file_now(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + "rules:\n- level: None\n  verbs: [get]\n- level: Metadata\n")
    policy = load_policy(path)
    path.write_text(HEADER + "rules:\n- level: Request\n")  # changed since it was loaded
    assert rule_texts(policy) == ["- level: None\n  verbs: [get]", "- level: Metadata"]
