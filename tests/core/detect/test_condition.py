"""The condition language: every operator, multi-valued fields, missing fields, precedence,
transformers, list names and macros, and errors with their columns."""

from __future__ import annotations

import pytest

from kaudit_tui.core.detect import ConditionError, RulesError, load_rules_text, parse_condition
from tests.events import audit_event

from .helpers import holds, rules_text

POD = {
    "spec": {
        "containers": [
            {"name": "a", "image": "nginx:1.25", "securityContext": {"privileged": True}},
            {"name": "b", "image": "docker.io/library/redis@sha256:abc"},
        ],
        "hostNetwork": False,
    }
}
EVENT = audit_event(
    verb="create",
    user="Alice",
    groups=("system:authenticated", "dev"),
    uri="/api/v1/namespaces/default/pods?dryRun=All",
    request_object=POD,
    code=201,
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("ka.verb = create", True),
        ("ka.verb == create", True),
        ("ka.verb=create", True),
        ("ka.verb = Create", False),  # case-sensitive
        ("ka.verb != create", False),
        ("ka.verb != get", True),
        ("ka.user.name contains lic", True),
        ("ka.user.name contains LIC", False),
        ("ka.user.name icontains LIC", True),
        ("ka.user.name startswith Al", True),
        ("ka.user.name startswith al", False),
        ("ka.user.name endswith ice", True),
        ("ka.user.name glob 'A*e'", True),
        ("ka.user.name glob 'a*e'", False),
        ("ka.user.name iglob 'a*E'", True),
        ("ka.user.name glob 'Al?ce'", True),
        ("ka.user.name glob 'A[kl]ice'", True),
        ("ka.user.name glob 'A[!l]ice'", False),
        ("ka.user.name glob 'Al'", False),  # the whole value
        ("ka.uri glob '/api/*'", True),  # '*' matches '/' too, as fnmatch without flags
        ("ka.user.name glob 'Al\\\\?ce'", False),  # '\?' is a literal '?'
        ("ka.user.name glob '[]A]lice'", True),  # ']' first in a set is literal
        ("ka.user.name glob '[!a-z]lice'", True),
        ("ka.user.name glob '[B-A]lice'", False),  # an empty range
        ("ka.user.name regex 'A.i'", False),  # a whole match, as RE2's FullMatch
        ("ka.user.name regex 'A.ice'", True),
        ("ka.user.name regex '[a-z]+'", False),
        ("ka.user.name bcontains 6c6963", True),  # "lic"
        ("ka.user.name bstartswith 416c", True),  # "Al"
        ("ka.user.name bstartswith 6c", False),
        ("ka.response.code < 300", True),
        ("ka.response.code <= 201", True),
        ("ka.response.code > 201", False),
        ("ka.response.code >= 201", True),
        ("ka.response.code startswith 2", True),
        ("ka.uri pmatch (/api/v1)", True),
        ("ka.uri pmatch (/api/v)", False),  # a path prefix, not a string prefix
        ("ka.target.resource in (pods, secrets)", True),
        ("ka.target.resource in (secrets)", False),
        ("ka.target.resource intersects (pods)", True),
        ("ka.target.resource in ()", False),
        ("ka.target.resource exists", True),
        ("ka.target.subresource exists", False),
        ("ka.uri.param[dryRun] = All", True),
    ],
)
def test_operators(condition: str, expected: bool) -> None:
    assert holds(condition, EVENT) is expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/var/run/docker.sock", True),
        ("/var/run", True),
        ("/var/runner", False),
        ("/var", False),
        ("//var///run/x", True),  # compared by components
        ("/opt/a/subdir/file", True),  # '*' is any one component
        ("/opt/a/other", False),
        ("/etc/kubernetes", True),  # '/etc/' is '/etc'
    ],
)
def test_pmatch_compares_path_components(uri: str, expected: bool) -> None:
    condition = "ka.uri pmatch (/var/run, /etc/, /opt/*/subdir)"
    assert holds(condition, audit_event(uri=uri)) is expected
    assert holds("ka.uri pmatch (/)", audit_event(uri=uri))


