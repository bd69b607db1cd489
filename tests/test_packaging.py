"""What ``pip install .`` ships: every package of the source tree and the files it reads.

An editable install finds any module under ``tui/``; a wheel holds only the packages that
pyproject.toml lists, so a package left out there works in development and breaks for users.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def package_name(folder: Path) -> str:
    for name, base in sorted(SETUP["package-dir"].items(), key=lambda item: -len(item[1])):
        base_path = ROOT / base
        if folder == base_path or base_path in folder.parents:
            rest = folder.relative_to(base_path).parts
            return ".".join([name, *rest])
    raise AssertionError(f"{folder} is outside every package-dir")


def test_every_package_in_the_tree_is_listed() -> None:
    folders = [path.parent for path in (ROOT / "tui").rglob("__init__.py")]
    folders.append(ROOT / "themes")
    in_tree = {package_name(folder) for folder in folders}
    assert in_tree - set(SETUP["packages"]) == set()
    assert set(SETUP["packages"]) - in_tree == set()


def test_every_data_file_the_program_reads_is_listed() -> None:
    patterns = SETUP["package-data"]
    shipped = {
        path
        for package, globs in patterns.items()
        for glob in globs
        for path in (ROOT / _folder(package)).glob(glob)
    }
    needed = {*(ROOT / "tui").rglob("*.tcss"), *(ROOT / "themes").glob("*.toml")}
    needed |= {*(ROOT / "tui" / "demo").glob("*.jsonl"), *(ROOT / "tui" / "demo").glob("*.yaml")}
    assert needed - shipped == set()


def _folder(package: str) -> Path:
    """The folder of ``package`` under the longest package-dir entry that holds it."""
    for name, base in sorted(SETUP["package-dir"].items(), key=lambda item: -len(item[0])):
        if package == name or package.startswith(name + "."):
            return Path(base, *package.split(".")[len(name.split(".")) :])
    raise AssertionError(package)
