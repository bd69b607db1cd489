"""The webhook receiver's spec, ``listen:ADDR``, recognised without importing the receiver.

The receiver brings TLS, HTTP parsing and their imports; a run that reads files should not
pay for them at start-up.
"""

from __future__ import annotations

from .protocol import Source
from .registry import OpenOptions


def is_listen(spec: str) -> bool:
    """Whether ``spec`` is ``listen:ADDR`` (webhook.SPEC_PREFIX, spelt out: not imported)."""
    return spec.startswith("listen:")


def open_listen(spec: str, options: OpenOptions) -> Source:
    """Bind the receiver (see :func:`.webhook.open_webhook`)."""
    from .webhook import open_webhook

    return open_webhook(spec, options)
