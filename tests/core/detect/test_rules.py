"""Rules files: lists, macros, rules, appends, overrides, exceptions, other sources, outputs,
and the errors a broken file gives (file, line, rule, problem)."""

from __future__ import annotations

import textwrap

import pytest

from kaudit_tui.core.detect import RulesError, Ruleset, load_rules_text
from tests.events import audit_event

RULE = """\
- rule: {name}
  desc: d
  condition: {condition}
  output: {output}
  priority: {priority}
  source: k8s_audit
"""


def rule(
    name: str = "R",
    condition: str = "ka.verb=get",
    output: str = "o",
    priority: str = "WARNING",
) -> str:
    return RULE.format(name=name, condition=condition, output=output, priority=priority)


def ruleset(*texts: str) -> Ruleset:
    return Ruleset(load_rules_text(*(textwrap.dedent(t) for t in texts)))


def fired(rs: Ruleset, **event) -> list[str]:
    return [a.rule for a in rs.evaluate(audit_event(**event))]


def error(*texts: str) -> RulesError:
    with pytest.raises(RulesError) as caught:
        ruleset(*texts)
    return caught.value


def test_several_rules_fire_in_order() -> None:
    rs = ruleset(rule("B", "ka.verb=get"), rule("A", "ka.target.resource=pods"))
    assert fired(rs, verb="get") == ["B", "A"]
    assert fired(rs, verb="list") == ["A"]


def test_a_later_definition_replaces_the_earlier_one_in_its_place() -> None:
    rs = ruleset(rule("A"), rule("B"), rule("A", "ka.verb=list"))
    assert [r.name for r in rs.rules] == ["A", "B"]
    assert fired(rs, verb="list") == ["A"]


def test_later_files_override_earlier_ones() -> None:
    first = rule("R", "ka.verb in (verbs)") + "- list: verbs\n  items: [get]\n"
    second = """\
    - list: verbs
      items: [list]
      append: true
    - rule: R
      condition: and ka.target.resource=pods
      override:
        condition: append
    """
    rs = ruleset(first, second)
    assert fired(rs, verb="list", resource="pods") == ["R"]
    assert fired(rs, verb="list", resource="secrets") == []


def test_overrides_append_and_replace() -> None:
    base = rule("R", "ka.verb=get", output="user=%ka.user.name")
    change = """\
    - rule: R
      output: verb=%ka.verb
      priority: error
      tags: [extra]
      override:
        output: append
        priority: replace
        tags: replace
    - macro: m
      condition: ka.verb=get
    - macro: m
      condition: or ka.verb=list
      override:
        condition: append
    - rule: S
      desc: d
      condition: m
      output: o
      priority: info
      source: k8s_audit
    """
    rs = ruleset(base, change)
    alert = rs.evaluate(audit_event(verb="get", user="alice"))[0]
    assert alert.output.split(": ", 1)[1] == "Error user=alice verb=get"
    assert alert.tags == ("extra",)
    assert fired(rs, verb="list") == ["S"]


def test_the_deprecated_append_form() -> None:
    rs = ruleset(
        rule("R", "ka.verb in (vs)"),
        """\
        - list: vs
          items: [get]
        - list: vs
          items: [list]
          append: true
        - rule: R
          condition: and ka.user.name=alice
          append: true
        """,
    )
    assert fired(rs, verb="list", user="alice") == ["R"]
    assert fired(rs, verb="list", user="bob") == []


def test_an_appending_rule_ignores_keys_other_than_condition_and_exceptions() -> None:
    rs = ruleset(
        rule("R"), "- rule: R\n  append: true\n  condition: or ka.verb=list\n  output: x\n"
    )
    assert fired(rs, verb="list") == ["R"]
    assert rs.loaded.warnings == [
        "rules-2.yaml:1: rule 'R': an appending rule takes only 'condition' and 'exceptions': "
        "output ignored"
    ]


def test_enabled() -> None:
    rs = ruleset(rule("A"), rule("B"), "- rule: A\n  enabled: false\n")
    assert fired(rs, verb="get") == ["B"]
    rs = ruleset(rule("A") + "  enabled: false\n", "- rule: A\n  enabled: true\n")
    assert fired(rs, verb="get") == ["A"]


def test_rules_of_other_sources_are_skipped_but_their_lists_and_macros_stay() -> None:
    syscall = """\
    - required_engine_version: 0.26.0
    - list: shell_binaries
      items: [bash, sh]
    - macro: spawned_process
      condition: (evt.type in (execve, execveat) and evt.dir=<)
    - macro: k8s_users
      condition: ka.user.name in (admins)
    - list: admins
      items: [root, ~]
    - rule: Run shell
      desc: a syscall rule (no source)
      condition: spawned_process and proc.name in (shell_binaries) and fd.name pmatch (/etc)
      output: shell (%proc.name)
      priority: NOTICE
    - rule: Cloud
      desc: another source
      condition: ct.name = x
      output: o
      priority: info
      source: aws_cloudtrail
    """
    rs = ruleset(syscall, rule("K", "k8s_users and ka.verb in (shell_binaries)"))
    assert rs.loaded.skipped == {"syscall": 1, "aws_cloudtrail": 1}
    assert (
        "2 rules of other sources skipped (1 aws_cloudtrail, 1 syscall)" in (rs.loaded.notes()[-1])
    )
    assert fired(rs, user="root", verb="bash") == ["K"]  # null items are skipped


