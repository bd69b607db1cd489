"""Scanner: query text -> raw terms and operators with source columns, before any field is
interpreted.

Grammar (see README; terms side by side must all hold, ``OR`` binds looser)::

    query   = [ or ] ;
    or      = and { "OR" and } ;
    and     = unary { unary } ;
    unary   = "NOT" unary | "-" ( "(" or ")" | term ) | "(" or ")" | term ;
    term    = field ":" value { "," value } | "/" regex "/" | value ;
    value   = '"' chars '"' | chars without whitespace, "," or parentheses ;

``OR`` and ``NOT`` are operators when written in capitals as a word of their own (``"OR"`` is
the text); ``-`` is written against what it negates. ``(`` opens a group where a term may
start and ``)`` closes one wherever an unquoted word may end; a ``(`` inside a word is an error
(quote the text to search for it).

A backslash escapes ``"``, ``\\``, ``*`` and ``,``. ``\\xHH``, ``\\uHHHH``, ``\\UHHHHHHHH``,
``\\t``, ``\\n`` and ``\\r`` stand for one character, written as the UI shows characters a
terminal could act on (a value shown as ``alice\\x1b[2J`` is typed the same way). Any other
backslash is kept as typed. An unescaped ``*`` is a wildcard, so each value is kept as the
literal parts between wildcards. A regex ends at the first ``/`` followed by whitespace, ``)``
or the end, so ``/a/b/`` is ``a/b``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

import msgspec

from kaudit_tui.core.query.errors import QueryError

_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):")
_ESCAPABLE = '"\\*,'
_CHARACTER = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[tnr])")
_SHORT = {"t": "\t", "n": "\n", "r": "\r"}


class Operator(Enum):
    OPEN = "("
    CLOSE = ")"
    OR = "OR"
    NOT = "NOT"
    MINUS = "-"  # written against a "(": negates the group


class RawOperator(msgspec.Struct, frozen=True):
    kind: Operator
    column: int
    end: int

    @property
    def text(self) -> str:
        return self.kind.value


_KEYWORDS = {"OR": Operator.OR, "NOT": Operator.NOT}
_GROUPING = "()"


class TermKind(Enum):
    FIELD = "field"
    TEXT = "text"
    REGEX = "regex"


class RawValue(msgspec.Struct, frozen=True):
    """One value as typed: literal ``parts`` between wildcards (one part: no wildcard)."""

    parts: tuple[str, ...]
    column: int
    end: int
    quoted: bool

    @property
    def text(self) -> str:
        """The value with its wildcards, escapes removed (for parsing numbers and times)."""
        return "*".join(self.parts)

    @property
    def has_wildcard(self) -> bool:
        return len(self.parts) > 1


class RawTerm(msgspec.Struct, frozen=True):
    """One term: a field with values, a free-text value, or a regex source."""

    kind: TermKind
    negated: bool
    column: int
    end: int
    field: str = ""
    values: tuple[RawValue, ...] = ()
    pattern: str = ""


Token = RawTerm | RawOperator


def scan(text: str) -> list[Token]:
    """Split ``text`` into raw terms and operators, raising :class:`QueryError` on malformed
    syntax (how they combine is the parser's business)."""
    _check_encodable(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return tokens
        token = _operator(text, i) or _term(text, i)
        tokens.append(token)
        i = token.end


def _operator(text: str, i: int) -> RawOperator | None:
    char = text[i]
    if char in _GROUPING:
        return RawOperator(Operator(char), i, i + 1)
    if char == "-" and text.startswith("(", i + 1):
        return RawOperator(Operator.MINUS, i, i + 1)
    for word, kind in _KEYWORDS.items():
        end = i + len(word)
        if text.startswith(word, i) and (end == len(text) or _ends_word(text[end])):
            return RawOperator(kind, i, end)
    return None


def _ends_word(char: str) -> bool:
    """Whether ``char`` ends an operator word (``OR(`` is ``OR`` then a group)."""
    return char.isspace() or char in _GROUPING


def _ends_value(char: str) -> bool:
    """Whether ``char`` may follow a value: a space or the ``)`` closing a group."""
    return char.isspace() or char == ")"


def _check_encodable(text: str) -> None:
    """Queries are matched against UTF-8 bytes: a lone surrogate (from a broken paste) has no
    UTF-8 form, so it is reported where it is rather than failing later."""
    if text.isascii():
        return
    try:
        text.encode()
    except UnicodeEncodeError as error:
        raise QueryError("not valid text: a lone surrogate character", error.start) from None


def _term(text: str, start: int) -> RawTerm:
    i = start
    negated = text[i] == "-"
    if negated:
        i += 1
        if i >= len(text) or text[i].isspace() or text[i] == ")":
            raise QueryError("expected a term after '-'", start)
    char = text[i]
    if char == "/":
        pattern, end = _regex(text, i)
        return RawTerm(TermKind.REGEX, negated, start, end, pattern=pattern)
    match = _FIELD.match(text, i)
    if match is not None:
        values, end = _values(text, match.end())
        return RawTerm(TermKind.FIELD, negated, start, end, match.group(1), values)
    if char == ":":
        raise QueryError("expected a field name before ':'", i)
    value = _quoted(text, i) if char == '"' else _word(text, i, stop_at_comma=False)
    if value.quoted and value.end < len(text) and not _ends_value(text[value.end]):
        raise QueryError(
            'expected a space after the closing quote (write \\" for a quote inside quotes)',
            value.end,
        )
    return RawTerm(TermKind.TEXT, negated, start, value.end, values=(value,))


def _values(text: str, i: int) -> tuple[tuple[RawValue, ...], int]:
    """The comma-separated values after ``field:``."""
    values: list[RawValue] = []
    while True:
        if i >= len(text) or _ends_value(text[i]) or text[i] == ",":
            after = "','" if values else "':'"
            raise QueryError(f"empty value: expected a value after {after}", i)
        if text[i] == '"':
            value = _quoted(text, i)
            _expect_separator(text, value.end, allow_comma=True)
        else:
            value = _word(text, i, stop_at_comma=True)
        values.append(value)
        i = value.end
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        return tuple(values), i


def _expect_separator(text: str, i: int, *, allow_comma: bool) -> None:
    if i < len(text) and not _ends_value(text[i]) and not (allow_comma and text[i] == ","):
        expected = "',' or a space" if allow_comma else "a space"
        raise QueryError(f"expected {expected} after the closing quote", i)


def _quoted(text: str, start: int) -> RawValue:
    parts, i = _glob_parts(text, start + 1, lambda char, _: char == '"')
    if i >= len(text):
        raise QueryError('unclosed quote: expected a closing "', start, len(text) - start)
    return RawValue(parts, start, i + 1, True)


def _word(text: str, start: int, *, stop_at_comma: bool) -> RawValue:
    def ends(char: str, i: int) -> bool:
        if char == "(":
            raise QueryError(
                "'(' inside a word: a group starts after a space"
                ' (to search for a parenthesis, put the text in "quotes")',
                i,
            )
        return char.isspace() or char == ")" or (stop_at_comma and char == ",")

    parts, i = _glob_parts(text, start, ends)
    return RawValue(parts, start, i, False)


def _glob_parts(text: str, i: int, ends: Callable[[str, int], bool]) -> tuple[tuple[str, ...], int]:
    """The literal pieces between unescaped ``*`` from ``i`` up to where ``ends(char, i)``
    holds (or the end of the text), with backslash escapes resolved; and that position."""
    parts: list[str] = []
    current: list[str] = []
    while i < len(text):
        char = text[i]
        if ends(char, i):
            break
        if char == "\\" and (escaped := _escape_at(text, i)) is not None:
            current.append(escaped[0])
            i = escaped[1]
            continue
        if char == "*":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return tuple(parts), i


def _escape_at(text: str, i: int) -> tuple[str, int] | None:
    """The character a backslash at ``i`` stands for, and where the text goes on; None if none."""
    if i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
        return text[i + 1], i + 2
    return _character(text, i)


def _character(text: str, i: int) -> tuple[str, int] | None:
    """The character a ``\\x1b``-style escape at ``i`` stands for, and where it ends."""
    match = _CHARACTER.match(text, i)
    if match is None:
        return None
    code = match.group()[1:]
    if code in _SHORT:
        return _SHORT[code], match.end()
    value = int(code[1:], 16)
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        raise QueryError("not a character: a surrogate or beyond U+10FFFF", i, len(match.group()))
    return chr(value), match.end()


def _regex(text: str, start: int) -> tuple[str, int]:
    """The regex source between ``/`` and a closing ``/`` followed by a space or the end."""
    chars: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            chars.append("/" if text[i + 1] == "/" else text[i : i + 2])
            i += 2
            continue
        if char == "/" and (i + 1 == n or text[i + 1].isspace() or text[i + 1] == ")"):
            if not chars:
                raise QueryError("empty regex: expected a pattern between the slashes", start, 2)
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise QueryError(
        "unclosed regex: expected a closing '/' followed by a space or the end",
        start,
        n - start,
    )
