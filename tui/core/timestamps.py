"""Audit timestamps as integers: epoch microseconds, parsed fast.

kube-apiserver writes "micro times" (``2026-11-26T10:00:00.123456Z``); most events of a log share
the same second prefix, so the seconds part is cached and only the fraction is parsed per event.
Older events and fixtures use other RFC 3339 forms (``Z`` or ``±hh:mm``, 0–9 fraction digits, a
space instead of ``T``); those take the slower general path.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Generic, NamedTuple, TypeVar

NO_TIME = -(2**63)
"""Column value for "no timestamp"."""

T = TypeVar("T")


class EventTimes(NamedTuple, Generic[T]):
    """The times an audit event can carry (as text, parsed, or a column of either)."""

    stage: T
    """``stageTimestamp``: when the event's stage was reached (v1, v1beta1)."""
    created: T
    """``metadata.creationTimestamp``: v1beta1's stage time before stageTimestamp existed."""
    received: T
    """``requestReceivedTimestamp``: when the request arrived (v1, v1beta1)."""
    logged: T
    """``timestamp``: v1alpha1's only time."""


TIME_KEYS = EventTimes(
    stage="stageTimestamp",
    created="creationTimestamp",
    received="requestReceivedTimestamp",
    logged="timestamp",
)
"""The JSON key of each time (``creationTimestamp`` sits inside ``metadata``)."""
STAGE_ORDER = ("stage", "created", "received", "logged")
"""Where an event's stage time (the time it is sorted and filtered by) is taken from: the first
of these it has (absent or unparseable times do not count)."""
RECEIVED_ORDER = ("received", "logged", "stage", "created")
"""Where its request-received time is taken from: its own, else the stage time."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_second_cache: dict[str, int] = {}
_GENERAL = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*(Z|z|[+-]\d\d:?\d\d|UTC)?$"
)


def _seconds_of(prefix: str) -> int:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SS`` (UTC), cached."""
    seconds = _second_cache.get(prefix)
    if seconds is None:
        dt = datetime.fromisoformat(prefix).replace(tzinfo=UTC)
        seconds = int((dt - _EPOCH).total_seconds())
        if len(_second_cache) > 100_000:
            _second_cache.clear()
        _second_cache[prefix] = seconds
    return seconds


def parse_time(text: object) -> int:
    """Epoch microseconds of an audit timestamp, or ``NO_TIME`` when absent or unparseable."""
    if type(text) is not str:
        return NO_TIME
    if len(text) == 27 and text[26] == "Z" and text[19] == "." and text[10] == "T":
        try:
            return _seconds_of(text[:19]) * 1_000_000 + int(text[20:26])
        except ValueError:
            return NO_TIME
    return _parse_general(text)


def _parse_general(text: str) -> int:
    match = _GENERAL.match(text.strip())
    if match is None:
        return NO_TIME
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return NO_TIME
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    offset = 0
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * 60
        if zone[0] == "-":
            offset = -offset
    seconds = int((dt.replace(tzinfo=UTC) - _EPOCH) / timedelta(seconds=1)) - offset
    return seconds * 1_000_000 + micros


_STAGE_AT = tuple(EventTimes._fields.index(field) for field in STAGE_ORDER)
_RECEIVED_AT = tuple(EventTimes._fields.index(field) for field in RECEIVED_ORDER)


def event_times(times: tuple) -> tuple[int, int]:
    """(stage time, received time) of one event in epoch microseconds, following
    ``STAGE_ORDER`` and ``RECEIVED_ORDER`` (``NO_TIME`` when it has no time at all).

    ``times`` is an :class:`EventTimes` of the event's values, or a plain tuple in its order
    (cheaper to build once per event).
    """
    parsed = [parse_time(value) for value in times]
    stage = received = NO_TIME
    for index in _STAGE_AT:
        if parsed[index] != NO_TIME:
            stage = parsed[index]
            break
    for index in _RECEIVED_AT:
        if parsed[index] != NO_TIME:
            received = parsed[index]
            break
    return stage, received


def format_time(micros: int, *, digits: int = 6) -> str:
    """RFC 3339 UTC text of epoch microseconds (``digits`` fraction digits, 0–6)."""
    if micros == NO_TIME:
        return ""
    dt = _EPOCH + micros * _MICRO
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{dt.microsecond:06d}"[:digits]
    return text + "Z"


_KEY_TIMES = {
    field: re.compile(rb'"' + getattr(TIME_KEYS, field).encode() + rb'"\s*:\s*"([^"]+)"')
    for field in STAGE_ORDER
}
_PREFIX_TS = re.compile(rb"^(?:\[[^\]]*\] )?(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)) ")


def line_time(line: bytes) -> int | None:
    """When the event on ``line`` was written, without decoding the JSON (for merging files).

    Uses the event's stage time (see ``STAGE_ORDER``: stageTimestamp, then older fallbacks),
    then a ``kubectl logs --timestamps`` prefix or a legacy line's leading time.
    """
    for pattern in _KEY_TIMES.values():
        match = pattern.search(line)
        if match is not None:
            micros = parse_time(match.group(1).decode("ascii", "replace"))
            if micros != NO_TIME:
                return micros
    match = _PREFIX_TS.match(line)
    if match is not None:
        micros = parse_time(match.group(1).decode("ascii"))
        if micros != NO_TIME:
            return micros
    return None


def parse_duration(text: str) -> int | None:
    """Microseconds of ``500ms``, ``2s``, ``15m``, ``2h``, ``1d``, ``100us``; None if invalid."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h|d)\s*", text)
    if match is None:
        return None
    value, unit = float(match.group(1)), match.group(2)
    scale = {"us": 1, "µs": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000}.get(unit)
    if scale is None:
        scale = {"h": 3_600_000_000, "d": 86_400_000_000}[unit]
    return int(value * scale)
