"""What can be wrong in what the user asked for, shared by every entry point.

A usage error (bad option, bad query, bad policy) ends the program with exit code 2 and one
message; a source that cannot be read ends it with 1. The policy named on the command line is
loaded here so that the UI and the headless modes refuse a broken one with the same words.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kaudit_tui.core.detect import Ruleset
    from kaudit_tui.core.policy import LoadedPolicy

EXIT_OK = 0
EXIT_SOURCE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake on the command line (bad option, bad query, bad policy): exit code 2."""


def require_file(what: str, path: str) -> None:
    """A usage error in plain words (``policy PATH: no such file``) unless ``path`` exists."""
    try:
        os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except OSError as error:
        raise UsageError(f"{what} {path}: {(error.strerror or str(error)).lower()}") from None


def load_policy_file(path: str) -> LoadedPolicy:
    """The audit policy in ``path``; a missing or broken one is a usage error (exit 2)."""
    from kaudit_tui.core.policy import PolicyError, load_policy

    require_file("policy", path)
    try:
        return load_policy(path)
    except PolicyError as error:
        raise UsageError(f"bad policy: {error}") from None
    except OSError as error:
        raise UsageError(f"cannot read policy {path}: {error.strerror}") from None


def load_rules_files(paths: list[str], default: bool = True) -> Ruleset:
    """The built-in triage rules (unless ``default`` is False), then the detection rules of
    ``paths``; a missing or broken file, or no rules at all, is a usage error (exit 2)."""
    from kaudit_tui.core.alerts import RulesUnusable, read_ruleset

    if not default and not paths:
        raise UsageError("no rules: --no-default-rules needs --rules FILE")
    for path in paths:
        require_file("rules", path)
    try:
        return read_ruleset(paths, default)
    except RulesUnusable as error:
        raise UsageError(str(error)) from None
