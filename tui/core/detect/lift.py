"""Rule conditions over the index: each check evaluated once per distinct indexed value, in
three-valued logic, and lifted to rows; only rows the index cannot decide are read back.

A check on a field the index holds (user, groups, verb, resource, subresource, namespace,
stage, decision, name, response code, ...) is evaluated on the field's possible values for each
interned code: one value when the index tells it exactly, several when it cannot tell them
apart (an empty string in the index is a missing field or an empty one), and *unknown* when it
cannot tell at all (a value of the wrong type was coerced to text, an event without an audit
ID, a float written as text). Checks combine by Kleene's logic (false < unknown < true: ``and``
is the minimum, ``or`` the maximum, ``not`` the mirror), so a rule is true, false or unknown per
distinct combination of codes; a true or false answer is exactly what evaluating the event
itself gives, and only unknown rows are read from disk and evaluated whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from kaudit_tui.core.store import OTHER_ID

from .condition import And, Context, Node, Not, Or
from .rules import CompiledRule, Leaf

if TYPE_CHECKING:
    from kaudit_tui.core.store import EventStore

__all__ = ["FALSE", "TRUE", "UNKNOWN", "Lifter", "indexed_values"]

FALSE, UNKNOWN, TRUE = 0, 1, 2
_UNKNOWN = object()
"""Candidates meaning "any value at all"."""
_COMPOSITE = object()
"""A candidate standing for the JSON text of an object or array (``{...}``, ``[...]``)."""

# field (as written) -> (shape column, shape field, a ka.* field: needs an auditID)
_SHAPE_FIELDS: dict[str, tuple[str, str, bool]] = {
    "ka.user.name": ("who", "user", True),
    "ka.impuser.name": ("who", "as", True),
    "ka.useragent": ("who", "ua", True),
    "ka.user.groups": ("who", "groups", True),
    "ka.sourceips": ("who", "ip", True),
    "ka.verb": ("what", "verb", True),
    "ka.stage": ("what", "stage", True),
    "ka.auth.decision": ("what", "decision", True),
    "ka.target.resource": ("what", "resource", True),
    "ka.target.subresource": ("what", "sub", True),
    "ka.target.namespace": ("what", "ns", True),
    "json.value[/stage]": ("what", "stage", False),
    "jevt.value[/stage]": ("what", "stage", False),
    "json.value[/verb]": ("what", "verb", False),
    "jevt.value[/verb]": ("what", "verb", False),
    "json.value[/user/username]": ("who", "user", False),
    "jevt.value[/user/username]": ("who", "user", False),
}
_OBJECT_REF_FIELDS = frozenset({"resource", "sub", "ns"})
"""Shape fields read from objectRef: missing for sure when the event has no objectRef."""
_LIST_FIELDS = frozenset({"groups", "ip"})
_NAME_FIELDS = frozenset({"ka.target.name", "ka.req.configmap.name"})
_CODE_FIELD = "ka.response.code"
_CODES = 1000
_TIME_FIELDS = frozenset({"jevt.rawtime", "json.rawtime"})
NO_TIME_CLASS, SOME_TIME_CLASS, ZERO_TIME_CLASS = 0, 1, 2
"""Per row, what the index tells of the event's time (the field is the stage time, else the
received time, else the logged one, else the creation time: always one of the index's two
times): none at all, some time that is not zero, or maybe zero."""


_FLOAT_REPR = re.compile(r"-?(?:inf|nan|\d+\.\d+(?:e[+-]\d+)?|\d+e[+-]\d+)")
"""What ``str(float)`` writes (``1.5``, ``1e+20``, ``-0.0``, ``inf``, ``nan``)."""


def _float_text(text: str) -> bool:
    """Text ``str(float)`` could have given (then the event may hold a number, which the
    plugin writes as JSON: ``1e+20`` in the index is ``1e20`` in the field)."""
    return text[:1] in _FLOAT_START and _FLOAT_REPR.fullmatch(text) is not None


_FLOAT_START = frozenset("-0123456789in")


def _scalar_candidates(value: str) -> Any:
    """The field values a per-row interned text (name) can stand for."""
    if value == "":
        return (None, "", "true", "false", _COMPOSITE)
    return _UNKNOWN if _float_text(value) else (value,)


def _composite(leaf: Leaf) -> int:
    """A check on the JSON text of some object or array, when that can be told without it."""
    check = leaf.check
    if check.left.transformers or check.right_field is not None:
        return UNKNOWN
    op, values = check.op, leaf.items or ()  # the values with list names expanded
    if op == "exists":
        return TRUE
    if any(value[:1] in ("{", "[") for value in values):
        return UNKNOWN
    if op in ("=", "==", "in", "intersects"):
        return FALSE
    if op == "!=":
        return TRUE
    if op == "startswith" and values and values[0]:
        return FALSE
    return UNKNOWN


def _tri(leaf: Leaf, key: str, candidates: Any) -> int:
    """The check over every value in ``candidates``: true or false when all agree."""
    if candidates is _UNKNOWN:
        return UNKNOWN
    seen = set()
    for value in candidates:
        if value is _COMPOSITE:
            outcome = _composite(leaf)
        else:
            ctx = Context({})
            ctx.cache[key] = value
            outcome = TRUE if leaf.predicate(ctx) else FALSE
        seen.add(outcome)
        if len(seen) > 1 or UNKNOWN in seen:
            return UNKNOWN
    (outcome,) = seen
    return outcome


_NOT_DONE = 3
"""A name's answer not worked out yet."""


