"""Headless output: one ``--explain`` record per event and the ``--policy-report`` table.

Pure functions and a small accumulator, so the command line only loops and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .cost import line_level, would_write_bytes
from .evaluate import Decision
from .loader import LoadedPolicy
from .model import LEVEL_RANK, Policy

__all__ = ["REPORT_HEADERS", "PolicyReport", "explain_record", "format_bytes", "report_cells"]

REPORT_HEADERS = ("rule", "line", "level", "events", "share", "logged", "would write")
"""The columns of ``--policy-report`` and of the UI's rules screen, in this order."""


def explain_record(
    decision: Decision,
    audit_id: str | None,
    stage: str | None,
    *,
    verb: str | None = None,
    user: str | None = None,
    resource: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
    code: int | None = None,
) -> dict[str, Any]:
    """The ``--explain`` JSON object for one event, with exactly the documented keys.

    The decision's keys come first; then what the request was, so a record can be read (and
    filtered with ``jq``) on its own: ``user`` is the authenticated user, ``resource`` the
    ``resource/subresource`` label of ``--stats``, ``code`` the status code. Each of these is
    null when the event has none (an empty value counts as none).
    """
    return {
        "auditID": audit_id,
        "stage": stage,
        "rule": decision.rule,
        "level": decision.level,
        "omitStages": sorted(decision.omit_stages),
        "omitManagedFields": decision.omit_managed_fields,
        "logged": decision.logged(stage) if stage is not None else decision.level != "None",
        "verb": verb or None,
        "user": user or None,
        "resource": resource or None,
        "namespace": namespace or None,
        "name": name or None,
        "code": code or None,
    }


def format_bytes(count: int) -> str:
    """Human-readable size with binary units (``1.5 MiB``)."""
    if count < 1024:
        return f"{count} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def report_cells(
    rule: int | None,
    line: int,
    level: str,
    events: int,
    all_events: int,
    logged: int,
    would_write: int | None,
) -> tuple[str, ...]:
    """One row of :data:`REPORT_HEADERS` as text (``would_write`` None: not known yet)."""
    return (
        str(rule) if rule is not None else "no rule",
        str(line) if line else "",
        level if rule is not None else "None (default)",
        f"{events:,}",
        f"{100 * events / all_events:.1f}%" if all_events else "-",
        format_bytes(logged),
        format_bytes(would_write) if would_write is not None else "…",
    )


@dataclass
class _Row:
    rule: int | None
    level: str
    line: int = 0
    events: int = 0
    bytes_logged: int = 0
    bytes_would_write: int = 0


class PolicyReport:
    """Per-rule totals for ``--policy-report``: events hit, bytes logged, bytes it would write.

    Every rule has a row, even one no event reached (a dead rule is worth seeing), plus a
    row for requests no rule matched.
    """

    def __init__(self, policy: Policy | LoadedPolicy) -> None:
        if isinstance(policy, LoadedPolicy):
            policy = policy.policy
        self._rows = [_Row(i + 1, rule.level, rule.line) for i, rule in enumerate(policy.rules)]
        self._no_rule = _Row(None, "None")
        self.raised_level_events = 0
        """Events this policy would log at a higher level than the log did (bodies unknown)."""

    def add(
        self,
        decision: Decision,
        bytes_logged: int,
        bytes_would_write: int,
        *,
        logged_level: str | None = None,
    ) -> None:
        """Count one event. ``logged_level`` (the event's level) is only used for a note."""
        row = self._no_rule if decision.rule is None else self._rows[decision.rule - 1]
        row.events += 1
        row.bytes_logged += bytes_logged
        row.bytes_would_write += bytes_would_write
        if (
            logged_level is not None
            and bytes_would_write
            and LEVEL_RANK.get(decision.level, 0) > LEVEL_RANK.get(logged_level, 0)
        ):
            self.raised_level_events += 1

    def add_event(self, decision: Decision, stage: str, line: bytes) -> None:
        """Count one event from its raw JSON line (the trailing newline is not counted)."""
        logged = len(line.rstrip(b"\r\n"))
        would = would_write_bytes(decision, stage, line)
        self.add(decision, logged, would, logged_level=line_level(line))

    def _all_rows(self) -> list[_Row]:
        return [*self._rows, self._no_rule]

    def totals(self) -> tuple[int, int, int]:
        """(events, bytes logged, bytes the policy would write) over every row."""
        rows = self._all_rows()
        return (
            sum(r.events for r in rows),
            sum(r.bytes_logged for r in rows),
            sum(r.bytes_would_write for r in rows),
        )

    def cells(self, row: _Row, all_events: int) -> tuple[str, ...]:
        return report_cells(
            row.rule, row.line, row.level, row.events, all_events,
            row.bytes_logged, row.bytes_would_write,
        )  # fmt: skip

    def rows_as_cells(self) -> list[tuple[str, ...]]:
        """Every row (the rules, then "no rule") as :data:`REPORT_HEADERS` text."""
        events = self.totals()[0]
        return [self.cells(row, events) for row in self._all_rows()]

    def to_json(self) -> dict[str, Any]:
        """``{"rules": [...], "total": {...}}`` with the documented keys."""
        events, logged, would = self.totals()
        return {
            "rules": [
                {
                    "rule": row.rule,
                    "level": row.level,
                    "events": row.events,
                    "bytesLogged": row.bytes_logged,
                    "bytesWouldWrite": row.bytes_would_write,
                }
                for row in self._all_rows()
            ],
            "total": {"events": events, "bytesLogged": logged, "bytesWouldWrite": would},
        }

    def to_text(self) -> str:
        """A fixed-width table with a totals line, for terminals and mail."""
        events, logged, would = self.totals()
        body = [self.cells(row, events) for row in self._all_rows()]
        total = ("total", "", "", f"{events:,}", "100.0%" if events else "-")
        total += (format_bytes(logged), format_bytes(would))
        widths = [max(len(r[i]) for r in [REPORT_HEADERS, *body, total]) for i in range(7)]

        def line(cells: tuple[str, ...]) -> str:
            rule, number, level, *numbers = cells
            left = f"{rule:>{widths[0]}}  {number:>{widths[1]}}  {level:<{widths[2]}}"
            right = "  ".join(f"{c:>{w}}" for c, w in zip(numbers, widths[3:], strict=True))
            return f"{left}  {right}"

        header = line(REPORT_HEADERS)
        lines = [header, "-" * len(header), *map(line, body), "-" * len(header), line(total)]
        if logged:
            lines.append(
                f"This policy would write {100 * would / logged:.1f}% of the bytes logged."
            )
        if self.raised_level_events:
            lines.append(
                f"{self.raised_level_events} events would be logged at a higher level than the "
                "log holds; their bodies are not in the log, so 'would write' is a lower bound."
            )
        return "\n".join(lines)
