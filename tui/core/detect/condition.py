"""Falco's condition language: text → syntax tree (with columns) → a compiled predicate.

Grammar (Falco's, EBNF)::

    expr      = and , { "or" , and } ;
    and       = not , { "and" , not } ;
    not       = { "not" } , check ;
    check     = operand , condition | macro | "(" , expr , ")" ;
    operand   = field | transform ;
    transform = ( "tolower" | "toupper" | "b64" | "basename" | "len" ) , "(" , operand , ")" ;
    condition = "exists"
              | numop , ( number | "val(" , field , ")" )
              | strop , ( string | "val(" , field , ")" )
              | listop , ( "(" , [ string , { "," , string } ] , ")" | list name ) ;
    numop     = "<" | "<=" | ">" | ">=" ;
    strop     = "=" | "==" | "!=" | "contains" | "icontains" | "startswith" | "endswith"
              | "glob" | "iglob" | "regex" | "bcontains" | "bstartswith" ;
    listop    = "in" | "intersects" | "pmatch" ;
    field     = name , "." , name , { "." , name } , [ "[" , argument , "]" ] ;
    string    = quoted | bare ;   (* bare: no blank, parenthesis, comma, '=' or quote *)

``and``, ``or`` and ``not`` are lower-case words followed by a blank or ``(``; ``and`` binds
tighter than ``or``. Compilation resolves macros and list names (through callables the rules
loader gives), checks fields and operators, and builds one closure per node, so evaluating an
event walks no tree.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .fields import FieldError, FieldRef, lookup_field

__all__ = [
    "And",
    "Check",
    "ConditionError",
    "Context",
    "MacroRef",
    "Node",
    "Not",
    "Or",
    "compile_condition",
    "parse_condition",
]

UNARY_OPS = ("exists",)
NUM_OPS = ("<=", "<", ">=", ">")
STR_OPS = (
    "==",
    "=",
    "!=",
    "glob",
    "iglob",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "regex",
)
LIST_OPS = ("intersects", "in", "pmatch")
TRANSFORMERS = ("tolower", "toupper", "b64", "basename", "len")
ALL_OPS = UNARY_OPS + NUM_OPS + STR_OPS + LIST_OPS


class ConditionError(ValueError):
    """A mistake in a condition, at ``column`` (1-based) of its text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"


# -- syntax tree ----------------------------------------------------------------------------


@dataclass
class Node:
    column: int


@dataclass
class And(Node):
    children: list[Node]


@dataclass
class Or(Node):
    children: list[Node]


@dataclass
class Not(Node):
    child: Node


@dataclass
class MacroRef(Node):
    name: str


@dataclass
class FieldOperand:
    """A field, maybe wrapped in transformers (innermost last): ``tolower(ka.verb)``."""

    name: str
    arg: str | None
    column: int
    transformers: tuple[str, ...] = ()


@dataclass
class Check(Node):
    left: FieldOperand
    op: str
    values: list[str] = field(default_factory=list)
    """The right-hand side: one value, or a list's items (list names not yet expanded)."""
    quoted: list[bool] = field(default_factory=list)
    """For each value, whether it was quoted (a quoted list item is never a list name)."""
    is_list: bool = False
    right_field: FieldOperand | None = None
    """``val(field)`` on the right-hand side."""


# -- parser ---------------------------------------------------------------------------------

