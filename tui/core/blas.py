"""One BLAS thread: numpy's OpenBLAS starts a thread per core when it is imported.

kaudit-tui never multiplies matrices, so those threads do nothing but cost about a tenth of a
second of CPU at every start, taken from the indexing threads on a small node. A user's own
setting is kept.
"""

from __future__ import annotations

import os


def single_blas_thread() -> None:
    """Ask OpenBLAS for one thread; effective only before numpy is first imported."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
