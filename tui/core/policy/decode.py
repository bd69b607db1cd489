"""YAML/JSON text to the Policy model, decoding the way kube-apiserver does, with lines.

kube-apiserver (1.26+) first decodes strictly; when the only complaints are unknown or
duplicate fields it logs a warning and decodes leniently, silently dropping them. Type
errors fail both. This module does the same, but reports every strictness problem as a
warning with its line and what dropping the field does to the rule.

PyYAML's composer keeps a start and an end mark on every node: the lines come from the start
marks, and each rule's text as written (for the UI) from its node's span.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import PolicyIssue
from .model import GroupResources, Policy, PolicyRule
from .text import quote, show

__all__ = ["Decoded", "FieldPath", "decode_policy_text", "display_path"]

_Loader: type[yaml.SafeLoader]
try:
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined,assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

FieldPath = tuple[str | int, ...]
"""A position in the document, 0-based: ``("rules", 3, "resources", 0, "group")``."""

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STRINGLIKE = {_STR, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}

_TOP_FIELDS = ("apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields")
_RULE_FIELDS = (
    "level",
    "users",
    "userGroups",
    "verbs",
    "resources",
    "namespaces",
    "nonResourceURLs",
    "omitStages",
    "omitManagedFields",
)
_GROUP_RESOURCE_FIELDS = ("group", "resources", "resourceNames")
_OBJECT_META_FIELDS = (
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)


def display_path(path: FieldPath) -> str:
    """Render a path inside a rule (or the policy) with 1-based list positions."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass
class Decoded:
    """What the decoder produced: the model (if types allowed it) and located issues."""

    filename: str
    policy: Policy | None
    api_version: str | None
    kind: str | None
    errors: list[PolicyIssue] = field(default_factory=list)
    warnings: list[PolicyIssue] = field(default_factory=list)
    lines: dict[FieldPath, int] = field(default_factory=dict)
    rule_indices: list[int] = field(default_factory=list)
    """For each rule of ``policy``, its 0-based position in the file's ``rules`` list."""
    rule_count: int | None = None


class _TypeProblem(Exception):
    """A value of the wrong type: the apiserver's decoder fails on it."""


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _source(text: str, node: yaml.Node) -> str:
    """The text of ``node`` as written, from its start mark to its end mark, dedented.

    A block rule starts on the line of its ``-``, which is kept; it ends where the next token
    starts, so the blank and comment lines after its last field are dropped (comments between
    its fields stay). A flow rule (``{level: None}``, JSON) is cut at its own braces.
    """
    start, end = node.start_mark.index, node.end_mark.index
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    if not text[line_start:start].strip(" \t-"):
        start = line_start
    lines = text[start:end].splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:].rstrip() for line in lines)