_BLANK = " \t\n\r\b\f\v"
_IDENT = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
_FIELD = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+")
_FIELD_ARG = re.compile(r"[^ \b\t\n\r\[\]\"']+")
_NUMBER = re.compile(r"0[xX][0-9a-zA-Z]+|[+\-]?[0-9]+\.?[0-9]*(?:[eE][+\-]?[0-9]+)?")
_BARE = re.compile(r"[^ \b\t\n\r\(\),=\"']+")
_ESCAPES = {
    "\\": "\\",
    "/": "/",
    " ": "\\",  # as Falco: kept for old rules that escaped a blank
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_MAX_DEPTH = 100


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    # -- lexing helpers --

    def error(self, message: str, pos: int | None = None) -> ConditionError:
        return ConditionError(message, (self.pos if pos is None else pos) + 1)

    def blank(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _BLANK:
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def keyword(self, word: str) -> bool:
        """``word`` at the cursor, followed by a blank or ``(`` (consumed without them)."""
        end = self.pos + len(word)
        if self.text.startswith(word, self.pos):
            # At the very end it is still the keyword (then what should follow is missing).
            if end == len(self.text) or self.text[end] in _BLANK or self.text[end] == "(":
                self.pos = end
                return True
        return False

    def match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.pos)
        if found is None or not found.group(0):
            return None
        self.pos = found.end()
        return found.group(0)

    def describe(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the condition"
        found = _BARE.match(self.text, self.pos)
        token = found.group(0) if found else self.text[self.pos]
        return repr(token[:30])

    # -- grammar --

    def parse(self) -> Node:
        self.blank()
        if self.pos >= len(self.text):
            raise self.error("empty condition")
        node = self.parse_or()
        self.blank()
        if self.pos < len(self.text):
            raise self.error(f"expected 'and', 'or' or the end, found {self.describe()}")
        return node

    def nested(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error("condition nested too deeply")

    def parse_or(self) -> Node:
        self.nested()
        start = self.pos
        children = [self.parse_and()]
        while True:
            save = self.pos
            self.blank()
            if not self.keyword("or"):
                self.pos = save
                break
            children.append(self.parse_and())
        self.depth -= 1
        return children[0] if len(children) == 1 else Or(start + 1, children)

    def parse_and(self) -> Node:
        start = self.pos
        children = [self.parse_not()]
        while True:
            save = self.pos
            self.blank()
            if not self.keyword("and"):
                self.pos = save
                break
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else And(start + 1, children)

    def parse_not(self) -> Node:
        self.blank()
        starts = []
        while True:
            start = self.pos
            if not self.keyword("not"):
                break
            starts.append(start)
            self.blank()
        node = self.parse_check()
        # As Falco: each 'not' toggles, so 'not not x' is x.
        return Not(starts[0] + 1, node) if len(starts) % 2 else node

    def parse_check(self) -> Node:
        self.blank()
        start = self.pos
        if self.peek() == "(":
            self.pos += 1
            node = self.parse_or()
            self.blank()
            if self.peek() != ")":
                raise self.error(f"expected ')', found {self.describe()}")
            self.pos += 1
            return node
        operand = self.transformed_operand()
        if operand is not None:
            return self.parse_condition(operand, start)
        name = self.match(_FIELD)
        if name is not None:
            operand = FieldOperand(name, self.field_arg(), start + 1)
            return self.parse_condition(operand, start)
        name = self.match(_IDENT)
        if name is not None:
            if name in ("and", "or", "not"):
                raise self.error(f"expected a field, a macro or '(' before {name!r}", start)
            return MacroRef(start + 1, name)
        raise self.error(f"expected a field, a macro or '(', found {self.describe()}")

    def transformed_operand(self) -> FieldOperand | None:
        """``tolower(field)`` and the like (nested), or None if none starts here."""
        start = self.pos
        for name in TRANSFORMERS:
            if self.text.startswith(name + "(", self.pos):
                self.pos += len(name) + 1
                self.blank()
                inner = self.transformed_operand()
                if inner is None:
                    field_start = self.pos
                    field_name = self.match(_FIELD)
                    if field_name is None:
                        raise self.error(f"expected a field inside {name}(...)")
                    inner = FieldOperand(field_name, self.field_arg(), field_start + 1)
                self.blank()
                if self.peek() != ")":
                    raise self.error(f"expected ')' to close {name}(")
                self.pos += 1
                inner.transformers = (*inner.transformers, name)
                return inner
        self.pos = start
        return None

    def field_arg(self) -> str | None:
        if self.peek() != "[":
            return None
        self.pos += 1
        if self.peek() in ("'", '"'):
            arg = self.quoted()
        else:
            arg = self.match(_FIELD_ARG)
            if arg is None:
                raise self.error("expected a field argument after '['")
        if self.peek() != "]":
            raise self.error("expected ']' after the field argument")
        self.pos += 1
        return arg

    def quoted(self) -> str:
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        out = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\" and self.pos + 1 < len(text):
                out.append(self.escape(quote))
                continue
            if char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error("unterminated quoted string", start)

    def escape(self, quote: str) -> str:
        """The character of the escape at the cursor (a backslash), as Falco unescapes it."""
        at = self.pos
        following = self.text[at + 1]
        self.pos += 2
        if following in _ESCAPES:
            return _ESCAPES[following]
        if following in "\"'":
            if following != quote:
                raise self.error(f"\\{following} cannot be used in a {quote}-quoted string", at)
            return following
        if following == "x":
            digits = self.text[at + 2 : at + 4]
            if len(digits) < 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise self.error("a \\x escape needs two hexadecimal digits", at)
            self.pos += 2
            return chr(int(digits, 16))
        raise self.error(f"unsupported escape \\{following}", at)

    def operator(self) -> str | None:
        text = self.text
        for op in ("exists", *NUM_OPS, "==", "=", "!="):
            if text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        for op in STR_OPS + LIST_OPS:
            if op[0].isalpha() and self.keyword(op):
                return op
        return None

    def parse_condition(self, left: FieldOperand, start: int) -> Check:
        self.blank()
        op_pos = self.pos
        op = self.operator()
        if op is None:
            raise self.error(f"expected an operator after {left.name!r}, found {self.describe()}")
        check = Check(start + 1, left, op)
        if op == "exists":
            return check
        self.blank()
        right = self.val_operand()
        if right is not None:
            if op in LIST_OPS:
                raise self.error(f"'{op}' takes a list, not val(...)", op_pos)
            check.right_field = right
            return check
        if op in NUM_OPS:
            number = self.match(_NUMBER)
            if number is None:
                raise self.error(f"expected a number after '{op}', found {self.describe()}")
            check.values = [number]
        elif op in STR_OPS:
            check.values = [self.string_value(op)]
        else:
            check.is_list = True
            self.list_value(check)
        return check

    def val_operand(self) -> FieldOperand | None:
        if not self.text.startswith("val(", self.pos):
            return None
        self.pos += 4
        self.blank()
        field_start = self.pos
        name = self.match(_FIELD)
        if name is None:
            raise self.error("expected a field inside val(...)")
        operand = FieldOperand(name, self.field_arg(), field_start + 1)
        self.blank()
        if self.peek() != ")":
            raise self.error("expected ')' to close val(")
        self.pos += 1
        return operand

    def string_value(self, op: str) -> str:
        return self.string_item(op)[0]

    def string_item(self, op: str) -> tuple[str, bool]:
        """A quoted or bare string, and whether it was quoted."""
        if self.peek() in ("'", '"'):
            return self.quoted(), True
        value = self.match(_BARE)
        if value is None:
            raise self.error(f"expected a value after '{op}', found {self.describe()}")
        return value, False

    def list_value(self, check: Check) -> None:
        op = check.op
        if self.peek() != "(":
            name = self.match(_IDENT)
            if name is None:
                raise self.error(f"expected '(' or a list name after '{op}'")
            check.values, check.quoted = [name], [False]
            return
        self.pos += 1
        self.blank()
        if self.peek() == ")":
            self.pos += 1
            return
        while True:
            self.blank()
            value, quoted = self.string_item(op)
            check.values.append(value)
            check.quoted.append(quoted)
            self.blank()
            if self.peek() == ",":
                self.pos += 1
                continue
            if self.peek() == ")":
                self.pos += 1
                return
            raise self.error(f"expected ',' or ')' in the list, found {self.describe()}")


def parse_transformed_field(text: str) -> tuple[FieldOperand, int]:
    """The transformed field at the start of ``text`` (``tolower(ka.verb)...``) and its
    length; ``ConditionError`` if there is none."""
    parser = _Parser(text)
    operand = parser.transformed_operand()
    if operand is None:
        raise parser.error("expected a transformer")
    return operand, parser.pos


def parse_condition(text: str) -> Node:
    """The syntax tree of a condition; ``ConditionError`` (with its column) if it is not one."""
    return _Parser(text).parse()


# -- compiling ------------------------------------------------------------------------------


class Context:
    """One event being evaluated: the event dict and the fields read from it so far."""

    __slots__ = ("cache", "event")

    def __init__(self, event: dict) -> None:
        self.event = event
        self.cache: dict[str, Any] = {}


Predicate = Callable[[Context], bool]
Getter = Callable[[Context], Any]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _b64(text: str) -> str | None:
    try:
        return base64.b64decode(text.encode(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1]


_STRING_TRANSFORMS: dict[str, Callable[[str], str | None]] = {
    "tolower": _lower,
    "toupper": lambda text: text.translate(_ASCII_UPPER),
    "b64": _b64,
    "basename": _basename,
}


def field_getter(ref: FieldRef, transformers: tuple[str, ...] = ()) -> Getter:
    """A function of the context giving the field's value (cached per event), transformed.

    The value is None when missing; a list field gives a non-empty list.
    """
    key = ref.text
    read = ref.spec.read

    def get(ctx: Context) -> Any:
        cache = ctx.cache
        if key in cache:
            return cache[key]
        value = read(ctx.event, ref.arg)
        if isinstance(value, list) and not value:
            value = None
        cache[key] = value
        return value

    for name in transformers:
        get = _transform(get, name)
    return get


def _transform(inner: Getter, name: str) -> Getter:
    if name == "len":

        def length(ctx: Context) -> Any:
            value = inner(ctx)
            if value is None:
                return None
            return len(str(value)) if isinstance(value, int) else len(value)

        return length
    apply = _STRING_TRANSFORMS[name]

    def transformed(ctx: Context) -> Any:
        value = inner(ctx)
        if value is None:
            return None
        if isinstance(value, list):
            out = [apply(item) for item in value]
            out = [item for item in out if item is not None]
            return out or None
        if isinstance(value, int):
            value = str(value)
        return apply(value)

    return transformed


def _c_fnmatch() -> Callable[[bytes, bytes, int], int] | None:
    """The C library's fnmatch(3), which libsinsp calls for glob; None where there is none."""
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        if name is None:
            return None
        fnmatch = ctypes.CDLL(name).fnmatch
    except (OSError, AttributeError, ImportError):
        return None
    fnmatch.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    fnmatch.restype = ctypes.c_int
    return fnmatch


_FNMATCH = _c_fnmatch()
_FNM_CASEFOLD = 1 << 4  # glibc, musl and the BSDs agree on it


def glob_matcher(pattern: str, *, ignore_case: bool = False) -> Callable[[str], bool]:
    """Whether a whole value matches a shell pattern, as libsinsp's glob: fnmatch(3) with no
    flags (iglob: FNM_CASEFOLD). The C library's own fnmatch where there is one (bracket
    expressions have corner cases no translation keeps exactly), else :func:`glob_regex`."""
    if _FNMATCH is not None:
        fnmatch, encoded = _FNMATCH, pattern.encode()
        flags = _FNM_CASEFOLD if ignore_case else 0
        return lambda value: fnmatch(encoded, value.encode(), flags) == 0
    regex = glob_regex(pattern, ignore_case=ignore_case)
    return lambda value: regex.fullmatch(value) is not None


def glob_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """A shell glob as a whole-string regex, as fnmatch(3) without flags reads it: ``*``,
    ``?``, ``[...]`` and ``[!...]`` (``]`` first in a set is literal), ``\\x`` is ``x``, and
    ``*`` also matches ``/``."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "\\":
            if index + 1 == len(pattern):
                return re.compile("(?!)")  # a pattern ending in a backslash matches nothing
            index += 1
            out.append(re.escape(pattern[index]))
        elif char == "[":
            start = index + 1
            negate = pattern[start : start + 1] in ("!", "^")
            first = start + 1 if negate else start
            end = pattern.find("]", first + 1 if pattern[first : first + 1] == "]" else first)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[first:end].replace("\\", "\\\\").replace("[", "\\[")
                body = body.replace("]", "\\]").replace("^", "\\^")
                out.append(f"[{'^' if negate else ''}{body}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _path_prefixes(paths: Iterable[str]) -> Callable[[str], bool]:
    """pmatch: whether a path is one of ``paths`` or below one, compared by components as
    libsinsp's prefix search does (``//a/b/`` is ``/a/b``; a ``*`` component matches any one
    component; ``/`` covers every path)."""
    prefixes = [tuple(part for part in path.split("/") if part) for path in paths]

    def match(value: str) -> bool:
        parts = [part for part in value.split("/") if part]
        for prefix in prefixes:
            if len(prefix) <= len(parts) and all(
                want == "*" or want == got for want, got in zip(prefix, parts, strict=False)
            ):
                return True
        return False

    return match


def _number(text: str) -> float | int | None:
    try:
        return int(text, 0) if text.lower().startswith(("0x", "+0x", "-0x")) else int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _compare(op: str, numeric: bool) -> Callable[[Any, Any], bool]:
    """A scalar comparison of a field value (left) with the rule's value (right)."""
    if op in ("=", "=="):
        return lambda a, b: a == b
    if op == "!=":
        return lambda a, b: a != b
    if op in NUM_OPS:
        ops: dict[str, Callable[[Any, Any], bool]] = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        compare = ops[op]
        if numeric:
            return lambda a, b: compare(a, b) if a is not None and b is not None else False
        return compare
    if op == "contains":
        return lambda a, b: b in a
    if op == "icontains":
        return lambda a, b: _lower(b) in _lower(a)
    if op == "startswith":
        return lambda a, b: a.startswith(b)
    if op == "endswith":
        return lambda a, b: a.endswith(b)
    if op == "bcontains":
        return lambda a, b: b in a.encode()
    if op == "bstartswith":
        return lambda a, b: a.encode().startswith(b)
    raise AssertionError(op)


@dataclass
class Resolver:
    """What compiling a condition needs from the rules: macros and lists, by name."""

    macro: Callable[[str, int], Predicate]
    """The compiled macro ``name`` (column for errors); raises ConditionError when undefined."""
    list_values: Callable[[list[str], list[bool]], list[str]]
    """A list literal's items (and whether each was quoted) with list names expanded."""


def compile_condition(node: Node, resolver: Resolver) -> Predicate:
    """A predicate over a :class:`Context` for the syntax tree ``node``."""
    if isinstance(node, And):
        parts = [compile_condition(child, resolver) for child in node.children]
        return _chain(parts, both=True)
    if isinstance(node, Or):
        parts = [compile_condition(child, resolver) for child in node.children]
        return _chain(parts, both=False)
    if isinstance(node, Not):
        inner = compile_condition(node.child, resolver)
        return lambda ctx: not inner(ctx)
    if isinstance(node, MacroRef):
        return resolver.macro(node.name, node.column)
    assert isinstance(node, Check)
    return _compile_check(node, resolver)


def _chain(parts: list[Predicate], *, both: bool) -> Predicate:
    """``a and b and c`` (or ``or``) as two-way closures, cheaper than all()/any(); split in
    halves, so a long chain nests only as deep as its length's logarithm."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    first = _chain(parts[:middle], both=both)
    rest = _chain(parts[middle:], both=both)
    if both:
        return lambda ctx: first(ctx) and rest(ctx)
    return lambda ctx: first(ctx) or rest(ctx)


def resolve_operand(operand: FieldOperand) -> tuple[FieldRef, Getter]:
    try:
        ref = lookup_field(operand.name, operand.arg)
    except FieldError as error:
        raise ConditionError(str(error), operand.column) from None
    return ref, field_getter(ref, operand.transformers)


def operand_kind(ref: FieldRef, transformers: tuple[str, ...]) -> tuple[bool, bool]:
    """(is a list, is a number) of a field after its transformers."""
    is_list = ref.is_list
    numeric = ref.spec.numeric
    if "len" in transformers:
        is_list, numeric = False, True
    return is_list, numeric


def _compile_check(node: Check, resolver: Resolver) -> Predicate:
    ref, get = resolve_operand(node.left)
    op = node.op
    is_list, numeric = operand_kind(ref, node.left.transformers)
    if op == "exists":
        return lambda ctx: get(ctx) is not None
    if is_list and op not in ("in", "intersects"):
        raise ConditionError(
            f"{ref.text!r} is a list field: only 'exists', 'in' and 'intersects' apply to it",
            node.column,
        )
    if node.right_field is not None:
        right_ref, right_get = resolve_operand(node.right_field)
        return _compile_val(node, get, right_get, numeric)
    if op in LIST_OPS:
        return _compile_list(node, get, is_list, numeric, resolver)
    value: Any = node.values[0]
    if numeric:
        value = _number(value)
        if value is None:
            raise ConditionError(
                f"{ref.text!r} is a number: {node.values[0]!r} is not", node.column
            )
    if op in ("glob", "iglob"):
        return _scalar(get, glob_matcher(value, ignore_case=op == "iglob"))
    if op == "regex":
        try:
            regex = re.compile(value)
        except re.error as error:
            raise ConditionError(
                f"bad regular expression {value!r}: {error}", node.column
            ) from None
        return _scalar(get, lambda a: regex.fullmatch(a) is not None)
    if op in ("bcontains", "bstartswith"):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise ConditionError(
                f"'{op}' takes hexadecimal bytes, not {value!r}", node.column
            ) from None
    if op in ("=", "==") and not numeric:
        return lambda ctx: get(ctx) == value  # a missing value (None) equals no string
    compare = _compare(op, numeric)
    if op in ("contains", "icontains", "startswith", "endswith", "bcontains", "bstartswith"):
        if numeric:
            return _scalar(get, lambda a: compare(str(a), value))
    return _scalar(get, lambda a: compare(a, value))


def _scalar(get: Getter, test: Callable[[Any], bool]) -> Predicate:
    def check(ctx: Context) -> bool:
        value = get(ctx)
        return value is not None and test(value)

    return check


def _compile_val(node: Check, get: Getter, right_get: Getter, numeric: bool) -> Predicate:
    op = node.op
    compare = _compare(op, numeric) if op not in ("glob", "iglob", "regex") else None

    def check(ctx: Context) -> bool:
        left = get(ctx)
        right = right_get(ctx)
        if left is None or right is None:
            return False
        if isinstance(right, list):
            right = right[0]
        if compare is None:
            if op == "regex":
                try:
                    return re.fullmatch(str(right), str(left)) is not None
                except re.error:
                    return False
            return glob_matcher(str(right), ignore_case=op == "iglob")(str(left))
        if numeric != isinstance(right, int):
            left, right = str(left), str(right)
        return compare(left, right)

    return check


def _compile_list(
    node: Check, get: Getter, is_list: bool, numeric: bool, resolver: Resolver
) -> Predicate:
    items = resolver.list_values(node.values, node.quoted or [False] * len(node.values))
    if node.op == "pmatch":
        return _scalar(get, _path_prefixes(items))
    members: set[Any] = set(items)
    if numeric:
        members = {number for number in map(_number, items) if number is not None}
    if is_list:
        if node.op == "in":
            return _scalar(get, lambda values: all(v in members for v in values))
        return _scalar(get, lambda values: any(v in members for v in values))
    if not numeric:
        frozen = frozenset(members)
        return lambda ctx: get(ctx) in frozen  # a missing value (None) is in no set of strings
    return _scalar(get, lambda value: value in members)
