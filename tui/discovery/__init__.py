"""Zero-config discovery: where the kube-apiserver on this node writes its audit log.

Pure Python (no textual or rich): used by the CLI before the UI starts, and by ``--where``.
``discover`` is imported on first use: the search code and its YAML parser cost start-up time
that a run naming its files never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaudit_tui.discovery.model import Discovery, DiscoveryError

if TYPE_CHECKING:
    from kaudit_tui.discovery.search import discover

__all__ = ["Discovery", "DiscoveryError", "discover"]


def __getattr__(name: str) -> Any:
    if name == "discover":
        from kaudit_tui.discovery.search import discover

        return discover
    raise AttributeError(name)
