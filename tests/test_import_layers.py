"""Which part may import which, read from the source (lazy imports inside functions too).

sources import no UI, view, pipeline or entry point; core imports none of those nor sources;
view imports no terminal library; the pipeline imports only sources and core; the entry points
(cli, usage, headless, the pipeline) import one another without cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui"
ENTRY = {"cli", "usage", "headless", "pipeline", "__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["kaudit_tui", *parts])


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, anywhere in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
    return found


MODULES = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


def part(module: str) -> str:
    """``core``, ``sources``, ``cli``, ``textual``... for a module name."""
    pieces = module.split(".")
    if pieces[0] != "kaudit_tui":
        return pieces[0]
    return pieces[1] if len(pieces) > 1 else "kaudit_tui"


FORBIDDEN = {
    "sources": {"ui", "view", "pipeline", "headless", "cli", "usage", "discovery", "demo",
                "textual", "rich"},
    "core": {"sources", "ui", "view", "pipeline", "headless", "cli", "usage", "discovery",
             "demo", "textual", "rich"},
    "view": {"ui", "headless", "cli", "textual", "rich"},
    "pipeline": {"ui", "view", "headless", "cli", "usage", "discovery", "textual", "rich"},
    "headless": {"ui", "view", "cli", "textual", "rich"},
}  # fmt: skip


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_what_they_may(layer: str) -> None:
    wrong = {
        (module, imported)
        for module, found in MODULES.items()
        if part(module) == layer
        for imported in found
        if part(imported) in FORBIDDEN[layer]
    }
    assert not wrong, sorted(wrong)


def test_no_import_cycles_between_entry_points() -> None:
    graph: dict[str, set[str]] = {name: set() for name in ENTRY}
    for module, found in MODULES.items():
        if part(module) in ENTRY:
            graph[part(module)].update(part(i) for i in found if part(i) in ENTRY)
    for start in ENTRY:
        seen, todo = set(), [t for t in graph[start] if t != start]
        while todo:
            node = todo.pop()
            assert node != start, f"import cycle through {start}: {graph}"
            if node not in seen:
                seen.add(node)
                todo.extend(t for t in graph[node] if t != node)
