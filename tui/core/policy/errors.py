"""Problems found while loading a policy: hard errors and warnings, each with a location.

Rule numbers and list positions in messages count from 1, as an operator counts entries
in a file; kube-apiserver's own messages count from 0 (``rules[13]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kaudit_tui.core.sanitize import sanitize

__all__ = ["PolicyError", "PolicyIssue"]


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One problem or warning: where it is and what is wrong.

    Attributes:
        file: the file name as given to the loader.
        line: 1-based line in the file, or None when it cannot be located.
        rule: 1-based rule number, or None for policy-level problems.
        field: the field inside the rule (or the policy), list positions 1-based, e.g.
            ``resources[2].group``; empty when the issue is about the whole file.
        message: what is wrong, and for warnings what it means for matching.
        rule_count: how many rules the policy has, for "rule 3 of 17".
    """

    file: str
    line: int | None
    rule: int | None
    field: str
    message: str
    rule_count: int | None = None

    def __str__(self) -> str:
        location = sanitize(self.file)
        if self.line is not None:
            location += f":{self.line}"
        context = []
        if self.rule is not None:
            total = f" of {self.rule_count}" if self.rule_count else ""
            context.append(f"rule {self.rule}{total}")
        if self.field:
            context.append(sanitize(self.field))
        message = sanitize(self.message)
        if context:
            return f"{location}: {', '.join(context)}: {message}"
        return f"{location}: {message}"


class PolicyError(Exception):
    """The policy cannot be loaded: kube-apiserver would refuse it (or it cannot be read)."""

    def __init__(self, problems: list[PolicyIssue]) -> None:
        if not problems:
            raise ValueError("PolicyError needs at least one problem")
        self.problems: tuple[PolicyIssue, ...] = tuple(problems)
        super().__init__(self._render())

    @property
    def file(self) -> str:
        """The file the first problem is in."""
        return self.problems[0].file

    @property
    def line(self) -> int | None:
        """The line of the first problem, for an editor to jump to."""
        return self.problems[0].line

    def _render(self) -> str:
        if len(self.problems) == 1:
            return f"invalid audit policy (positions count from 1): {self.problems[0]}"
        lines = [
            f"invalid audit policy {sanitize(self.file)}: {len(self.problems)} problems "
            "(rule and list positions count from 1)"
        ]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()
