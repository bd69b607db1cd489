"""Falco rules files: lists, macros, rules, appends, overrides and exceptions, with lines.

Files load in order into one set of definitions, as Falco loads several ``-r`` files: a later
definition of a name replaces the earlier one (keeping its place in the order), unless it
appends (``append: true``, or ``override: {KEY: append}``) or replaces single keys
(``override: {KEY: replace}``). Then lists are expanded (a list item naming a list defined
before it is replaced by that list's items), every macro's condition is parsed (syntax errors
are errors wherever they are), and every ``k8s_audit`` rule is compiled with the macros it uses.
Rules of other sources (no ``source`` means syscall, as in Falco) are skipped and counted; their
lists and macros stay, since ``k8s_audit`` rules and override files use them.

Every problem is a :class:`RulesError` naming the file, the line, the rule (or macro or list)
and what is wrong; condition errors also give the column inside the condition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .condition import (
    ALL_OPS,
    LIST_OPS,
    And,
    Check,
    ConditionError,
    FieldOperand,
    MacroRef,
    Node,
    Not,
    Or,
    Predicate,
    Resolver,
    compile_condition,
    parse_condition,
    resolve_operand,
)
from .output import OutputError, OutputFormat, parse_output
from .rate import KEY as RATE_KEY
from .rate import RateError, RateWindow, parse_rate

__all__ = [
    "PRIORITIES",
    "CompiledRule",
    "LoadedRules",
    "RulesError",
    "load_rules",
    "load_rules_text",
    "priority_name",
]

_Loader: type[yaml.SafeLoader]
try:
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined,assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

SOURCE = "k8s_audit"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_BOOL_KEYS = {"append", "enabled", "warn_evttypes", "skip-if-unknown-filter", "capture"}

PRIORITIES = (
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Informational",
    "Debug",
)
_PRIORITY_NAMES = {name.lower(): name for name in PRIORITIES} | {"info": "Informational"}

_RULE_KEYS = {
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "enabled",
    "source",
    "exceptions",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    RATE_KEY,
}
_APPENDABLE = {
    "rule": {"condition", "output", "desc", "tags", "exceptions"},
    "macro": {"condition"},
    "list": {"items"},
}
_REPLACEABLE = {
    "rule": {
        "condition",
        "output",
        "desc",
        "priority",
        "tags",
        "exceptions",
        "enabled",
        "warn_evttypes",
        "skip-if-unknown-filter",
        "capture",
        "capture_duration",
        RATE_KEY,
    },
    "macro": {"condition"},
    "list": {"items"},
}


def priority_name(text: str) -> str | None:
    """Falco's spelling of a priority (``WARNING``, ``info`` → ``Warning``, ``Informational``)."""
    return _PRIORITY_NAMES.get(text.strip().lower())


class RulesError(ValueError):
    """A broken rules file: where, what, and why."""

    def __init__(
        self,
        path: str,
        line: int | None,
        message: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        condition: str | None = None,
        column: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.kind = kind
        self.name = name
        self.message = message
        self.condition = condition
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.kind} {self.name!r}: " if self.kind and self.name is not None else ""
        text = f"{where}: {what}{self.message}"
        if self.condition is not None and self.column is not None:
            lines = self.condition.rstrip("\n").split("\n")
            # Show the condition's line holding the column, with a caret under it.
            offset = self.column - 1
            for line in lines:
                if offset <= len(line):
                    text += f"\n  {line}\n  {' ' * offset}^"
                    break
                offset -= len(line) + 1
        return text


