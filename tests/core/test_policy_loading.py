"""Loading policies: real published files, decoding, version checks, validation (§5, §6)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kaudit_tui.core.policy import PolicyError, load_policy, parse_policy
from tests.core.policy_builders import DATA, request

HEADER = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"


def parse(body: str, header: str = HEADER):  # noqa: ANN201 - returns LoadedPolicy
    return parse_policy(header + textwrap.dedent(body), "p.yaml")


def problems(body: str, header: str = HEADER) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse(body, header)
    return [str(p) for p in caught.value.problems]


# -- the published policies -----------------------------------------------------------------

SAMPLES = [
    # file, rule count, substrings every warning list must contain (in order)
    ("gce.yaml", 17, []),
    ("kubespray-default.yaml", 13, []),
    ("k8s-website-audit-policy.yaml", 9, []),
    ("openshift-default.yaml", 4, []),
    ("openshift-none.yaml", 3, []),
    ("openshift-writerequestbodies.yaml", 5, ["38: rule 3 of 5, resources[5].resource"]),
    ("openshift-allrequestbodies.yaml", 4, ["38: rule 3 of 4, resources[5].resource"]),
    ("openshift-customrules-oauth.yaml", 6, ["38: rule 3 of 6, resources[5].resource"]),
    ("rke2-default.yaml", 1, []),
    ("rke2-default-k8s-pre1.34.yaml", 1, []),
    ("falco-example-v1beta1.yaml", 10, ["1: apiVersion: audit.k8s.io/v1beta1 is read by"]),
]


@pytest.mark.parametrize(("name", "rule_count", "warnings"), SAMPLES)
def test_published_policy_loads(name: str, rule_count: int, warnings: list[str]) -> None:
    policy = load_policy(DATA / name)
    assert len(policy.rules) == rule_count
    assert len(policy.warnings) == len(warnings)
    for issue, expected in zip(policy.warnings, warnings, strict=True):
        assert expected in str(issue)


def test_every_copied_policy_is_covered() -> None:
    names = {p.name for p in DATA.glob("*.yaml")}
    assert names == {name for name, _, _ in SAMPLES} | {"gce-2017-no-apiversion.yaml"}


def test_gce_2017_fails_on_apiversion_and_versioned_groups() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(DATA / "gce-2017-no-apiversion.yaml")
    error = caught.value
    text = str(error)
    assert "gce-2017-no-apiversion.yaml:1: apiVersion: missing." in text
    assert "1.9 and later refuse a file without apiVersion" in text
    assert "audit.k8s.io/v1" in text
    groups = [p for p in error.problems if p.field.endswith(".group")]
    assert len(groups) == 14
    apps = next(p for p in groups if '"apps/v1beta1"' in p.message)
    assert (apps.line, apps.rule, apps.field) == (75, 10, "resources[3].group")
    assert 'write "apps"' in apps.message
    assert "gce-2017-no-apiversion.yaml:75: rule 10 of 12, resources[3].group:" in text


def test_v1beta1_warning_names_the_releases() -> None:
    policy = load_policy(DATA / "falco-example-v1beta1.yaml")
    (warning,) = policy.warnings
    assert "1.24 and later refuse" in warning.message
    assert "1.8 to 1.23" in warning.message


def test_openshift_typo_widens_the_entry_to_the_whole_group() -> None:
    policy = load_policy(DATA / "openshift-writerequestbodies.yaml")
    (warning,) = policy.warnings
    assert (warning.line, warning.rule) == (38, 3)
    assert 'unknown field "resource"' in warning.message
    assert "did you mean resources?" in warning.message
    assert "every resource of group machineconfiguration.openshift.io" in warning.message
    # ... and evaluation behaves like kube-apiserver's lenient decoding: rule 3 takes the
    # whole group, at Metadata, even for writes the next rule meant to log in full
    attrs = request("PUT", "/apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker")
    decision = policy.evaluate(attrs)
    assert (decision.rule, decision.level) == (3, "Metadata")


def test_rke2_default_logs_nothing() -> None:
    policy = load_policy(DATA / "rke2-default.yaml")
    decision = policy.evaluate(request("DELETE", "/api/v1/namespaces/ns/secrets/s"))
    assert (decision.rule, decision.level) == (1, "None")
    assert not decision.logged("ResponseComplete")


# -- validation (§5) --------------------------------------------------------------------------

VALIDATION = [
    ("missing level", "rules:\n- users: [a]\n", "rule 1 of 1, level: Required value", 4),
    (
        "level is case-sensitive",
        "rules:\n- level: metadata\n",
        'rule 1 of 1, level: Unsupported value: "metadata"',
        4,
    ),
    (
        "empty URL",
        'rules:\n- level: None\n  nonResourceURLs: [""]\n',
        "nonResourceURLs[1]: Invalid value \"\": non-resource URL rules must begin with a '/'",
        5,
    ),
    (
        "URL without slash",
        "rules:\n- level: None\n  nonResourceURLs:\n  - /ok\n  - logs\n",
        'nonResourceURLs[2]: Invalid value "logs": non-resource URL rules must begin',
        7,
    ),
    (
        "star in the middle",
        "rules:\n- level: None\n  nonResourceURLs: [/logs/*/*]\n",
        "wildcards '*' must be the final character",
        5,
    ),
    (
        "star before a suffix",
        "rules:\n- level: None\n  nonResourceURLs: [/logs/*.log]\n",
        "wildcards '*' must be the final character",
        5,
    ),
    (
        "double star",
        "rules:\n- level: None\n  nonResourceURLs: ['/healthz**']\n",
        "wildcards '*' must be the final character",
        5,
    ),
    (
        "URLs with resources",
        "rules:\n- level: None\n  nonResourceURLs: [/x]\n  resources: [{group: ''}]\n",
        "rules cannot apply to both regular resources and non-resource URLs",
        5,
    ),
    (
        "URLs with namespaces",
        "rules:\n- level: None\n  namespaces: [a]\n  nonResourceURLs: [/x]\n",
        "rules cannot apply to both",
        6,
    ),
    (
        "versioned group",
        "rules:\n- level: None\n  resources:\n  - group: apps/v1\n",
        'resources[1].group: invalid group "apps/v1"',
        6,
    ),
    (
        "upper-case group",
        "rules:\n- level: None\n  resources:\n  - group: Apps\n",
        'group names are lower case, write "apps"',
        6,
    ),
    (
        "group too long",
        "rules:\n- level: None\n  resources:\n  - group: " + "a" * 254 + "\n",
        "must be no more than 253 characters",
        6,
    ),
    (
        "resourceNames without resources",
        "rules:\n- level: None\n  resources:\n  - group: ''\n    resourceNames: [x]\n",
        "resources[1].resourceNames: Invalid value [x]: using resourceNames requires at least "
        "one resource",
        7,
    ),
    (
        "rule stage is case-sensitive",
        "rules:\n- level: None\n  omitStages: [requestReceived]\n",
        'omitStages[1]: Invalid value "requestReceived": allowed stages are RequestReceived,'
        "ResponseStarted,ResponseComplete,Panic",
        5,
    ),
    (
        "policy stage",
        "omitStages: [Done]\nrules:\n- level: None\n",
        'p.yaml:3: omitStages[1]: Invalid value "Done"',
        3,
    ),
    ("zero rules", "rules: []\n", "the policy has no rules", 3),
    ("no rules field", "omitStages: []\n", "the policy has no rules", None),
    ("null rules", "rules:\n", "the policy has no rules", 3),
]


@pytest.mark.parametrize(
    ("body", "expected", "line"),
    [case[1:] for case in VALIDATION],
    ids=[case[0] for case in VALIDATION],
)
def test_validation_error(body: str, expected: str, line: int | None) -> None:
    with pytest.raises(PolicyError) as caught:
        parse(body)
    (problem,) = caught.value.problems
    assert expected in str(problem)
    assert problem.line == line
    assert expected in str(caught.value)


def test_all_problems_are_reported_together() -> None:
    found = problems(
        """\
        rules:
        - level: Everything
          resources: [{group: apps/v1}]
        - nonResourceURLs: [healthz]
        """
    )
    assert len(found) == 4
    assert [text.split(":")[1] for text in found] == ["4", "5", "6", "6"]


@pytest.mark.parametrize(
    "url",
    ["*", "/*", "/healthz*", "/healthz", "/"],
)
def test_valid_non_resource_urls(url: str) -> None:
    parse(f"rules:\n- level: None\n  nonResourceURLs: ['{url}']\n")


def test_things_upstream_never_validates() -> None:
    policy = parse(
        """\
        rules:
        - level: None
          users: ["", "Any Thing"]
          verbs: [GET, explode]
          namespaces: ["Not_A_Namespace"]
          resources:
          - group: ""
            resources: ["*/*", PODS, pods/log/x]
        - level: None
          users: ["", "Any Thing"]
          verbs: [GET, explode]
          namespaces: ["Not_A_Namespace"]
          resources:
          - group: ""
            resources: ["*/*", PODS, pods/log/x]
        """
    )
    assert len(policy.rules) == 2
    assert policy.warnings == ()


def test_group_star_is_accepted_with_a_release_warning() -> None:
    policy = parse("rules:\n- level: Metadata\n  resources:\n  - group: '*'\n")
    (warning,) = policy.warnings
    assert "1.36" in warning.message
    assert warning.line == 6


# -- decoding (§6) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- level: None\n", "the top level must be a mapping, found a list"),
        ("rules: [\n", "not valid YAML or JSON"),
        (
            HEADER + "rules:\n- level: [a]\n",
            "level: cannot decode: expected a string, found a list",
        ),
        (HEADER + "rules:\n- level: None\n  users: alice\n", "expected a list of strings"),
        (
            HEADER + "rules:\n- level: None\n  users: [1]\n",
            "item 1: expected a string, found a number",
        ),
        (HEADER + "rules:\n- level: None\n  users: [yes]\n", "found a boolean"),
        (HEADER + "omitManagedFields: 'true'\nrules:\n- level: None\n", "expected true or false"),
        (HEADER + "rules: {level: None}\n", "expected a list of rules, found a mapping"),
        (HEADER + "rules:\n- None\n", "expected a rule (a mapping), found a string"),
        (HEADER + "rules:\n- level: None\n  resources: [apps]\n", "found a string"),
        (HEADER + "metadata: []\nrules:\n- level: None\n", "metadata: cannot decode"),
        ("kind: Policy\nrules:\n- level: None\n", "apiVersion: missing."),
        ("apiVersion: audit.k8s.io/v2\nrules:\n- level: None\n", 'unsupported apiVersion "audit'),
        ("apiVersion: audit.k8s.io/v1\nkind: Event\nrules:\n- level: None\n", 'kind is "Event"'),
    ],
)
def test_decoding_errors(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.yaml")
    assert expected in str(caught.value)


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(HEADER + "rules:\n- level: None\n  users: [a\n- level: x\n", "p.yaml")
    assert caught.value.line is not None and caught.value.line >= 5


def test_type_error_has_line_rule_and_field() -> None:
    with pytest.raises(PolicyError) as caught:
        parse("rules:\n- level: None\n- level: Request\n  verbs: {get: true}\n")
    (problem,) = caught.value.problems
    assert (problem.line, problem.rule, problem.field) == (6, 2, "verbs")


def test_missing_kind_is_only_a_warning() -> None:
    policy = parse_policy("apiVersion: audit.k8s.io/v1\nrules:\n- level: None\n", "p.yaml")
    (warning,) = policy.warnings
    assert warning.field == "kind"


def test_unknown_field_case_hint_and_then_missing_level() -> None:
    found = problems("rules:\n- Level: Metadata\n")
    assert found == ["p.yaml:4: rule 1 of 1, level: Required value: every rule needs a level"]
    policy = parse("rules:\n- level: None\n  Users: [a]\n")
    (warning,) = policy.warnings
    assert "field names are case-sensitive: did you mean users?" in warning.message


def test_misspelled_only_field_makes_the_rule_match_everything() -> None:
    policy = parse("rules:\n- level: None\n  user: [system:kube-proxy]\n- level: Metadata\n")
    (warning,) = policy.warnings
    assert warning.line == 5
    assert "this rule now matches every request" in warning.message
    assert policy.evaluate(request("GET", "/api/v1/pods", "alice")).rule == 1


def test_verbs_inside_a_resources_entry_are_dropped() -> None:
    """Upstream's own test: verbs misplaced under resources apply the rule to every verb."""
    policy = parse(
        """\
        rules:
        - level: Request
          resources:
          - group: ""
            resources: [pods]
            verbs: [get]
        """
    )
    (warning,) = policy.warnings
    assert warning.line == 8
    assert "verbs belongs to the rule, not to a resources entry" in warning.message
    assert policy.evaluate(request("DELETE", "/api/v1/namespaces/ns/pods/p")).rule == 1