def test_string_comparisons_are_lexicographic() -> None:
    """Every ka.* field is a string: ``<`` compares text, as Falco compares strings."""
    assert holds("ka.response.code > 1000", audit_event(code=201))  # "201" > "1000"
    assert not holds("ka.response.code < 1000", audit_event(code=201))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # in: every value is in the set
        ("ka.user.groups in (system:authenticated, dev)", True),
        ("ka.user.groups in (system:authenticated, dev, ops)", True),
        ("ka.user.groups in (dev)", False),
        # intersects: some value is in the set
        ("ka.user.groups intersects (dev)", True),
        ("ka.user.groups intersects (ops)", False),
        ("ka.req.pod.containers.privileged intersects (true)", True),
        ("ka.req.pod.containers.privileged in (true)", True),  # b has no privileged flag
        ("ka.req.pod.containers.image.repository in (nginx, docker.io/library/redis)", True),
        ("ka.req.pod.containers.image.repository in (nginx)", False),
        ("ka.req.pod.containers.image[1] in (docker.io/library/redis@sha256:abc)", True),
        ("ka.req.pod.containers.image[0] in (docker.io/library/redis@sha256:abc)", False),
        ("ka.req.pod.containers.image[2] exists", False),
        ("ka.user.groups exists", True),
        ("len(ka.user.groups) = 2", True),
        ("len(ka.req.pod.containers.name) > 1", True),
        ("tolower(ka.user.groups) intersects (dev)", True),
    ],
)
def test_multi_valued_fields(condition: str, expected: bool) -> None:
    assert holds(condition, EVENT) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "ka.target.subresource = exec",
        "ka.target.subresource != exec",
        "ka.target.subresource contains e",
        "ka.target.subresource in (exec, attach)",
        "ka.target.subresource intersects (exec)",
        "ka.target.subresource < 9",
        "ka.target.subresource glob '*'",
        "ka.target.subresource regex '.*'",
        "ka.target.subresource exists",
        "ka.req.pod.volumes.hostpath in (/etc)",  # no volumes: not available
        "ka.req.pod.volumes.hostpath exists",
        "tolower(ka.target.subresource) = exec",
        "len(ka.target.subresource) = 0",
    ],
)
def test_a_missing_field_makes_a_check_false(condition: str) -> None:
    assert not holds(condition, EVENT)
    assert holds(f"not {condition}", EVENT)  # and its negation true


def test_an_empty_list_field_is_missing() -> None:
    """An extraction with no values is no extraction: ``in`` is false, not vacuously true."""
    event = audit_event(request_object={"spec": {"containers": []}})
    assert not holds("ka.req.pod.containers.image in (nginx)", event)
    assert not holds("ka.req.pod.containers.image exists", event)


def test_precedence_and_binds_tighter_than_or() -> None:
    event = audit_event(verb="get", resource="pods")
    assert holds("ka.verb = get or ka.verb = list and ka.target.resource = secrets", event)
    assert not holds("(ka.verb = get or ka.verb = list) and ka.target.resource = secrets", event)
    assert holds("not ka.verb = list and ka.target.resource = pods", event)
    assert not holds("not (ka.verb = get and ka.target.resource = pods)", event)
    assert holds("not not ka.verb = get", event)
    assert holds("not(ka.verb = list)", event)
    assert holds("ka.verb = list or(ka.verb = get)", event)
    assert holds("ka.verb = get and(ka.target.resource = pods)", event)


def test_values_quoted_bare_and_escaped() -> None:
    event = audit_event(user='a "quoted" name', uri="/healthz?verbose")
    assert holds("ka.uri startswith /healthz?", event)
    assert holds('ka.user.name = "a \\"quoted\\" name"', event)
    assert holds("ka.user.name = 'a \"quoted\" name'", event)
    assert holds("ka.user.name contains 'quoted\" n'", event)
    assert holds("ka.uri in ('/healthz?verbose', x)", event)


def test_escapes_in_quoted_strings() -> None:
    event = audit_event(user="a\tb/c\\d", uri="/x'y")
    assert holds("ka.user.name = 'a\\tb\\/c\\\\d'", event)
    assert holds('ka.user.name = "a\\x09b/c\\\\d"', event)
    assert holds("ka.uri = '/x\\'y'", event)
    assert holds('ka.uri = "/x\'y"', event)