@dataclass
class _Def:
    kind: str
    name: str
    path: str
    line: int
    index: int
    """Its place in the order: the counter when the name was first defined."""
    visibility: int
    """The counter at its latest definition, append or override: a list or macro sees the
    lists or macros whose index is below it (Falco's visibility)."""
    data: dict[str, Any]
    lines: dict[str, int]
    """The line of each key's value."""
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Per key, where its latest text came from (file, line), for errors after appends."""

    def where(self, key: str) -> tuple[str, int]:
        if key.startswith("exceptions.") and "exceptions" in self.origins:
            key = "exceptions"  # changed by a later item: its lines are not these
        return self.origins.get(key, (self.path, self.lines.get(key, self.line)))


@dataclass
class CompiledRule:
    name: str
    desc: str
    priority: str
    tags: tuple[str, ...]
    enabled: bool
    predicate: Predicate
    output: OutputFormat
    path: str
    line: int
    tree: Node | None = None
    """The condition (with exceptions) as a tree of :class:`Leaf` checks, macros inlined: what
    the scanner evaluates over the index before reading events back."""
    rate: RateWindow | None = None
    """kaudit-tui's ``kaudit_rate`` window, if the rule has one (see :mod:`.rate`)."""


@dataclass(eq=False)
class Leaf(Node):
    """One check of a condition, compiled on its own."""

    check: Check
    predicate: Predicate
    fields: tuple[str, ...]
    """The fields it reads (``FieldRef.text``), left then ``val(...)``."""
    items: tuple[str, ...] | None = None
    """The values it compares with, list names expanded (None for ``val(...)``)."""


@dataclass
class LoadedRules:
    rules: list[CompiledRule]
    skipped: dict[str, int]
    """Rules of other sources, counted by source (``syscall`` for rules without one)."""
    warnings: list[str]
    paths: list[str]

    def notes(self) -> list[str]:
        """What a user should know about the load: the skipped rules, the warnings."""
        out = list(self.warnings)
        if self.skipped:
            count = sum(self.skipped.values())
            sources = ", ".join(f"{n} {s}" for s, n in sorted(self.skipped.items()))
            out.append(
                f"{count} rule{'s' if count != 1 else ''} of other sources skipped ({sources}); "
                f"{len(self.rules)} {SOURCE} rule{'s' if len(self.rules) != 1 else ''} loaded"
            )
        return out