def test_a_macro_with_fields_of_other_sources_is_checked_only_when_used() -> None:
    base = "- macro: proc_macro\n  condition: proc.name = sh\n"
    assert ruleset(base, rule()).rules
    problem = error(base, rule("K", "proc_macro"))
    assert "unknown field 'proc.name'" in str(problem)
    assert problem.line == 2 and problem.name == "K"


def test_an_undefined_list_name_is_a_value() -> None:
    rs = ruleset(rule("R", "ka.verb in (user_known_verbs, get)"))
    assert fired(rs, verb="user_known_verbs") == ["R"]


def test_a_macro_sees_only_the_macros_defined_before_it() -> None:
    text = """\
    - macro: a
      condition: b
    - macro: b
      condition: ka.verb=get
    """
    problem = error(text, rule())
    assert problem.kind == "macro" and problem.name == "a" and problem.line == 2
    assert "undefined macro 'b'" in str(problem)


def test_a_macro_that_uses_itself() -> None:
    text = """\
    - macro: a
      condition: ka.verb=get
    - macro: a
      condition: or a
      override:
        condition: append
    """
    assert "uses itself" in str(error(text, rule("R", "a")))


def test_several_yaml_documents() -> None:
    rs = ruleset(rule("A") + "---\n" + rule("B"))
    assert [r.name for r in rs.rules] == ["A", "B"]


def test_scalars_are_read_as_written() -> None:
    rs = ruleset(
        """\
        - list: answers
          items: [yes, 01, on]
        """,
        rule("R", "ka.verb in (answers)"),
    )
    assert fired(rs, verb="yes") == ["R"]
    assert fired(rs, verb="01") == ["R"]


class TestExceptions:
    BASE = rule("R", "ka.verb in (get, create)") + textwrap.indent(
        textwrap.dedent(
            """\
            exceptions:
              - name: trusted
                fields: [ka.user.name, ka.target.namespace]
                comps: [=, in]
                values:
                  - [alice, [kube-system, kube-public]]
                  - [bob, ns_list]
              - name: paths
                fields: ka.uri
                comps: pmatch
                values: []
              - name: names
                fields: ka.target.name
                values: [keep-me, name_list]
              - name: empty
                fields: [ka.verb]
                values: []
            """
        ),
        "  ",
    )
    LISTS = "- list: ns_list\n  items: [dev]\n- list: name_list\n  items: [other]\n"

    def test_tuples_and_single_fields(self) -> None:
        rs = ruleset(self.LISTS + self.BASE)
        assert fired(rs, verb="get", user="alice", namespace="default") == ["R"]
        assert fired(rs, verb="get", user="alice", namespace="kube-public") == []
        assert fired(rs, verb="get", user="bob", namespace="dev") == []  # a list name
        assert fired(rs, verb="get", user="bob", namespace="kube-public") == ["R"]
        assert fired(rs, verb="get", user="carol", name="keep-me") == []
        assert fired(rs, verb="get", user="carol", name="other") == []

    def test_appending_values_to_an_exception(self) -> None:
        more = """\
        - rule: R
          exceptions:
            - name: trusted
              values:
                - [carol, [default]]
          override:
            exceptions: append
        """
        rs = ruleset(self.LISTS + self.BASE, more)
        assert fired(rs, verb="get", user="carol", namespace="default") == []

    def test_a_single_field_takes_list_comparisons_only(self) -> None:
        bad = rule() + "  exceptions:\n    - name: e\n      fields: ka.verb\n      comps: =\n"
        assert "comps must be in, pmatch or intersects" in str(error(bad))

    @pytest.mark.parametrize(
        ("block", "words"),
        [
            ("fields: [ka.verb, ka.uri]\n      comps: [=]", "same length"),
            ("fields: [ka.verb]\n      comps: [like]", "bad comparison 'like'"),
            ("fields: [ka.verb]\n      values: [[a, b]]", "a list of 1"),
            ("fields: [ka.nope]\n      values: [[a]]", "unknown field 'ka.nope'"),
        ],
    )
    def test_broken_exceptions(self, block: str, words: str) -> None:
        text = rule() + f"  exceptions:\n    - name: e\n      {block}\n"
        problem = error(text)
        assert words in str(problem)
        assert problem.name == "R" and problem.line == 8  # the exception's line


