"""Paths of the node being inspected: ``/`` normally, or a copied filesystem (``--root``)."""

from __future__ import annotations

import os
import posixpath
from typing import Any


def under(root: str, node_path: str) -> str:
    """Return the real path of ``node_path`` on a node whose ``/`` is ``root``.

    ``..`` cannot climb out of ``root``: the node path is normalised as absolute first.
    """
    clean = posixpath.normpath(posixpath.join("/", node_path))
    if root in ("", "/"):
        return clean
    return os.path.join(root, clean.lstrip("/")).rstrip("/") or "/"


def read_text(path: str) -> str:
    """Read a small text file; undecodable bytes are replaced, never fatal.

    Raises:
        OSError: the file cannot be opened or read.
    """
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(1 << 20)


def _loader() -> type:
    """libyaml's safe loader when PyYAML has it (several times faster). PyYAML is imported on
    first use: it costs start-up time that a run naming its files never needs."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse one YAML document safely, with libyaml when PyYAML has it.

    Raises:
        yaml.YAMLError: the text is not valid YAML.
    """
    import yaml

    return yaml.load(text, Loader=_loader())  # noqa: S506 - a safe loader


def load_yaml_all(text: str) -> list[Any]:
    """Parse every document of a YAML stream, as ``load_yaml`` does."""
    import yaml

    return list(yaml.load_all(text, Loader=_loader()))  # noqa: S506 - a safe loader
