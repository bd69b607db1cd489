"""Find the rotated backups of an audit log, named the way kube-apiserver's rotation names them.

``<dir>/<prefix><ext>`` is rotated to ``<dir>/<prefix>-<UTC time><ext>`` and maybe
compressed to ``...<ext>.gz`` later; while compression runs both files can exist and the
``.gz`` may be partial, so the plain file wins.
"""

from __future__ import annotations

import os
import re

_STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}"


def split_name(base: str) -> tuple[str, str]:
    """Split a file name into prefix and extension as Go's ``filepath.Ext`` does."""
    dot = base.rfind(".")
    return (base, "") if dot < 0 else (base[:dot], base[dot:])


def rotated_set(active: str) -> list[str]:
    """Return the backups of ``active``, oldest first, then ``active`` itself if present.

    Raises:
        OSError: the directory cannot be listed (PermissionError when not allowed).
    """
    directory, base = os.path.split(active)
    prefix, ext = split_name(base)
    pattern = re.compile(re.escape(prefix) + "-(" + _STAMP + ")" + re.escape(ext) + r"(\.gz)?")
    chosen: dict[str, str] = {}
    for name in os.listdir(directory or "."):
        match = pattern.fullmatch(name)
        if match is None:
            continue
        stamp, gz = match.group(1), match.group(2)
        if stamp not in chosen or not gz:
            chosen[stamp] = name
    paths = [os.path.join(directory, chosen[s]) for s in sorted(chosen)]
    if os.path.exists(active):
        paths.append(active)
    return paths
