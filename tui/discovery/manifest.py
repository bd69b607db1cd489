"""Static pod manifests: the apiserver container's command line and its hostPath volumes.

The paths in the apiserver's flags are paths inside the container. The node path is found
by following the volumeMount that holds the path to its hostPath volume.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kaudit_tui.discovery.flags import apiserver_argv
from kaudit_tui.discovery.node import load_yaml_all

_VERSION = re.compile(r":v(\d+)\.(\d+)")


class ManifestError(Exception):
    """The file is not a pod manifest with an apiserver container (message says why)."""


@dataclass(frozen=True)
class Mount:
    """One volumeMount of the container, joined with its volume."""

    mount_path: str
    host_path: str | None
    """The hostPath volume's path, or None for other volume kinds."""
    sub_path: str = ""
    volume_kind: str = "hostPath"


@dataclass
class ApiserverPod:
    """What discovery needs from a static pod manifest."""

    argv: list[str]
    mounts: list[Mount] = field(default_factory=list)
    pod_name: str = "kube-apiserver"
    namespace: str = "kube-system"
    container: str = "kube-apiserver"
    version: tuple[int, int] | None = None
    """Kubernetes minor version from the image tag, when the tag says it."""

    def node_path(self, path: str) -> str | None:
        """Map an in-container path to the node path; None if no hostPath holds it."""
        path = posixpath.normpath(posixpath.join("/", path))
        best: Mount | None = None
        for mount in self.mounts:
            if _within(path, mount.mount_path) and (
                best is None or len(mount.mount_path) > len(best.mount_path)
            ):
                best = mount
        if best is None or best.host_path is None:
            return None
        rest = posixpath.relpath(path, best.mount_path)
        parts = [best.host_path, best.sub_path, "" if rest == "." else rest]
        return posixpath.normpath(posixpath.join("/", *[p for p in parts if p]))

    def volume_kind(self, path: str) -> str | None:
        """The kind of volume (``emptyDir``...) that holds ``path``, if any."""
        path = posixpath.normpath(posixpath.join("/", path))
        held = [m for m in self.mounts if _within(path, m.mount_path)]
        return max(held, key=lambda m: len(m.mount_path)).volume_kind if held else None


def _within(path: str, mount_path: str) -> bool:
    return mount_path == "/" or path == mount_path or path.startswith(mount_path + "/")


def load_manifest(text: str) -> ApiserverPod:
    """Parse a static pod manifest and pick its kube-apiserver container.

    Raises:
        ManifestError: not YAML, not a pod, or no container runs kube-apiserver.
    """
    try:
        docs = [d for d in load_yaml_all(text) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        raise ManifestError(f"not valid YAML ({_first_line(exc)})") from None
    for doc in docs:
        pod = _pod_from(doc)
        if pod is not None:
            return pod
    raise ManifestError("no container in it runs kube-apiserver")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _pod_from(doc: dict[str, Any]) -> ApiserverPod | None:
    spec = doc.get("spec")
    if doc.get("kind", "Pod") != "Pod" or not isinstance(spec, dict):
        return None
    containers = [c for c in _list(spec.get("containers")) if isinstance(c, dict)]
    for container in containers:
        words = [str(w) for w in _list(container.get("command")) + _list(container.get("args"))]
        argv = apiserver_argv(words)
        if argv is None:
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        return ApiserverPod(
            argv=argv,
            mounts=_mounts(container, spec),
            pod_name=str(meta.get("name") or "kube-apiserver"),
            namespace=str(meta.get("namespace") or "kube-system"),
            container=str(container.get("name") or "kube-apiserver"),
            version=_version(str(container.get("image") or "")),
        )
    return None


def _mounts(container: dict[str, Any], spec: dict[str, Any]) -> list[Mount]:
    volumes = {str(v.get("name")): v for v in _list(spec.get("volumes")) if isinstance(v, dict)}
    mounts = []
    for m in _list(container.get("volumeMounts")):
        if not isinstance(m, dict) or not m.get("mountPath"):
            continue
        volume = volumes.get(str(m.get("name")), {})
        host = volume.get("hostPath")
        kind = next((k for k in volume if k != "name"), "missing")
        mounts.append(
            Mount(
                mount_path=posixpath.normpath(posixpath.join("/", str(m["mountPath"]))),
                host_path=str(host["path"]) if isinstance(host, dict) and "path" in host else None,
                sub_path=str(m.get("subPath") or ""),
                volume_kind=str(kind),
            )
        )
    return mounts


def _version(image: str) -> tuple[int, int] | None:
    found = _VERSION.search(image)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
