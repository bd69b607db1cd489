"""Zero-config discovery: where the kube-apiserver on this node writes its audit log.

Pure Python (no textual or rich): used by the CLI before the UI starts, and by ``--where``.
"""

from kaudit_tui.discovery.discover import discover
from kaudit_tui.discovery.model import Discovery, DiscoveryError

__all__ = ["Discovery", "DiscoveryError", "discover"]
