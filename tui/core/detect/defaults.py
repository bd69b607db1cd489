"""The built-in triage rules shipped with kaudit-tui, and loading them before the user's files.

``triage_rules.yaml`` (package data) is Falco's format in the project's own words: it loads
first, and the files of ``--rules`` load after it as Falco loads several ``-r`` files (they
append to or override its lists, macros and rules by name).
"""

from __future__ import annotations

from pathlib import Path

from .engine import Ruleset
from .rules import load_rules

__all__ = ["DEFAULT_RULES", "load_ruleset_files", "ruleset_paths"]

DEFAULT_RULES = Path(__file__).with_name("triage_rules.yaml")


def ruleset_paths(paths: list[str], *, default: bool = True) -> list[str]:
    """The files to load, in order: the built-in rules (unless ``default`` is False), then
    ``paths``."""
    return ([str(DEFAULT_RULES)] if default else []) + list(paths)


def load_ruleset_files(paths: list[str], *, default: bool = True) -> Ruleset:
    """The ruleset of the built-in rules and ``paths``; ``RulesError`` (file, line, rule) for
    a broken file, ``OSError`` for an unreadable one, ``UnicodeDecodeError`` for one that is
    not text."""
    return Ruleset(load_rules(ruleset_paths(paths, default=default)))
