"""Read the command line a systemd unit starts (``ExecStart=``), with its drop-ins.

Hand-made installs run kube-apiserver from a unit; k3s and RKE2 install one too. Older
packages put the flags in an ``EnvironmentFile`` and write ``$KUBE_API_ARGS`` in the unit.
"""

from __future__ import annotations

import glob
import os
import re
import shlex

from kaudit_tui.discovery.node import read_text, under

UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)
_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def find_unit(root: str, name: str) -> str | None:
    """Return the node path of unit ``name`` under ``root``, in systemd's search order."""
    for directory in UNIT_DIRS:
        if os.path.isfile(under(root, f"{directory}/{name}")):
            return f"{directory}/{name}"
    return None


def unit_argv(root: str, unit_path: str) -> list[str]:
    """Return the words of the unit's last ``ExecStart=``, environment expanded.

    Raises:
        OSError: the unit file cannot be read.
    """
    settings = _settings(_read(root, unit_path))
    for dropin in sorted(glob.glob(glob.escape(under(root, unit_path)) + ".d/*.conf")):
        settings.extend(_settings(read_text(dropin)))
    exec_start: str | None = None
    env: dict[str, str] = {}
    for key, value in settings:
        if key == "ExecStart":
            exec_start = value or None
        elif key == "Environment":
            env.update(_assignments(shlex.split(value)))
        elif key == "EnvironmentFile" and value:
            env.update(_env_file(root, value))
    return _expand(exec_start.lstrip("-@+!:"), env) if exec_start else []


def _settings(text: str) -> list[tuple[str, str]]:
    """``(key, value)`` pairs of the ``[Service]`` section, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    section = ""
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def _expand(command: str, env: dict[str, str]) -> list[str]:
    """Split like systemd: ``$VAR`` becomes several words, ``${VAR}`` one word."""
    try:
        split = shlex.split(command)
    except ValueError:
        split = command.split()
    words = []
    for word in split:
        whole = _VAR.fullmatch(word)
        if whole and whole.group(2):
            words.extend(env.get(whole.group(2), "").split())
        else:
            words.append(_VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), word))
    return words


def _env_file(root: str, value: str) -> dict[str, str]:
    path = value.lstrip("-")
    try:
        text = _read(root, path)
    except OSError:
        return {}
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        return _assignments(shlex.split("\n".join(lines), comments=True))
    except ValueError:
        return {}


def _assignments(words: list[str]) -> dict[str, str]:
    return dict(w.split("=", 1) for w in words if "=" in w)


def _read(root: str, node_path: str) -> str:
    return read_text(under(root, node_path))
