"""Helpers for discovery tests: the stored node filesystems and small manifests."""

from __future__ import annotations

from pathlib import Path

NODES = Path(__file__).resolve().parent.parent / "data" / "nodes"


def write(root: Path, node_path: str, text: str) -> Path:
    """Create ``node_path`` (absolute, as on the node) under ``root`` with ``text``."""
    path = root / node_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def manifest(args: list[str], mounts: str = "", volumes: str = "", image: str = "") -> str:
    """A minimal kubeadm-style static pod manifest running kube-apiserver with ``args``."""
    command = "\n".join(f"    - {a!r}" for a in ["kube-apiserver", *args])
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n"
        "  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n"
        f"    image: {image or 'registry.k8s.io/kube-apiserver:v1.31.0'}\n"
        f"    command:\n{command}\n"
        + (f"    volumeMounts:\n{mounts}" if mounts else "    volumeMounts: []\n")
        + (f"  volumes:\n{volumes}" if volumes else "  volumes: []\n")
    )