class _Collector:
    """Definitions gathered from the files, in Falco's order, before compiling."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, _Def]] = {"list": {}, "macro": {}, "rule": {}}
        self.counter = 0
        self.warnings: list[str] = []

    def load_text(self, text: str, path: str) -> None:
        loader = _Loader(text)
        try:
            while True:
                try:
                    if not loader.check_node():
                        break
                    root = loader.get_node()
                except yaml.MarkedYAMLError as error:
                    mark = error.problem_mark or error.context_mark
                    line = mark.line + 1 if mark else None
                    column = f", column {mark.column + 1}" if mark else ""
                    problem = error.problem or error.context or "cannot parse"
                    raise RulesError(path, line, f"not valid YAML{column}: {problem}") from None
                if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
                    continue
                if not isinstance(root, yaml.SequenceNode):
                    raise RulesError(
                        path,
                        root.start_mark.line + 1,
                        "expected a list of rules, macros and lists",
                    )
                for item in root.value:
                    self.load_item(item, path)
        finally:
            loader.dispose()

    def load_item(self, node: yaml.Node, path: str) -> None:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise RulesError(path, line, "expected a mapping with 'rule', 'macro' or 'list'")
        data: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            lines[key] = value_node.start_mark.line + 1
            if key == "exceptions" and isinstance(value_node, yaml.SequenceNode):
                for number, item in enumerate(value_node.value):
                    lines[f"exceptions.{number}"] = item.start_mark.line + 1
            if key in _BOOL_KEYS:
                if not (isinstance(value_node, yaml.ScalarNode) and value_node.tag == _BOOL):
                    raise RulesError(path, lines[key], f"{key!r} must be true or false")
                data[key] = value_node.value.lower() in ("true", "yes", "on", "y")
            else:
                data[key] = _raw(value_node)
        if "required_engine_version" in data or "required_plugin_versions" in data:
            return  # accepted, not enforced
        for kind in ("rule", "macro", "list"):
            if kind in data:
                self.define(kind, data, lines, path, line)
                return
        keys = ", ".join(sorted(data)) or "nothing"
        self.warnings.append(f"{path}:{line}: unknown top level item ({keys}) ignored")

    def define(
        self, kind: str, data: dict[str, Any], lines: dict[str, int], path: str, line: int
    ) -> None:
        name = data[kind]
        if not isinstance(name, str) or not name:
            raise RulesError(path, line, f"the {kind} needs a name (a string)", kind=kind, name="")

        def fail(message: str, key: str | None = None) -> RulesError:
            return RulesError(
                path, lines.get(key, line) if key else line, message, kind=kind, name=name
            )

        existing = self.defs[kind].get(name)
        override = data.get("override")
        append = data.get("append", False)
        if not isinstance(append, bool):
            raise fail("'append' must be true or false", "append")
        if override is not None and append:
            raise fail("'append' and 'override' cannot be used together", "override")
        if kind == "rule":
            unknown = sorted(set(data) - _RULE_KEYS)
            if unknown:
                self.warnings.append(
                    f"{path}:{line}: rule {name!r}: unknown key{'s' if len(unknown) > 1 else ''} "
                    f"{', '.join(unknown)} ignored"
                )
        self.check_types(kind, data, fail)
        if override is not None:
            if not isinstance(override, dict) or not override:
                raise fail("'override' must map keys to 'append' or 'replace'", "override")
            if existing is None:
                raise fail(f"has 'override' but no {kind} by that name is defined before")
            for key, how in override.items():
                if how not in ("append", "replace"):
                    raise fail(
                        f"override of {key!r} must be 'append' or 'replace', not {how!r}",
                        "override",
                    )
                allowed = _APPENDABLE[kind] if how == "append" else _REPLACEABLE[kind]
                if key not in allowed:
                    raise fail(f"key {key!r} cannot be overridden with {how!r}", "override")
                if key not in data:
                    raise fail(f"override names {key!r} but the item does not give it", "override")
            for key in data:
                if key not in (kind, "override") and key not in override:
                    raise fail(f"key {key!r} is not named in 'override'", key)
            for key, how in override.items():
                self.merge(existing, key, data[key], how == "append", path, lines.get(key, line))
            existing.visibility = self.tick()
            return
        if append:
            if existing is None:
                raise fail(f"has 'append: true' but no {kind} by that name is defined before")
            keys = [k for k in _APPENDABLE[kind] if k in data]
            if kind == "rule":
                keys = [k for k in ("condition", "exceptions") if k in data]
                extra = sorted(
                    set(data) & _RULE_KEYS - {"rule", "append", "condition", "exceptions"}
                )
                if extra:
                    # Falco reads only these two from an appending rule and ignores the rest.
                    self.warnings.append(
                        f"{path}:{line}: rule {name!r}: an appending rule takes only 'condition' "
                        f"and 'exceptions': {', '.join(extra)} ignored"
                    )
            if not keys:
                what = "'items'" if kind == "list" else "'condition'"
                if kind == "rule":
                    what = "'condition' or 'exceptions'"
                raise fail(f"appends nothing: give {what}")
            for key in keys:
                self.merge(existing, key, data[key], True, path, lines.get(key, line))
            existing.visibility = self.tick()
            return
        if kind == "rule" and not {"condition", "output", "desc", "priority"} & set(data):
            # Falco's older way to turn a rule on or off: a rule item with 'enabled' only.
            if "enabled" not in data:
                raise fail("has no 'condition', 'output', 'desc' or 'priority' (nor 'enabled')")
            if existing is None:
                raise fail("has 'enabled' but no rule by that name is defined before")
            existing.data["enabled"] = data["enabled"]
            return
        required = {"list": ("items",), "macro": ("condition",)}.get(
            kind, ("condition", "output", "desc", "priority")
        )
        if kind == "rule" and (data.get("source") or "syscall") != SOURCE:
            required = ()  # skipped anyway: rules of other sources are not checked
        for key in required:
            if key not in data:
                raise fail(f"has no {key!r}")
        tick = self.tick()
        index = existing.index if existing is not None else tick
        self.defs[kind][name] = _Def(kind, name, path, line, index, tick, dict(data), lines)

    def tick(self) -> int:
        """The next value of the counter every definition, append and override advances."""
        self.counter += 1
        return self.counter

    def check_types(self, kind: str, data: dict[str, Any], fail: Callable[..., RulesError]) -> None:
        if kind == "list":
            items = data.get("items")
            if "items" in data and items is not None and not isinstance(items, list):
                raise fail("'items' must be a list", "items")
            for item in items or []:
                if isinstance(item, (dict, list)):
                    raise fail("list items must be strings", "items")
        for key in ("condition", "output", "desc"):
            if key in data and not isinstance(data[key], str):
                if key == "desc" and data[key] is None:
                    continue
                raise fail(f"{key!r} must be a string", key)
        if kind != "rule":
            return
        if "priority" in data and priority_name(str(data["priority"])) is None:
            raise fail(
                f"bad priority {data['priority']!r}: use one of {', '.join(PRIORITIES)}",
                "priority",
            )
        if "enabled" in data and not isinstance(data["enabled"], bool):
            raise fail("'enabled' must be true or false", "enabled")
        if "tags" in data and not (
            isinstance(data["tags"], list) and all(isinstance(t, str) for t in data["tags"])
        ):
            raise fail("'tags' must be a list of strings", "tags")
        if "source" in data and not isinstance(data["source"], str):
            raise fail("'source' must be a string", "source")
        if data.get(RATE_KEY) is not None:
            try:
                parse_rate(data[RATE_KEY])
            except RateError as error:
                raise fail(str(error), RATE_KEY) from None
        exceptions = data.get("exceptions")
        if exceptions is not None and not (
            isinstance(exceptions, list) and all(isinstance(e, dict) for e in exceptions)
        ):
            raise fail("'exceptions' must be a list of mappings", "exceptions")

    def merge(
        self, existing: _Def, key: str, value: Any, append: bool, path: str, line: int
    ) -> None:
        data = existing.data
        if not append:
            data[key] = value
            existing.origins[key] = (path, line)
            return
        if key in ("condition", "output", "desc"):
            data[key] = f"{data.get(key) or ''} {value}"
            if key == "condition":
                # The appended text is parsed with the rest; errors name the appending file.
                existing.origins[key] = (path, line)
        elif key in ("items", "tags"):
            data[key] = list(data.get(key) or []) + list(value or [])
        elif key == "exceptions":
            merged = [dict(e) for e in data.get("exceptions") or []]
            for exception in value or []:
                same = next((e for e in merged if e.get("name") == exception.get("name")), None)
                if same is None:
                    merged.append(dict(exception))
                else:
                    same["values"] = list(same.get("values") or []) + list(
                        exception.get("values") or []
                    )
            data["exceptions"] = merged
            existing.origins.setdefault("exceptions", (path, line))


class _Compiler:
    def __init__(self, collector: _Collector) -> None:
        self.collector = collector
        self.lists: dict[str, list[str]] = {}
        self.list_index: dict[str, int] = {}
        self.macro_trees: dict[str, Node] = {}
        self.macro_done: dict[str, Predicate] = {}
        self.compiling: list[str] = []
        self.expanded: dict[str, Node] = {}

    def expand_lists(self) -> None:
        """Each list's items, an item naming a list visible to it replaced by that list's items
        as written (one level, as Falco does); null items are dropped."""
        defs = self.collector.defs["list"]
        for definition in sorted(defs.values(), key=lambda d: d.index):
            items: list[str] = []
            for item in definition.data.get("items") or []:
                if item is None:
                    continue
                ref = defs.get(item)
                if ref is not None and ref.index < definition.visibility:
                    items.extend(i for i in ref.data.get("items") or [] if i is not None)
                else:
                    items.append(item)
            self.lists[definition.name] = items
            self.list_index[definition.name] = definition.index

    def list_values(self, values: list[str], quoted: list[bool]) -> list[str]:
        """A list literal with list names replaced by their items, the way Falco's textual
        substitution goes: lists in order, each replacing its name where it stands unquoted
        (an item with a blank comes back quoted, and stays)."""
        tokens = list(zip(values, quoted, strict=True))
        done = 0
        while True:
            pending = [
                self.list_index[value]
                for value, was_quoted in tokens
                if not was_quoted and self.list_index.get(value, 0) > done
            ]
            if not pending:
                return [value for value, _ in tokens]
            done = min(pending)
            name = next(n for n, i in self.list_index.items() if i == done)
            expanded: list[tuple[str, bool]] = []
            for value, was_quoted in tokens:
                if value == name and not was_quoted:
                    expanded.extend(
                        (item, any(c in item for c in " \t")) for item in self.lists[name]
                    )
                else:
                    expanded.append((value, was_quoted))
            tokens = expanded

    def parse_macros(self) -> None:
        """Parse every macro (syntax errors are errors even in unused macros) and check that
        the macros it names are defined before it."""
        macros = self.collector.defs["macro"]
        for definition in sorted(macros.values(), key=lambda d: d.index):
            text = definition.data.get("condition") or ""
            try:
                tree = parse_condition(text)
                for ref in _macro_refs(tree):
                    used = macros.get(ref.name)
                    if used is None or used.index >= definition.visibility:
                        raise ConditionError(f"undefined macro {ref.name!r}", ref.column)
            except ConditionError as error:
                path, line = definition.where("condition")
                raise RulesError(
                    path,
                    line,
                    f"condition column {error.column}: {error.message}",
                    kind="macro",
                    name=definition.name,
                    condition=text,
                    column=error.column,
                ) from None
            self.macro_trees[definition.name] = tree

    def resolver(self) -> Resolver:
        return Resolver(self.macro, self.list_values)

    def macro(self, name: str, column: int) -> Predicate:
        done = self.macro_done.get(name)
        if done is not None:
            return done
        definition = self.collector.defs["macro"].get(name)
        if definition is None:
            raise ConditionError(f"undefined macro {name!r}", column)
        if name in self.compiling:
            raise ConditionError(
                f"macro {name!r} uses itself ({' -> '.join([*self.compiling, name])})", column
            )
        self.compiling.append(name)
        try:
            predicate = compile_condition(self.macro_trees[name], self.resolver())
        except ConditionError as error:
            if isinstance(error, _MacroError):
                raise
            path, line = definition.where("condition")
            raise _MacroError(definition, path, line, error) from None
        finally:
            self.compiling.pop()
        self.macro_done[name] = predicate
        return predicate

    def compile_rule(self, definition: _Def) -> CompiledRule:
        data = definition.data
        text = data.get("condition") or ""
        path, line = definition.where("condition")

        def fail(message: str, key: str, *, column: int | None = None) -> RulesError:
            where_path, where_line = definition.where(key)
            return RulesError(
                where_path,
                where_line,
                message,
                kind="rule",
                name=definition.name,
                condition=text if column is not None else None,
                column=column,
            )

        try:
            tree = parse_condition(text)
        except ConditionError as error:
            raise fail(
                f"condition column {error.column}: {error.message}",
                "condition",
                column=error.column,
            ) from None
        exceptions = self.exception_tree(definition, fail)
        if exceptions is not None:
            tree = And(1, [tree, Not(1, exceptions)])
        try:
            predicate = compile_condition(tree, self.resolver())
        except _MacroError as error:
            cause = error.cause
            raise RulesError(
                error.path,
                error.line,
                f"in macro {error.macro.name!r}: condition column {cause.column}: {cause.message}",
                kind="rule",
                name=definition.name,
                condition=error.macro.data.get("condition") or "",
                column=cause.column,
            ) from None
        except ConditionError as error:
            if error.column > len(text) + 1:  # from an exception block, not the condition
                number = error.column - len(text) - 1
                name = (definition.data.get("exceptions") or [{}])[number - 1].get("name")
                raise fail(
                    f"exception {name!r}: {error.message}", f"exceptions.{number - 1}"
                ) from None
            raise fail(
                f"condition column {error.column}: {error.message}",
                "condition",
                column=error.column,
            ) from None
        try:
            output = parse_output(data.get("output") or "")
        except OutputError as error:
            raise fail(f"output: {error}", "output") from None
        priority = priority_name(str(data.get("priority", "")))
        assert priority is not None
        rate = data.get(RATE_KEY)
        return CompiledRule(
            name=definition.name,
            desc=str(data.get("desc") or ""),
            priority=priority,
            tags=tuple(sorted(set(data.get("tags") or []))),
            enabled=bool(data.get("enabled", True)),
            predicate=predicate,
            output=output,
            path=definition.path,
            line=definition.line,
            tree=self.expand(tree),
            rate=parse_rate(rate) if rate is not None else None,
        )

    def expand(self, node: Node) -> Node:
        """``node`` with macros inlined (one shared tree per macro) and checks compiled as
        leaves; called once the condition compiled, so it raises nothing new."""
        if isinstance(node, And):
            return And(node.column, [self.expand(child) for child in node.children])
        if isinstance(node, Or):
            return Or(node.column, [self.expand(child) for child in node.children])
        if isinstance(node, Not):
            return Not(node.column, self.expand(node.child))
        if isinstance(node, MacroRef):
            done = self.expanded.get(node.name)
            if done is None:
                done = self.expanded[node.name] = self.expand(self.macro_trees[node.name])
            return done
        assert isinstance(node, Check)
        fields = tuple(
            resolve_operand(operand)[0].text
            for operand in (node.left, node.right_field)
            if operand is not None
        )
        items = None
        if node.right_field is None and node.op in LIST_OPS:
            items = tuple(self.list_values(node.values, node.quoted or [False] * len(node.values)))
        elif node.right_field is None:
            items = tuple(node.values)
        predicate = compile_condition(node, self.resolver())
        return Leaf(node.column, node, predicate, fields, items)

    def exception_tree(self, definition: _Def, fail: Callable[..., RulesError]) -> Node | None:
        """``(t1) or (t2) ...`` over every exception's value tuples, or None without values."""
        past_text = len(definition.data.get("condition") or "") + 1
        alternatives: list[Node] = []
        for number, exception in enumerate(definition.data.get("exceptions") or [], 1):
            # Checks of exception N get the column just past the condition text plus N, so a
            # compile error in one tells which exception it is.
            column = past_text + number
            key = f"exceptions.{number - 1}"
            name = exception.get("name")
            label = f"exception {name!r}" if name else f"exception {number}"
            if not name:
                raise fail(f"{label} has no 'name'", key)
            fields = exception.get("fields")
            comps = exception.get("comps")
            values = exception.get("values") or []
            if fields is None:
                raise fail(f"{label} has no 'fields'", key)
            if isinstance(fields, str):
                comp = "in" if comps is None else comps
                if comp not in LIST_OPS:
                    raise fail(
                        f"{label}: with a single field, comps must be in, pmatch or "
                        f"intersects, not {comp!r}",
                        key,
                    )
                if not values:
                    continue
                if not isinstance(values, list) or any(isinstance(v, list) for v in values):
                    raise fail(f"{label}: 'values' must be a list of strings", key)
                operand = FieldOperand(*_split_field(fields), column=column)
                flat = [v for v in values if v is not None]
                alternatives.append(_list_check(column, operand, comp, flat))
                continue
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise fail(f"{label}: 'fields' must be a field or a list of fields", key)
            if comps is None:
                comps = ["="] * len(fields)
            if not isinstance(comps, list) or len(comps) != len(fields):
                raise fail(f"{label}: 'fields' and 'comps' must have the same length", key)
            for comp in comps:
                if comp not in ALL_OPS:
                    raise fail(f"{label}: bad comparison {comp!r}", key)
            operands = [FieldOperand(*_split_field(f), column=column) for f in fields]
            if not isinstance(values, list):
                raise fail(f"{label}: 'values' must be a list of value lists", key)
            for row in values:
                if not isinstance(row, list) or len(row) != len(fields):
                    raise fail(
                        f"{label}: each value must be a list of {len(fields)} "
                        f"(one per field), not {row!r}",
                        key,
                    )
                checks: list[Node] = []
                for operand, comp, value in zip(operands, comps, row, strict=True):
                    if isinstance(value, list) or comp in LIST_OPS:
                        if comp not in LIST_OPS:
                            raise fail(
                                f"{label}: a list of values needs in, pmatch or intersects, "
                                f"not {comp!r}",
                                key,
                            )
                        items = value if isinstance(value, list) else [value]
                        texts = [v for v in items if v is not None]
                        checks.append(_list_check(column, operand, comp, texts))
                    elif comp == "exists":
                        checks.append(Check(column, operand, comp))
                    else:
                        checks.append(
                            Check(column, operand, comp, ["" if value is None else value])
                        )
                alternatives.append(checks[0] if len(checks) == 1 else And(column, checks))
        if not alternatives:
            return None
        return alternatives[0] if len(alternatives) == 1 else Or(column, alternatives)


