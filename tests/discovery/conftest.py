"""Fixtures for discovery tests: copies of the node filesystems in tests/data/nodes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .discovery_nodes import NODES


@pytest.fixture
def node(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a node from tests/data/nodes into a temporary root and return that root."""

    def copy(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(NODES / name, root)
        return root

    return copy