@pytest.mark.parametrize(
    ("condition", "column", "words"),
    [
        ("ka.verb = 'a\\qb'", 13, "unsupported escape \\q"),
        ("ka.verb = 'a\\\"b'", 13, "cannot be used in a '-quoted string"),
        ("ka.verb = 'a\\x4'", 13, "two hexadecimal digits"),
    ],
)
def test_bad_escapes(condition: str, column: int, words: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(condition)
    assert caught.value.column == column
    assert words in caught.value.message


def test_transformers() -> None:
    event = audit_event(user="Alice", uri="/apis/apps/v1/deployments")
    assert holds("tolower(ka.user.name) = alice", event)
    assert holds("toupper(ka.user.name) = ALICE", event)
    assert holds("basename(ka.uri) = deployments", event)
    assert holds("len(ka.user.name) = 5", event)
    assert holds("len(ka.user.name) >= 5", event)
    assert not holds("len(ka.user.name) > 5", event)
    assert holds("b64(ka.user.name) exists", audit_event(user="YWRtaW4="))
    assert holds("b64(ka.user.name) = admin", audit_event(user="YWRtaW4="))
    assert holds("tolower(toupper(ka.user.name)) = alice", event)
    assert holds("len(evt.rawtime) = 19", event)  # a number's length is its digits


def test_val_compares_two_fields() -> None:
    event = audit_event(user="alice", impersonated="alice")
    assert holds("ka.user.name = val(ka.impuser.name)", event)
    assert not holds("ka.user.name != val(ka.impuser.name)", event)
    assert not holds("ka.user.name = val(ka.target.subresource)", event)


def test_list_names_and_macros() -> None:
    lists = {"verbs": ["create", "update"], "more": ["verbs", "patch"]}
    macros = {"writes": "ka.verb in (more)", "pods": "ka.target.resource=pods"}
    event = audit_event(verb="update")
    assert holds("writes and pods", event, lists=lists, macros=macros)
    assert holds("ka.verb in (verbs)", event, lists=lists)
    assert holds("ka.verb in verbs", event, lists=lists)  # a list name without parentheses
    assert not holds("ka.verb in ('verbs')", event, lists=lists)  # quoted: a value
    assert holds("ka.verb in (nolist, update)", event, lists=lists)  # undefined: a value
    assert holds("ka.target.name in (nolist)", audit_event(name="nolist"))


def test_list_names_expand_one_level_inside_lists_as_falco_does() -> None:
    """A list item naming an earlier list is replaced by its items as written (not further)."""
    lists = {"a": ["x"], "b": ["a"], "c": ["b"]}
    assert holds("ka.verb in (c)", audit_event(verb="a"), lists=lists)
    assert not holds("ka.verb in (c)", audit_event(verb="x"), lists=lists)
    assert holds("ka.verb in (b)", audit_event(verb="x"), lists=lists)


@pytest.mark.parametrize(
    ("condition", "column", "words"),
    [
        ("ka.verb =", 10, "expected a value after '='"),
        ("ka.verb create", 9, "expected an operator"),
        ("(ka.verb = get", 15, "expected ')'"),
        ("ka.verb = get and", 18, "expected a field, a macro or '('"),
        ("ka.verb = get or or x", 18, "before 'or'"),
        ("ka.verb in (a, b", 17, "expected ',' or ')'"),
        ("ka.verb = get )", 15, "expected 'and', 'or' or the end"),
        ("ka.verb = 'open", 11, "unterminated quoted string"),
        ("ka.response.code > abc", 20, "expected a number"),
        ("ka.verb = get andx", 15, "expected 'and', 'or' or the end"),
        ("", 1, "empty condition"),
        ("tolower(ka.verb = x", 17, "expected ')' to close tolower("),
        ("json.value[ = 1", 12, "expected a field argument"),
    ],
)
def test_syntax_errors_name_their_column(condition: str, column: int, words: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(condition)
    assert caught.value.column == column
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("condition", "column", "words"),
    [
        ("ka.verb = get and ka.nope = 1", 19, "unknown field 'ka.nope'"),
        ("ka.verb = get and nomacro", 19, "undefined macro 'nomacro'"),
        ("ka.user.groups = dev", 1, "is a list field"),
        ("ka.user.groups contains dev", 1, "is a list field"),
        ("ka.user.groups pmatch (/dev)", 1, "only 'exists', 'in' and 'intersects'"),
        ("ka.verb[1] = x", 1, "takes no argument"),
        ("ka.req.pod.containers.image[x] exists", 1, "numeric index"),
        ("ka.uri.param exists", 1, "requires an argument"),
        ("ka.verb regex '('", 1, "bad regular expression"),
        ("ka.verb bcontains xyz", 1, "hexadecimal"),
    ],
)
def test_compile_errors_name_their_column(condition: str, column: int, words: str) -> None:
    with pytest.raises(RulesError) as caught:
        load_rules_text(rules_text(condition))
    assert caught.value.column == column
    assert words in caught.value.message
    assert caught.value.name == "R"


def test_long_conditions() -> None:
    event = audit_event(verb="get")
    many = " and ".join(["ka.verb = get"] * 3000)
    assert holds(many, event)
    assert holds(" or ".join(["ka.verb = x"] * 3000 + ["ka.verb = get"]), event)
    assert holds("not " * 3001 + "ka.verb = x", event)
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition("(" * 200 + "ka.verb = get" + ")" * 200)


def test_keywords_are_lower_case_words() -> None:
    event = audit_event(verb="get")
    with pytest.raises(ConditionError):
        parse_condition("ka.verb = get AND ka.verb = get")
    assert holds("ka.verb = get and ka.verb = get", event)
    # A macro whose name starts with a keyword is a macro, not the keyword.
    assert holds("notable", event, macros={"notable": "ka.verb = get"})
    assert holds("order or android", event, macros={"order": "ka.verb=get", "android": "ka.verb=x"})