class _MacroError(ConditionError):
    def __init__(self, macro: _Def, path: str, line: int, cause: ConditionError) -> None:
        super().__init__(cause.message, cause.column)
        self.macro = macro
        self.path = path
        self.line = line
        self.cause = cause


def _list_check(column: int, operand: FieldOperand, comp: str, items: list[Any]) -> Check:
    """``field comp (items)``; an item with a blank is quoted (never a list name), as Falco
    quotes it when it writes the exception into the condition."""
    texts = [str(item) for item in items]
    quoted = [any(c in text for c in " \t") for text in texts]
    return Check(column, operand, comp, texts, quoted=quoted, is_list=True)


def _macro_refs(node: Node) -> list[MacroRef]:
    if isinstance(node, MacroRef):
        return [node]
    if isinstance(node, (And, Or)):
        return [ref for child in node.children for ref in _macro_refs(child)]
    if isinstance(node, Not):
        return _macro_refs(node.child)
    return []


def _raw(node: yaml.Node) -> Any:
    """A YAML node as plain data, scalars as written (``yes`` stays ``yes``, ``01`` stays
    ``01``, as Falco reads them); null is None."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _NULL:
            return None
        return str(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_raw(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {
            str(key.value) if isinstance(key, yaml.ScalarNode) else "?": _raw(value)
            for key, value in node.value
        }
    return None


def _split_field(text: str) -> tuple[str, str | None]:
    """``json.value[/a/b]`` → (``json.value``, ``/a/b``)."""
    if text.endswith("]") and "[" in text:
        name, _, arg = text[:-1].partition("[")
        return name, arg
    return text, None


def load_rules(paths: list[str]) -> LoadedRules:
    """The rules of ``paths`` (in order), compiled; ``RulesError`` for a broken file and
    ``OSError`` for an unreadable one."""
    collector = _Collector()
    for path in paths:
        text = Path(path).read_text(encoding="utf-8-sig")
        collector.load_text(text, path)
    return _finish(collector, paths)


def load_rules_text(*texts: str, names: list[str] | None = None) -> LoadedRules:
    """The rules of YAML texts, as if each were a file (``names``, default ``rules-N.yaml``)."""
    collector = _Collector()
    names = names or [f"rules-{n}.yaml" for n in range(1, len(texts) + 1)]
    for text, name in zip(texts, names, strict=True):
        collector.load_text(text, name)
    return _finish(collector, names)


def _finish(collector: _Collector, paths: list[str]) -> LoadedRules:
    compiler = _Compiler(collector)
    compiler.expand_lists()
    compiler.parse_macros()
    rules: list[CompiledRule] = []
    skipped: dict[str, int] = {}
    for definition in sorted(collector.defs["rule"].values(), key=lambda d: d.index):
        source = definition.data.get("source") or "syscall"
        if source != SOURCE:
            skipped[source] = skipped.get(source, 0) + 1
            continue
        try:
            rules.append(compiler.compile_rule(definition))
        except RecursionError:
            raise RulesError(
                definition.path,
                definition.line,
                "its condition nests too deeply (macros within macros)",
                kind="rule",
                name=definition.name,
            ) from None
    return LoadedRules(rules, skipped, collector.warnings, list(paths))