def test_output_formatting() -> None:
    output = (
        "u=%ka.user.name g=%ka.user.groups s=%ka.target.subresource/%ka.target.resource. "
        "v=%6ka.verb| %toupper(ka.verb) %ka.user.namex"
    )
    rs = ruleset(rule("R", "ka.verb=get", output=f"'{output}'"))
    (alert,) = rs.evaluate(audit_event(verb="get", user="alice", groups=("a", "b")))
    assert alert.output.split(": Warning ", 1)[1] == (
        "u=alice g=(a,b) s=<NA>/pods. v=get   | GET alicex"
    )
    assert alert.output_fields == {
        "ka.user.name": "alice",
        "ka.user.groups": ["a", "b"],
        "ka.target.subresource": None,
        "ka.target.resource": "pods",
        "ka.verb": "get",
        "toupper(ka.verb)": "GET",
        "evt.time": 1795687200200000000,
    }


@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("'100%'", "cannot end with '%'"),
        ("'a % b'", "a '%' must start a field"),
        ("'%ka.bogus'", "unknown field %ka.bogus"),
        ("'%ka.uri.param'", "requires an argument"),
        ("'%tolower(ka.bogus)'", "unknown field 'ka.bogus'"),
    ],
)
def test_broken_outputs(output: str, words: str) -> None:
    problem = error(rule(output=output))
    assert problem.line == 4 and words in str(problem)


@pytest.mark.parametrize(
    ("text", "line", "name", "words"),
    [
        (rule("R", "ka.verb = get and"), 3, "R", "column 18: expected a field, a macro or '('"),
        (rule("R", "ka.verb = get and ka.bogus = 1"), 3, "R", "unknown field 'ka.bogus'"),
        (rule("R", "ka.verb = get and nomacro"), 3, "R", "undefined macro 'nomacro'"),
        (rule(priority="URGENT"), 5, "R", "bad priority 'URGENT'"),
        (rule(output="x=%ka.bogus"), 4, "R", "unknown field %ka.bogus"),
        (
            "- rule: R\n  desc: d\n  condition: ka.verb=get\n  priority: INFO\n"
            "  source: k8s_audit\n",
            1,
            "R",
            "no 'output'",
        ),
        ("- list: l\n  items: [a]\n  append: true\n", 1, "l", "no list by that name"),
        ("- rule: R\n  enabled: false\n", 1, "R", "has 'enabled' but no rule by that name"),
        ("- rule: R\n  tags: [a]\n", 1, "R", "nor 'enabled'"),
        ("- macro: m\n  condition: x\n  override:\n    condition: append\n", 1, "m", "no macro"),
        (
            rule() + "- rule: R\n  condition: x\n  desc: d\n  override:\n    condition: append\n",
            9,
            "R",
            "key 'desc' is not named in 'override'",
        ),
        (
            rule() + "- rule: R\n  priority: error\n  override:\n    priority: append\n",
            10,
            "R",
            "cannot be overridden with 'append'",
        ),
        ("- macro: m\n  condition: (ka.verb=get\n", 2, "m", "column 13: expected ')'"),
    ],
)
def test_broken_files_name_line_rule_and_problem(text, line, name, words) -> None:
    problem = error(text)
    assert problem.path == "rules-1.yaml"
    assert problem.line == line
    assert problem.name == name
    assert words in str(problem)


def test_a_syntax_error_shows_the_condition_with_a_caret() -> None:
    problem = error(rule("R", "ka.verb = get and ka.uri in (a, b"))
    assert str(problem) == (
        "rules-1.yaml:3: rule 'R': condition column 34: expected ',' or ')' in the list, "
        "found the end of the condition\n"
        "  ka.verb = get and ka.uri in (a, b\n"
        "                                   ^"
    )


def test_an_error_in_a_later_file_names_that_file() -> None:
    second = "- rule: R\n  condition: and ka.nope=1\n  override:\n    condition: append\n"
    problem = error(rule(), second)
    assert (problem.path, problem.line) == ("rules-2.yaml", 2)


def test_an_error_inside_a_macro_names_the_macro_and_the_rule() -> None:
    text = "- macro: m\n  condition: ka.verb = get and ka.nope exists\n" + rule("R", "m")
    problem = error(text)
    assert (problem.line, problem.name) == (2, "R")
    assert "in macro 'm'" in str(problem) and "unknown field 'ka.nope'" in str(problem)


def test_yaml_errors() -> None:
    problem = error("- rule: R\n  desc: [unclosed\n")
    assert problem.line is not None and "not valid YAML" in str(problem)
    assert "expected a list" in str(error("rule: R\n"))
    assert "expected a mapping" in str(error("- just text\n"))


def test_unknown_items_and_keys_are_warnings() -> None:
    rs = ruleset("- something: else\n" + rule() + "  extra_key: 1\n")
    assert rs.loaded.warnings == [
        "rules-1.yaml:1: unknown top level item (something) ignored",
        "rules-1.yaml:2: rule 'R': unknown key extra_key ignored",
    ]


def test_macros_nested_too_deeply_are_an_error_not_a_crash() -> None:
    macros = "- macro: m0\n  condition: ka.verb=get\n" + "".join(
        f"- macro: m{n}\n  condition: (m{n - 1})\n" for n in range(1, 1500)
    )
    problem = error(macros, rule("R", "m1499"))
    assert problem.name == "R" and "nests too deeply" in str(problem)
