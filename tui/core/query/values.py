"""Typed query values: case-insensitive globs, numeric ranges, times and networks.

Field values match whole values, case-insensitively (``user:alice`` does not match ``alice2``;
``user:alice*`` does). Each parser takes one :class:`RawValue` and raises ``ValueError`` with
what was expected; the parser turns that into a :class:`QueryError` at the value's column.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Iterable, Sequence
from itertools import repeat

import msgspec
import numpy as np

from kaudit_tui.core.query.syntax import RawValue
from kaudit_tui.core.timestamps import NO_TIME, parse_duration, parse_time

INT64_MIN = -(2**63) + 1
INT64_MAX = 2**63 - 1
_COMPARE = re.compile(r"(>=|<=|>|<)(.+)$", re.S)
_DATE = re.compile(r"\d{4}-\d\d-\d\d$")


class Glob(msgspec.Struct, frozen=True):
    """A whole-value, case-insensitive pattern; ``parts`` are the literals between ``*``."""

    parts: tuple[str, ...]
    _regex: re.Pattern[str] | None = None

    @classmethod
    def of(cls, parts: Iterable[str]) -> Glob:
        lowered = tuple(p.lower() for p in parts)
        if len(lowered) == 1:
            return cls(lowered)
        source = ".*".join(re.escape(p) for p in lowered)
        return cls(lowered, re.compile(source, re.S))

    @property
    def exact(self) -> str | None:
        """The value itself when there is no wildcard."""
        return self.parts[0] if self._regex is None else None

    def __call__(self, value: str) -> bool:
        if self._regex is None:
            return value.lower() == self.parts[0]
        return self._regex.fullmatch(value.lower()) is not None

    def __str__(self) -> str:
        return "*".join(self.parts)


class AnyOf:
    """Does a text value match any of several globs? (exact ones via one set lookup)."""

    def __init__(self, globs: Iterable[Glob]) -> None:
        self.globs = tuple(globs)
        self.key = tuple(g.parts for g in self.globs)
        self._exact = {g.exact for g in self.globs if g.exact is not None}
        self._patterns = [g for g in self.globs if g.exact is None]

    def __call__(self, value: str) -> bool:
        lowered = value.lower()
        if lowered in self._exact:
            return True
        return any(g(lowered) for g in self._patterns)

    def mask_of(self, values: Sequence[str]) -> np.ndarray:
        """Which of ``values`` match, as booleans: the same answers as calling this on each,
        found with C-level string tests over the whole list (hundreds of thousands of URIs
        in tens of milliseconds).

        A glob's literal parts are looked for with ``startswith``/``in``/``endswith`` mapped
        over the lowered values; only a value holding every part of a glob with several
        wildcards is then checked in full.
        """
        lowered = list(map(str.lower, values))
        if self._exact:
            mask = np.fromiter(map(self._exact.__contains__, lowered), np.bool_, len(lowered))
        else:
            mask = np.zeros(len(lowered), np.bool_)
        for glob in self._patterns:
            mask |= _glob_mask(glob, lowered)
        return mask


def _glob_mask(glob: Glob, lowered: list[str]) -> np.ndarray:
    """Which lowered values ``glob`` (with at least one wildcard) matches."""
    count = len(lowered)
    first, *middle, last = glob.parts
    mask = np.ones(count, np.bool_)
    tests = [(str.startswith, first), (str.endswith, last)]
    tests += [(operator.contains, part) for part in middle]
    for test, part in tests:
        if part:
            mask &= np.fromiter(map(test, lowered, repeat(part)), np.bool_, count)
    if len(glob.parts) == 2 and first and last:  # a*b: the two may not overlap
        lengths = np.fromiter(map(len, lowered), np.int64, count)
        mask &= lengths >= len(first) + len(last)
    elif sum(1 for part in glob.parts if part) > 1:
        # Holding every part is not enough when they could overlap or come out of order.
        for index in np.flatnonzero(mask).tolist():
            mask[index] = glob(lowered[index])
    return mask


class Range(msgspec.Struct, frozen=True):
    """An inclusive integer range (status codes, latencies in µs)."""

    low: int
    high: int


class TimeValue(msgspec.Struct, frozen=True):
    """An absolute time (epoch µs), or a duration before the newest event in the store."""

    micros: int
    relative: bool


class ResourceValue(msgspec.Struct, frozen=True):
    """``pods`` (any subresource or none), ``pods/exec``, ``pods/*`` (any subresource)."""

    resource: Glob
    sub: Glob | None
    """None: no constraint on the subresource."""

    def sub_matches(self, sub: str) -> bool:
        if self.sub is None:
            return True
        if self.sub.exact == "":
            return sub == ""
        return sub != "" and self.sub(sub)


class NetworkValue(msgspec.Struct, frozen=True):
    """A CIDR block such as ``10.0.0.0/8`` for the ``ip`` field."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def __call__(self, value: str) -> bool:
        try:
            return ipaddress.ip_address(value.strip("[]")) in self.network
        except ValueError:
            return False


def parse_glob(value: RawValue) -> Glob:
    return Glob.of(value.parts)


def parse_resource(value: RawValue) -> ResourceValue:
    joined = "\x00".join(value.parts)  # keep wildcard boundaries while splitting on '/'
    if joined.count("/") > 1:
        raise ValueError("expected a resource, resource/subresource or resource/*")
    resource, slash, sub = joined.partition("/")
    if slash and not resource:
        raise ValueError("expected a resource name before '/'")
    resource_glob = Glob.of(resource.split("\x00"))
    return ResourceValue(resource_glob, Glob.of(sub.split("\x00")) if slash else None)


def parse_code(value: RawValue) -> Range:
    text = value.text.strip().lower()
    expected = "expected a status code like 403, a class like 4xx, >=400, <300 or none"
    if text in ("none", "0"):
        return Range(0, 0)
    if re.fullmatch(r"[1-9]xx", text):
        base = int(text[0]) * 100
        return Range(base, base + 99)
    if text.isdigit() and len(text) <= 3:
        return Range(int(text), int(text))
    match = _COMPARE.match(text)
    if match is None or not match.group(2).isdigit() or len(match.group(2)) > 3:
        raise ValueError(expected)
    low, high = _compare_range(match.group(1), int(match.group(2)))
    return Range(max(low, 1), min(high, 999))  # comparisons never match "no code"


def parse_latency(value: RawValue) -> Range:
    match = _COMPARE.match(value.text.strip().lower())
    micros = parse_duration(match.group(2)) if match else None
    if match is None or micros is None:
        raise ValueError("expected a comparison with a duration, like >500ms or <=2s")
    low, high = _compare_range(match.group(1), micros)
    return Range(low, high)


def _compare_range(op: str, number: int) -> tuple[int, int]:
    return {
        ">": (number + 1, INT64_MAX),
        ">=": (number, INT64_MAX),
        "<": (INT64_MIN, number - 1),
        "<=": (INT64_MIN, number),
    }[op]


def parse_time_value(value: RawValue) -> TimeValue:
    text = value.text.strip()
    duration = parse_duration(text)
    if duration is not None:
        return TimeValue(duration, relative=True)
    micros = parse_time(text + "T00:00:00Z" if _DATE.match(text) else text)
    if micros == NO_TIME or value.has_wildcard:
        raise ValueError(
            "expected an RFC 3339 time like 2026-11-26T10:00:00Z, a date, or a duration like 15m"
        )
    return TimeValue(micros, relative=False)


def parse_ip(value: RawValue) -> Glob | NetworkValue:
    text = value.text.strip()
    if "/" in text and not value.has_wildcard:
        try:
            return NetworkValue(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(
                "expected an address, a pattern like 10.0.*, or a CIDR block"
            ) from None
    return Glob.of(value.parts)