class _FloatNames:
    """The codes of the names that read as a float, kept up to date with the names table."""

    def __init__(self) -> None:
        self.epoch = -1
        self.seen = 0
        self.codes: list[int] = []

    def __call__(self, names: Any, size: int) -> np.ndarray:
        if names.epoch != self.epoch:
            self.epoch, self.seen, self.codes = names.epoch, 0, []
        if self.seen < size:
            values = names.values
            self.codes += [code for code in range(self.seen, size) if _float_text(values[code])]
            self.seen = size
        return np.array(self.codes, np.int64)


class _LeafPlan:
    """One indexed check: its three-valued answer per code of its column, kept up to date."""

    def __init__(self, leaf: Leaf, store: EventStore, float_names: _FloatNames) -> None:
        self.leaf = leaf
        self.store = store
        self.float_names = float_names
        self.key = leaf.fields[0]
        self.column, self.field, self.needs_id = self._where()
        self.values: np.ndarray = np.zeros(0, np.int8)
        """Per code of the field's own table (shape fields, names): the answer."""
        self.epoch = -1
        self.none = _tri(leaf, self.key, (None,))
        self.codes: np.ndarray | None = None
        self.shaped: tuple[tuple[int, int], np.ndarray] | None = None
        """The answers per shape code, and the (shapes, coerced shapes) they were made for."""

    def _where(self) -> tuple[str, str, bool]:
        if self.key in _SHAPE_FIELDS:
            return _SHAPE_FIELDS[self.key]
        if self.key in _NAME_FIELDS:
            return "name", "name", True
        if self.key in _TIME_FIELDS:
            return "time", "time", False
        return "code", "code", True

    def answers(self, needed: np.ndarray | None = None) -> np.ndarray:
        """The answer per code of the column (shape code, name code, response code, time
        class); for names, only the codes ``needed`` are sure to be answered (there can be
        millions of names, most of them never needed)."""
        if self.column == "time":
            if self.codes is None:
                self.codes = np.array([self.none, _some_time(self.leaf), UNKNOWN], np.int8)
            return self.codes
        if self.column == "code":
            if self.codes is None:
                codes = np.full(_CODES, UNKNOWN, np.int8)
                for code in range(100, _CODES):
                    codes[code] = _tri(self.leaf, self.key, (str(code),))
                self.codes = codes
            return self.codes
        if self.column == "name":
            return self._name_answers(needed)
        _, shapes = self.store.shape_table(self.field)
        size = (len(shapes), len(shapes.coerced_log))
        if self.shaped is not None and self.shaped[0] == size:
            return self.shaped[1]  # no new shape since: the same answers
        answers = self._shape_answers(shapes)
        self.shaped = (size, answers)
        return answers

    def _membership(self) -> tuple[int, int, tuple[str, ...]] | None:
        """(answer for the values listed, answer for the others, the values) when the check
        is ``=``, ``!=``, ``in`` or ``intersects`` on the text itself: answered by looking the
        values up, not by testing every value of the table."""
        check, items = self.leaf.check, self.leaf.items
        if check.left.transformers or items is None or self.field in _LIST_FIELDS:
            return None
        if check.op in ("=", "==", "in", "intersects"):
            return TRUE, FALSE, items
        if check.op == "!=":
            return FALSE, TRUE, items
        return None

    def _name_answers(self, needed: np.ndarray | None) -> np.ndarray:
        names = self.store.names
        if names.epoch != self.epoch:  # codes given new values since: start over
            self.values = np.zeros(0, np.int8)
            self.epoch = names.epoch
        values = names.values
        size = len(values)
        membership = self._membership()
        if membership is not None:
            if len(self.values) != size:
                listed, others, items = membership
                answers = np.full(size, others, np.int8)
                codes = [code for code in names.codes_of(items) if code < size]
                answers[codes] = listed
                answers[0] = _tri(self.leaf, self.key, _scalar_candidates(values[0]))
                floats = self.float_names(names, size)
                answers[floats[floats < size]] = UNKNOWN
                self.values = answers
            return self.values
        if len(self.values) < size:
            grown = np.full(size, _NOT_DONE, np.int8)
            grown[: len(self.values)] = self.values
            self.values = grown
        todo = np.arange(size) if needed is None else np.unique(needed)
        todo = todo[self.values[todo] == _NOT_DONE]
        leaf, key = self.leaf, self.key
        for code in todo.tolist():
            self.values[code] = _tri(leaf, key, _scalar_candidates(values[code]))
        return self.values

    def _shape_answers(self, shapes: Any) -> np.ndarray:
        # Indexing may go on in another thread: the shapes' codes are read before the values'
        # answers (a shape's values are interned before the shape), and cut to one length.
        codes = shapes.field_codes(self.field)
        table = shapes.tables[self.field]
        listed = self.field in _LIST_FIELDS
        values = self._table_answers(table, _list_candidates if listed else _shape_candidates)
        if self.field in _OBJECT_REF_FIELDS:
            objref = shapes.field_codes("objref")
            size = min(len(codes), len(objref))
            answers = np.where(objref[:size] == 0, np.int8(self.none), values[codes[:size]])
        else:
            answers = values[codes]
        coerced = np.array(shapes.coerced_log[:], np.int64)
        if len(coerced):
            answers = answers.copy()
            answers[coerced[coerced < len(answers)]] = UNKNOWN
        return answers

    def _table_answers(self, table: Any, candidates: Callable[[Any], Any]) -> np.ndarray:
        if table.epoch != self.epoch:  # codes given new values since: start over
            self.values = np.zeros(0, np.int8)
            self.epoch = table.epoch
        membership = self._membership() if candidates is _shape_candidates else None
        if membership is not None:
            size = len(table.values)
            if len(self.values) != size:
                listed, others, items = membership
                answers = np.full(size, others, np.int8)
                answers[[code for code in table.codes_of(items) if code < size]] = listed
                answers[0] = _tri(self.leaf, self.key, candidates(table.values[0]))
                self.values = answers
            return self.values
        known = len(self.values)
        values = table.values[known:]
        if values:
            leaf, key = self.leaf, self.key
            more = np.fromiter(
                (_tri(leaf, key, candidates(value)) for value in values), np.int8, len(values)
            )
            self.values = np.concatenate([self.values, more])
        return self.values


