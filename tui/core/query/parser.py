"""Parser: tokens -> a tree of typed terms, every mistake reported at its column with what was
expected. ``OR`` binds looser than the implicit AND; ``NOT`` and ``-`` bind to what follows."""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from kaudit_tui.core.query.errors import QueryError
from kaudit_tui.core.query.fields import (
    ALIASES,
    FIELDS,
    LOADED_FIELDS,
    FieldDef,
    FieldSpec,
    canonical,
    suggestion,
)
from kaudit_tui.core.query.nodes import (
    And,
    FieldTerm,
    Node,
    Not,
    Or,
    RegexTerm,
    Term,
    TextTerm,
)
from kaudit_tui.core.query.syntax import (
    Operator,
    RawOperator,
    RawTerm,
    RawValue,
    TermKind,
    Token,
    scan,
)


def parse_tree(text: str, extra: Mapping[str, FieldSpec]) -> tuple[Node | None, list[Term]]:
    """The query tree of ``text`` (None when it is empty) and its terms in text order.

    Raises :class:`QueryError` for the first mistake.
    """
    parser = _Parser(scan(text), extra)
    return parser.parse(), parser.terms


def parse_terms(text: str, extra: Mapping[str, FieldSpec]) -> list[Term]:
    """The typed terms of ``text``, in text order; raises :class:`QueryError` for the first
    mistake."""
    return parse_tree(text, extra)[1]


MAX_DEPTH = 50
"""Nested groups and ``NOT``s allowed: deeper is an error, not a RecursionError (a paste)."""


class _Parser:
    """Recursive descent over the tokens: ``or := and {OR and}``, ``and := unary {unary}``."""

    def __init__(self, tokens: list[Token], extra: Mapping[str, FieldSpec]) -> None:
        self.tokens = tokens
        self.extra = extra
        self.at = 0
        self.depth = 0
        self.terms: list[Term] = []

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self._or()
        if self.at < len(self.tokens):  # _or only stops early at a ")"
            close = self.tokens[self.at]
            raise QueryError("unbalanced ')': there is no '(' before it to close", close.column)
        return node

    def _peek(self) -> Operator | None:
        """The operator at the current token; None for a term or the end."""
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        return token.kind if isinstance(token, RawOperator) else None

    def _at_end(self) -> bool:
        return self.at >= len(self.tokens)

    def _or(self) -> Node:
        children = [self._and(None)]
        while self._peek() is Operator.OR:
            keyword = self.tokens[self.at]
            self.at += 1
            children.append(self._and(keyword))
        return _joined(Or, children)

    def _and(self, after_or: Token | None) -> Node:
        children: list[Node] = []
        while not self._at_end() and self._peek() not in (Operator.OR, Operator.CLOSE):
            children.append(self._unary())
        if children:
            return _joined(And, children)
        if after_or is not None:
            raise QueryError("expected a term after 'OR'", after_or.column, 2)
        token = self.tokens[self.at]  # not the end: the caller saw a token, or there are some
        if self._peek() is Operator.OR:
            raise QueryError("expected a term before 'OR'", token.column, 2)
        raise QueryError("unbalanced ')': there is no '(' before it to close", token.column)

    def _unary(self) -> Node:
        token = self.tokens[self.at]
        self.at += 1
        if isinstance(token, RawTerm):
            term = self._term(token)
            self.terms.append(term)
            return term
        self.depth += 1
        try:
            return self._operator(token)
        finally:
            self.depth -= 1

    def _operator(self, token: RawOperator) -> Node:
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"nested too deeply: at most {MAX_DEPTH} groups and NOTs inside each other",
                token.column,
                token.end - token.column,
            )
        if token.kind in (Operator.NOT, Operator.MINUS):
            if self._at_end() or self._peek() in (Operator.OR, Operator.CLOSE):
                raise QueryError(
                    f"expected a term after '{token.text}'", token.column, token.end - token.column
                )
            return _negated(self._unary())
        if token.kind is Operator.OPEN:
            return self._group(token)
        if token.kind is Operator.OR:  # pragma: no cover - _and stops before an OR
            raise QueryError("expected a term before 'OR'", token.column, 2)
        raise QueryError(  # pragma: no cover - _and stops before a ")"
            "unbalanced ')': there is no '(' before it to close", token.column
        )

    def _group(self, open_: RawOperator) -> Node:
        if self._peek() is Operator.CLOSE:
            close = self.tokens[self.at]
            raise QueryError(
                "empty parentheses: expected a query between '(' and ')'",
                open_.column,
                close.end - open_.column,
            )
        if self._at_end():
            raise QueryError("unclosed '(': expected a query and a ')' after it", open_.column)
        node = self._or()
        if self._at_end():
            raise QueryError("unclosed '(': expected a ')' to close it", open_.column)
        self.at += 1  # the ")" (_or stops at nothing else)
        return node

    def _term(self, raw: RawTerm) -> Term:
        if raw.kind is TermKind.REGEX:
            return _regex_term(raw)
        if raw.kind is TermKind.TEXT:
            return _text_term(raw)
        return _field_term(raw, self.extra)