def test_duplicate_keys_last_one_wins_with_a_warning() -> None:
    policy = parse("rules:\n- level: None\n  level: Metadata\n")
    (warning,) = policy.warnings
    assert warning.line == 5 and "duplicate field" in warning.message
    assert policy.rules[0].level == "Metadata"


def test_metadata_is_ignored_and_unknown_metadata_warns() -> None:
    policy = parse("metadata:\n  name: policy\n  colour: blue\nrules:\n- level: None\n")
    (warning,) = policy.warnings
    assert warning.field == "metadata.colour"
    assert warning.line == 5


def test_top_level_rule_field_warns_that_it_has_no_effect() -> None:
    policy = parse("level: None\nrules:\n- level: Metadata\n")
    (warning,) = policy.warnings
    assert "belongs inside a rule" in warning.message


def test_only_the_first_yaml_document_is_read() -> None:
    policy = parse("rules:\n- level: Metadata\n---\nrules: []\n")
    assert len(policy.rules) == 1
    assert any("more than one YAML document" in w.message for w in policy.warnings)


def test_yaml_anchors_and_merge_keys() -> None:
    policy = parse(
        """\
        rules:
        - &quiet
          level: None
          users: [system:kube-proxy]
        - <<: *quiet
          level: Metadata
        """
    )
    assert [r.level for r in policy.rules] == ["None", "Metadata"]
    assert policy.rules[1].users == ("system:kube-proxy",)


def test_json_policy_with_lines(tmp_path: Path) -> None:
    document = {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "rules": [{"level": "Metadata", "verbs": ["get"]}, {"level": "Nope"}],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    (problem,) = caught.value.problems
    assert problem.rule == 2
    assert problem.line == 12
    document["rules"][1]["level"] = "None"  # type: ignore[index]
    path.write_text(json.dumps(document))
    assert len(load_policy(path).rules) == 2


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"rules:\n- level: \xff\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(binary)


def test_hostile_field_names_are_escaped() -> None:
    policy = parse('rules:\n- level: None\n  "\\e[31mred\\u202e": 1\n')
    (warning,) = policy.warnings
    text = str(warning)
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[31mred\\u202e" in text