def _some_time(leaf: Leaf) -> int:
    """A check on the nanoseconds of some time that is not zero."""
    check = leaf.check
    if check.left.transformers or check.right_field is not None:
        return UNKNOWN
    if check.op == "exists":
        return TRUE
    if check.op in ("=", "==") and check.values == ["0"]:
        return FALSE
    if check.op == "!=" and check.values == ["0"]:
        return TRUE
    return UNKNOWN


def _shape_candidates(value: str) -> tuple:
    """A text shape field of a shape no coerced value reached: exactly the event's text, or
    (when empty) a missing field or an empty one."""
    return (None, "") if value == "" else (value,)


def _list_candidates(values: tuple) -> tuple:
    return (list(values) if values else None,)


class Lifter:
    """Three-valued answers of rules over distinct combinations of a batch's codes."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.plans: dict[int, _LeafPlan | None] = {}
        self.float_names = _FloatNames()

    def plan(self, leaf: Leaf) -> _LeafPlan | None:
        plan = self.plans.get(id(leaf), False)
        if plan is False:
            indexed = len(leaf.fields) == 1 and (
                leaf.fields[0] in _SHAPE_FIELDS
                or leaf.fields[0] in _NAME_FIELDS
                or leaf.fields[0] == _CODE_FIELD
                or leaf.fields[0] in _TIME_FIELDS
            )
            plan = _LeafPlan(leaf, self.store, self.float_names) if indexed else None
            self.plans[id(leaf)] = plan
        return plan  # type: ignore[return-value]

    def evaluate(
        self, rules: list[CompiledRule], combos: dict[str, np.ndarray]
    ) -> list[np.ndarray]:
        """Per rule, its answer for each combination (``combos``: per column, the code of each
        combination; ``time``: its time class; ``noid``: whether it has no audit ID)."""
        size = len(combos["who"])
        memo: dict[int, np.ndarray] = {}
        column_answers: dict[int, np.ndarray] = {}
        unknown = np.full(size, UNKNOWN, np.int8)

        def walk(node: Node) -> np.ndarray:
            found = memo.get(id(node))
            if found is not None:
                return found
            if isinstance(node, And):
                out = walk(node.children[0])
                for child in node.children[1:]:
                    if not out.any():
                        break  # false everywhere
                    out = np.minimum(out, walk(child))
            elif isinstance(node, Or):
                out = walk(node.children[0])
                for child in node.children[1:]:
                    if (out == TRUE).all():
                        break
                    out = np.maximum(out, walk(child))
            elif isinstance(node, Not):
                out = TRUE - walk(node.child)
            else:
                assert isinstance(node, Leaf)
                plan = self.plan(node)
                if plan is None:
                    out = unknown
                else:
                    answers = column_answers.get(id(plan))
                    if answers is None:
                        needed = combos[plan.column] if plan.column == "name" else None
                        answers = column_answers[id(plan)] = plan.answers(needed)
                    codes = combos[plan.column]
                    out = answers[codes] if len(answers) else unknown
                    if plan.needs_id:
                        out = np.where(combos["noid"], np.int8(UNKNOWN), out)
            memo[id(node)] = out
            return out

        return [walk(rule.tree) if rule.tree is not None else unknown for rule in rules]


def indexed_values(store: EventStore, index: np.ndarray, field: str) -> list:
    """Per array index of live rows, the value of ``field`` when the index tells it exactly
    (text, or a tuple for a list field), else None (then read the event)."""
    where = _SHAPE_FIELDS.get(field)
    if where is None:
        return [None] * len(index)
    column, name, needs_id = where
    shapes = store.who if column == "who" else store.what
    codes = store.column(column)[index].astype(np.int64)
    values = shapes.field_codes(name)[codes]
    exact = values != 0  # code 0 is the empty value: missing or empty, the index cannot tell
    if needs_id:
        hi, lo = store.column("id_hi")[index], store.column("id_lo")[index]
        exact &= ~((hi == np.uint64(OTHER_ID)) & (lo == 0))
    coerced = np.array(shapes.coerced_log[:], np.int64)
    if len(coerced):
        exact &= ~np.isin(codes, coerced)
    table = shapes.tables[name].values
    return [table[v] if ok else None for v, ok in zip(values.tolist(), exact.tolist(), strict=True)]