def _joined(kind: type[And] | type[Or], children: list[Node]) -> Node:
    """One child as is; nested nodes of the same kind flattened (``(a b) c`` is ``a b c``)."""
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def _negated(node: Node) -> Node:
    """``NOT node``: a term carries its own flag, so ``NOT a`` is ``-a`` and ``NOT -a`` is a."""
    if isinstance(node, Not):
        return node.child
    if isinstance(node, And | Or):
        return Not(node)
    return msgspec.structs.replace(node, negated=not node.negated)


def _text_term(raw: RawTerm) -> TextTerm:
    (value,) = raw.values
    if not "".join(value.parts):
        raise QueryError(
            "empty text: expected something to search for", value.column, _width(value)
        )
    return TextTerm(value.parts, raw.negated, raw.column, raw.end)


def _regex_term(raw: RawTerm) -> RegexTerm:
    start = raw.column + int(raw.negated)
    flags = re.IGNORECASE | re.MULTILINE
    try:
        re.compile(raw.pattern, flags)  # text first: its error positions are columns
        pattern = re.compile(raw.pattern.encode(), flags)
    except re.error as error:
        # The source maps 1:1 to columns after the opening '/' unless "\/" was unescaped.
        offset = error.pos if error.pos is not None else 0
        raise QueryError(f"bad regex: {error.msg}", start + 1 + offset) from None
    return RegexTerm(pattern, raw.negated, raw.column, raw.end)


def _field_term(raw: RawTerm, extra: Mapping[str, FieldSpec]) -> FieldTerm:
    name_column = raw.column + int(raw.negated)
    name = canonical(raw.field, extra)
    if name is None:
        waits = LOADED_FIELDS.get(raw.field.lower())
        message = f"'{raw.field}' works once {waits}" if waits else None
        message = message or _unknown_field(raw.field, extra)
        raise QueryError(message, name_column, len(raw.field))
    if name in FIELDS:
        values = _builtin_values(FIELDS[name], raw.values)
    else:
        values = tuple(_extra_value(name, extra[name], value) for value in raw.values)
    return FieldTerm(name, values, raw.negated, raw.column, raw.end)


def _unknown_field(typed: str, extra: Mapping[str, FieldSpec]) -> str:
    names = [*FIELDS, *extra]
    close = suggestion(typed, [*names, *ALIASES])  # an alias is a valid name too
    if close is not None:
        return f"unknown field '{typed}' (did you mean '{close}'?)"
    return (
        f"unknown field '{typed}': expected one of {', '.join(names)}"
        " (to search for text with ':', put it in quotes)"
    )


def _builtin_values(field: FieldDef, raw_values: tuple[RawValue, ...]) -> tuple[object, ...]:
    if field.single and len(raw_values) > 1:
        second = raw_values[1]
        raise QueryError(
            f"'{field.name}' takes one value", second.column, second.end - second.column
        )
    values = []
    for value in raw_values:
        try:
            values.append(field.parse(value))
        except ValueError as error:
            raise _value_error(field.name, value, str(error)) from None
        _check_choice(field, value)
    return tuple(values)


def _check_choice(field: FieldDef, value: RawValue) -> None:
    if not field.choices or value.has_wildcard:
        return
    typed = value.text.lower()
    if typed in field.choices or typed == "":  # "" selects events without the field
        return
    close = suggestion(typed, list(field.choices))
    hint = (
        f" (did you mean '{close}'?)" if close else f": expected one of {', '.join(field.choices)}"
    )
    raise QueryError(f"unknown {field.name} '{value.text}'{hint}", value.column, _width(value))


def _extra_value(name: str, spec: FieldSpec, value: RawValue) -> object:
    try:
        return spec.parse(value.text.lower())
    except (ValueError, TypeError, LookupError):
        raise _value_error(name, value, f"expected {spec.expected}") from None


def _value_error(name: str, value: RawValue, expected: str) -> QueryError:
    return QueryError(f"bad {name} '{value.text}': {expected}", value.column, _width(value))


def _width(value: RawValue) -> int:
    return value.end - value.column
