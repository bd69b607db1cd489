"""Fixtures for source tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every user can enter (pytest's tmp_path is private to its owner), for tests
    that drop privileges to check permission errors on the file itself."""
    with tempfile.TemporaryDirectory(prefix="kaudit-tui-test-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path
