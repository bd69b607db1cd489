"""Rotated backups, named the way kube-apiserver's log rotation names them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kaudit_tui.core.rotation import parse_backup
from kaudit_tui.discovery.rotation import rotated_set


def touch(directory: Path, *names: str) -> None:
    for name in names:
        (directory / name).write_text("x\n")


def listed(paths: list[str]) -> list[str]:
    return [os.path.basename(p) for p in paths]


@pytest.mark.parametrize(
    ("base", "active"),
    [
        ("audit-2026-01-01T00-00-00.000.log", "audit.log"),
        ("audit-2026-01-01T00-00-00.000", "audit"),
        ("kube.audit-2026-01-01T00-00-00.000.json", "kube.audit.json"),
        ("-2026-01-01T00-00-00.000.log", None),
    ],
)
def test_backup_names_split_like_go(base: str, active: str | None) -> None:
    parsed = parse_backup(base)
    assert (parsed[0] if parsed else None) == active


def test_backups_sorted_by_the_time_in_their_names(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "audit.log",
        "audit-2026-01-02T00-00-00.000.log",
        "audit-2025-12-31T23-59-59.999.log.gz",
        "audit-2026-01-01T12-00-00.000.log",
    )
    assert listed(rotated_set(str(tmp_path / "audit.log"))) == [
        "audit-2025-12-31T23-59-59.999.log.gz",
        "audit-2026-01-01T12-00-00.000.log",
        "audit-2026-01-02T00-00-00.000.log",
        "audit.log",
    ]


def test_plain_backup_wins_over_its_gzip_and_others_are_ignored(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "audit.log",
        "audit-2026-01-01T00-00-00.000.log",
        "audit-2026-01-01T00-00-00.000.log.gz",
        "audit.log.1",
        "audit-x.log",
        "other-2026-01-01T00-00-00.000.log",
        "audit-2026-01-01T00-00-00.000.json",
    )
    assert listed(rotated_set(str(tmp_path / "audit.log"))) == [
        "audit-2026-01-01T00-00-00.000.log",
        "audit.log",
    ]


def test_name_without_extension_and_missing_active_file(tmp_path: Path) -> None:
    touch(tmp_path, "audit-2026-01-01T00-00-00.000", "audit-2026-01-01T00-00-00.000.log")
    assert listed(rotated_set(str(tmp_path / "audit"))) == ["audit-2026-01-01T00-00-00.000"]


def test_regex_characters_in_the_name_are_literal(tmp_path: Path) -> None:
    touch(tmp_path, "a+b.log", "a+b-2026-01-01T00-00-00.000.log", "aab-2026-01-01T00-00-00.000.log")
    assert listed(rotated_set(str(tmp_path / "a+b.log"))) == [
        "a+b-2026-01-01T00-00-00.000.log",
        "a+b.log",
    ]
