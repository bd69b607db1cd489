"""Loading the rules named on the command line, shared by ``--alerts`` and the UI.

The built-in triage rules come first unless ``--no-default-rules``; a missing, unreadable or
broken file is a usage error (exit 2) whose message names the file, the line, the rule and the
problem. Callers that must not stop on a broken file (the UI reloading rules that changed)
use :func:`kaudit_tui.core.detect.defaults.load_ruleset_files`, which raises ``RulesError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaudit_tui.usage import UsageError, require_file

if TYPE_CHECKING:
    from kaudit_tui.core.detect import Ruleset

__all__ = ["load_ruleset"]


def load_ruleset(paths: list[str], default: bool = True) -> Ruleset:
    """The built-in rules (unless ``default`` is False) then the rules of ``paths``."""
    from kaudit_tui.core.detect import RulesError
    from kaudit_tui.core.detect.defaults import load_ruleset_files

    if not default and not paths:
        raise UsageError("no rules: --no-default-rules needs --rules FILE")
    for path in paths:
        require_file("rules", path)
    try:
        return load_ruleset_files(paths, default=default)
    except RulesError as error:
        raise UsageError(f"bad rules: {error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"bad rules: not UTF-8 text: {error.reason}") from None
    except OSError as error:
        raise UsageError(f"cannot read rules: {error.filename}: {error.strerror}") from None
