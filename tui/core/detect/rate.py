"""Rate windows: kaudit-tui's own rule key ``kaudit_rate``, for bursts Falco cannot express.

A rule with ``kaudit_rate: {count: N, window: 60s, by: ka.user.name}`` fires when N events that
match its condition, of the same group (the values of the ``by`` fields; without ``by``, one
group), fall within the window. Events are taken in log order, at their time as the index holds
it (the stage time the table shows); an event without a time does not count. The event whose
arrival makes N within ``(t - window, t]`` fires; the group is then quiet until ``t + window``
(events meanwhile still count), so a long burst gives one alert per window, not one per event.
A log whose times go back is read as if each event of a group came no earlier than the one
before it in that group.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

from .fields import FieldError, FieldRef, lookup_field

__all__ = ["KEY", "RateError", "RateState", "RateWindow", "parse_rate"]

KEY = "kaudit_rate"
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*")
_UNITS = {"ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
_MAX_GROUPS = 100_000
"""Groups kept at once; the quietest half is dropped beyond it (memory stays bounded)."""


class RateError(ValueError):
    """A ``kaudit_rate`` value that is not ``{count: N, window: DURATION, by: FIELDS}``."""


@dataclass(frozen=True)
class RateWindow:
    count: int
    window_us: int
    by: tuple[FieldRef, ...]

    def describe(self) -> str:
        by = f" by {', '.join(ref.text for ref in self.by)}" if self.by else ""
        return f"{self.count} events within {self.window_us / 1e6:g}s{by}"


def parse_rate(value: object) -> RateWindow:
    """The window of a ``kaudit_rate`` value as the rules loader reads it (strings)."""
    if not isinstance(value, dict):
        raise RateError(f"{KEY} must be a mapping: {{count: N, window: 60s, by: FIELD}}")
    unknown = sorted(set(value) - {"count", "window", "by"})
    if unknown:
        raise RateError(f"{KEY}: unknown key {unknown[0]!r} (count, window, by)")
    count_text = value.get("count")
    if not isinstance(count_text, str) or not count_text.strip().isdigit():
        raise RateError(f"{KEY}: count must be a whole number of events, not {count_text!r}")
    count = int(count_text)
    if count < 1:
        raise RateError(f"{KEY}: count must be at least 1")
    window_text = value.get("window")
    found = _DURATION.fullmatch(window_text) if isinstance(window_text, str) else None
    if found is None:
        raise RateError(f"{KEY}: window must be a duration such as 60s, 5m or 1h")
    window_us = int(float(found.group(1)) * _UNITS[found.group(2) or "s"])
    if window_us <= 0:
        raise RateError(f"{KEY}: window must be longer than zero")
    by_value = value.get("by") or []
    names = [by_value] if isinstance(by_value, str) else by_value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RateError(f"{KEY}: by must be a field or a list of fields")
    refs = []
    for name in names:
        field_name, arg = name, None
        if name.endswith("]") and "[" in name:
            field_name, _, arg = name[:-1].partition("[")
        try:
            refs.append(lookup_field(field_name, arg))
        except FieldError as error:
            raise RateError(f"{KEY}: {error}") from None
    return RateWindow(count, window_us, tuple(refs))


@dataclass
class _Group:
    times: deque[int]
    quiet_until: int = -(2**63)


@dataclass
class RateState:
    """The groups of one rate rule, carried from batch to batch (see module docstring)."""

    rate: RateWindow
    groups: dict[Hashable, _Group] = field(default_factory=dict)

    def fires(self, group: Hashable, time_us: int | None) -> bool:
        """Count one matching event of ``group`` at ``time_us``; whether it fires the rule."""
        if time_us is None:
            return False
        state = self.groups.get(group)
        if state is None:
            if len(self.groups) >= _MAX_GROUPS:
                self._shrink()
            state = self.groups[group] = _Group(deque(maxlen=self.rate.count))
        times = state.times
        if times and time_us < times[-1]:
            time_us = times[-1]
        times.append(time_us)
        if len(times) < self.rate.count or times[0] <= time_us - self.rate.window_us:
            return False
        if time_us < state.quiet_until:
            return False
        state.quiet_until = time_us + self.rate.window_us
        return True

    def _shrink(self) -> None:
        by_last = sorted(self.groups, key=lambda key: self.groups[key].times[-1])
        for key in by_last[: len(by_last) // 2]:
            del self.groups[key]