def _type_name(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {
        _BOOL: "a boolean",
        _INT: "a number",
        _FLOAT: "a number",
        _NULL: "null",
    }.get(node.tag, "a string")


class _Decoder:
    """Walks the composed YAML nodes once, building the model and collecting issues."""

    def __init__(self, filename: str, loader: yaml.SafeLoader, text: str) -> None:
        self.filename = filename
        self.text = text
        self.loader = loader
        self.errors: list[PolicyIssue] = []
        self.warnings: list[PolicyIssue] = []
        self.lines: dict[FieldPath, int] = {}
        self.rule_count: int | None = None
        self.rule_indices: list[int] = []
        self.pending_unknown: list[tuple[str, int, FieldPath, str, str]] = []

    # -- issue helpers -------------------------------------------------------------------

    def _issue(self, path: FieldPath, line: int | None, message: str) -> PolicyIssue:
        rule: int | None = None
        inner: FieldPath = path
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rule = path[1] + 1
            inner = path[2:]
        return PolicyIssue(self.filename, line, rule, display_path(inner), message, self.rule_count)

    def error(self, path: FieldPath, node: yaml.Node | None, message: str) -> None:
        self.errors.append(self._issue(path, _line(node) if node else None, message))

    def warn(self, path: FieldPath, line: int | None, message: str) -> None:
        self.warnings.append(self._issue(path, line, message))

    # -- scalar and list readers -----------------------------------------------------------

    def string(self, node: yaml.Node, path: FieldPath) -> str:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _NULL:
                return ""
            if node.tag in _STRINGLIKE or not node.tag.startswith("tag:yaml.org,2002:"):
                # Timestamps, binary and application tags arrive as their text.
                return str(node.value)
        raise _TypeProblem(f"expected a string, found {_type_name(node)}")

    def boolean(self, node: yaml.Node, path: FieldPath) -> bool | None:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _NULL:
                return None
            if node.tag == _BOOL:
                return bool(self.loader.construct_object(node))
        raise _TypeProblem(f"expected true or false, found {_type_name(node)}")

    def string_list(self, node: yaml.Node, path: FieldPath) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise _TypeProblem(f"expected a list of strings, found {_type_name(node)}")
        values = []
        for index, item in enumerate(node.value):
            self.lines[(*path, index)] = _line(item)
            try:
                values.append(self.string(item, (*path, index)))
            except _TypeProblem as problem:
                raise _TypeProblem(f"item {index + 1}: {problem}") from None
        return tuple(values)

    # -- mappings ------------------------------------------------------------------------------

    def fields(
        self, node: yaml.MappingNode, path: FieldPath, known: tuple[str, ...], what: str
    ) -> dict[str, yaml.Node]:
        """Known keys of a mapping (last duplicate wins); warns about the rest."""
        try:
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:  # a "<<" merge of something that is no mapping
            self.error(path, node, f"cannot decode: {exc.problem or 'bad merge key'}")
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in found:
                self.warn(
                    (*path, key),
                    _line(key_node),
                    f"duplicate field {quote(key)}: the last one is used, as kube-apiserver's "
                    "lenient decoding does",
                )
            if key in known:
                found[key] = value_node
                self.lines[(*path, key)] = _line(key_node)
            else:
                self.unknown_field(key, key_node, path, known, what)
        return found

    def unknown_field(
        self, key: str, key_node: yaml.Node, path: FieldPath, known: tuple[str, ...], what: str
    ) -> None:
        hint = ""
        lowered = {k.lower(): k for k in known}
        if key.lower() in lowered:
            hint = f" (field names are case-sensitive: did you mean {lowered[key.lower()]}?)"
        else:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
            if close:
                hint = f" (did you mean {close[0]}?)"
        self.pending_unknown.append((key, _line(key_node), path, what, hint))

    def object_fields(
        self, node: yaml.Node, path: FieldPath, known: tuple[str, ...], what: str
    ) -> dict[str, yaml.Node] | None:
        """The known fields of an object at ``path`` (a rule, a resources entry); None, with
        the error recorded, when the node is not a mapping."""
        self.lines[path] = _line(node)
        try:
            mapping = self.mapping(node, f"a {what}")
        except _TypeProblem as problem:
            self.error(path, node, f"cannot decode: {problem}")
            return None
        return self.fields(mapping, path, known, what)

    def mapping(self, node: yaml.Node, what: str) -> yaml.MappingNode:
        if isinstance(node, yaml.MappingNode):
            return node
        raise _TypeProblem(f"expected {what} (a mapping), found {_type_name(node)}")

    def read(
        self,
        values: dict[str, yaml.Node],
        key: str,
        path: FieldPath,
        reader: Callable[[yaml.Node, FieldPath], Any],
        default: Any,
    ) -> Any:
        node = values.get(key)
        if node is None:
            return default
        try:
            return reader(node, (*path, key))
        except _TypeProblem as problem:
            self.error((*path, key), node, f"cannot decode: {problem}")
            return default

    # -- the document ------------------------------------------------------------------------

    def document(self, root: yaml.Node) -> tuple[Policy | None, str | None, str | None]:
        if not isinstance(root, yaml.MappingNode):
            self.error((), root, f"the top level must be a mapping, found {_type_name(root)}")
            return None, None, None
        top = self.fields(root, (), _TOP_FIELDS, "policy")
        api_version = self.read(top, "apiVersion", (), self.string, None)
        kind = self.read(top, "kind", (), self.string, None)
        if "metadata" in top:
            self.metadata(top["metadata"])
        rules_node = top.get("rules")
        rules: list[PolicyRule] = []
        if rules_node is not None and not (
            isinstance(rules_node, yaml.ScalarNode) and rules_node.tag == _NULL
        ):
            if isinstance(rules_node, yaml.SequenceNode):
                self.rule_count = len(rules_node.value)
                for index, rule_node in enumerate(rules_node.value):
                    rule = self.rule(rule_node, ("rules", index))
                    if rule is not None:
                        rules.append(rule)
                        self.rule_indices.append(index)
            else:
                self.error(
                    ("rules",),
                    rules_node,
                    f"cannot decode: expected a list of rules, found {_type_name(rules_node)}",
                )
        omit_stages = self.read(top, "omitStages", (), self.string_list, ())
        omit_managed = self.read(top, "omitManagedFields", (), self.boolean, None)
        self.flush_unknown(rules)
        policy = Policy(
            api_version=api_version or "",
            rules=tuple(rules),
            omit_stages=omit_stages,
            omit_managed_fields=bool(omit_managed),
        )
        return policy, api_version, kind

    def metadata(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return
        if not isinstance(node, yaml.MappingNode):
            self.error(
                ("metadata",), node, f"cannot decode: expected a mapping, found {_type_name(node)}"
            )
            return
        self.fields(node, ("metadata",), _OBJECT_META_FIELDS, "metadata")

    def rule(self, node: yaml.Node, path: FieldPath) -> PolicyRule | None:
        values = self.object_fields(node, path, _RULE_FIELDS, "rule")
        if values is None:
            return None
        resources: list[GroupResources] = []
        resources_node = values.get("resources")
        if resources_node is not None and not (
            isinstance(resources_node, yaml.ScalarNode) and resources_node.tag == _NULL
        ):
            if isinstance(resources_node, yaml.SequenceNode):
                for index, entry_node in enumerate(resources_node.value):
                    entry = self.group_resources(entry_node, (*path, "resources", index))
                    if entry is not None:
                        resources.append(entry)
            else:
                self.error(
                    (*path, "resources"),
                    resources_node,
                    "cannot decode: expected a list of {group, resources, resourceNames} "
                    f"entries, found {_type_name(resources_node)}",
                )
        return PolicyRule(
            level=self.read(values, "level", path, self.string, ""),
            users=self.read(values, "users", path, self.string_list, ()),
            user_groups=self.read(values, "userGroups", path, self.string_list, ()),
            verbs=self.read(values, "verbs", path, self.string_list, ()),
            resources=tuple(resources),
            namespaces=self.read(values, "namespaces", path, self.string_list, ()),
            non_resource_urls=self.read(values, "nonResourceURLs", path, self.string_list, ()),
            omit_stages=self.read(values, "omitStages", path, self.string_list, ()),
            omit_managed_fields=self.read(values, "omitManagedFields", path, self.boolean, None),
            line=_line(node),
            source=_source(self.text, node),
        )

    def group_resources(self, node: yaml.Node, path: FieldPath) -> GroupResources | None:
        values = self.object_fields(node, path, _GROUP_RESOURCE_FIELDS, "resources entry")
        if values is None:
            return None
        return GroupResources(
            group=self.read(values, "group", path, self.string, ""),
            resources=self.read(values, "resources", path, self.string_list, ()),
            resource_names=self.read(values, "resourceNames", path, self.string_list, ()),
            line=_line(node),
        )

    # -- unknown fields, with what dropping them means ------------------------------------

    def flush_unknown(self, rules: list[PolicyRule]) -> None:
        by_index = {rule.line: rule for rule in rules}
        for key, line, path, what, hint in self.pending_unknown:
            consequence = self.consequence(key, path, what, by_index)
            self.warn(
                (*path, key),
                line,
                f"unknown field {quote(key)}{hint} in the {what}: kube-apiserver ignores it "
                f"(1.26+ logs a warning, older releases say nothing); {consequence}",
            )
        self.pending_unknown = []

    def consequence(
        self, key: str, path: FieldPath, what: str, rules_by_line: dict[int, PolicyRule]
    ) -> str:
        if what == "resources entry":
            rule = rules_by_line.get(self.lines.get(path[:2], -1))
            entry = None
            if rule is not None and isinstance(path[-1], int):
                entry_line = self.lines.get(path)
                entry = next((e for e in rule.resources if e.line == entry_line), None)
            placement = ""
            if key in _RULE_FIELDS:
                placement = f"{key} belongs to the rule, not to a resources entry, so "
            if entry is not None and not entry.resources:
                group = entry.group
                scope = (
                    "every group"
                    if group == "*"
                    else "the core group"
                    if group == ""
                    else f"group {show(group)}"
                )
                return (
                    f"{placement}this entry matches every resource of {scope}: "
                    "the rule is wider than written"
                )
            if key in ("verbs", "users", "userGroups", "namespaces"):
                return f"{placement}the rule is not limited by {key}: it is wider than written"
            return f"{placement}the rule may match more requests than written"
        if what == "rule":
            placement = ""
            if key in ("group", "resourceNames"):
                placement = f"{key} belongs inside a resources entry, so "
            rule = rules_by_line.get(self.lines.get(path, -1))
            if rule is not None and not (
                rule.users
                or rule.user_groups
                or rule.verbs
                or rule.resources
                or rule.namespaces
                or rule.non_resource_urls
            ):
                return f"{placement}this rule now matches every request"
            return f"{placement}the rule matches more requests than written"
        if what == "policy" and key in _RULE_FIELDS:
            return f"{key} belongs inside a rule; at the top level it has no effect"
        return "it has no effect"


def decode_policy_text(text: str, filename: str) -> Decoded:
    """Decode policy text (YAML or JSON) into the model, collecting located issues.

    Only the first YAML document is used, as kube-apiserver's YAML decoding does; a
    warning says so when more follow.
    """
    # A byte-order mark is not part of the document; libyaml's marks do not count it, PyYAML's
    # do, so it is dropped before either sees the text and the marks index ``text``.
    text = text.removeprefix("\ufeff")
    loader = _Loader(text)
    decoder = _Decoder(filename, loader, text)
    try:
        root = loader.get_node() if loader.check_node() else None
        try:
            more = root is not None and loader.check_node()
        except yaml.YAMLError:
            more = True
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        issue = PolicyIssue(filename, line, None, "", f"not valid YAML or JSON: {problem}")
        return Decoded(filename, None, None, None, errors=[issue])
    except yaml.YAMLError as exc:
        issue = PolicyIssue(filename, None, None, "", f"not valid YAML or JSON: {exc}")
        return Decoded(filename, None, None, None, errors=[issue])
    finally:
        loader.dispose()
    if root is None:
        issue = PolicyIssue(
            filename,
            None,
            None,
            "",
            "the file is empty: it holds no policy (kube-apiserver fails to decode it)",
        )
        return Decoded(filename, None, None, None, errors=[issue])
    policy, api_version, kind = decoder.document(root)
    if more:
        decoder.warn((), None, "the file holds more than one YAML document; only the first is read")

    def by_line(issue: PolicyIssue) -> int:
        return issue.line or 0

    return Decoded(
        filename,
        policy,
        api_version,
        kind,
        errors=sorted(decoder.errors, key=by_line),
        warnings=sorted(decoder.warnings, key=by_line),
        lines=decoder.lines,
        rule_indices=decoder.rule_indices,
        rule_count=decoder.rule_count,
    )
