"""Settings and fixtures for the hostile-input suite.

Hypothesis runs modest example counts with no per-example deadline.

The machine running the whole suite is small and shared, so a deadline would only make slow
examples flaky. ``HYPOTHESIS_PROFILE=hostile-deep`` runs many more examples when hunting bugs.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("hostile", max_examples=60, deadline=None, suppress_health_check=_QUIET)
settings.register_profile(
    "hostile-deep", max_examples=3000, deadline=None, suppress_health_check=_QUIET
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount small tmpfs file systems (a full disk on demand); skipped where mount is denied."""
    mounted: list[Path] = []

    def mount(size: str = "64k", *, read_only: bool = False) -> Path:
        point = tmp_path / f"tmpfs{len(mounted)}"
        point.mkdir()
        options = f"size={size},mode=0777" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every user may enter (pytest's tmp_path is private to its owner), for tests
    that run kaudit-tui as an unprivileged user."""
    with tempfile.TemporaryDirectory(prefix="kaudit-tui-hostile-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path
