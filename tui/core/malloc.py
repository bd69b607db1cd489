"""Large freed blocks go back to the system at once (glibc), so growing the index does not
leave its old arrays' memory behind.

glibc serves large allocations with ``mmap`` and returns them on ``free``, but by default it
raises that threshold to the size of each large block freed (up to 32 MiB). Indexing frees
large blocks all the time (a read batch, the columns it copies when it grows them), so after
the first ones every later block of that size comes from the heap instead, where freed
memory is rarely given back: with 1,000,000 events that was about 33 MB of resident memory
(15% of the process). Fixing the threshold keeps every block of 128 KiB or more mapped on
its own. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import sys

_M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter (malloc.h); setting it also turns the dynamic threshold off."""
THRESHOLD = 128 * 1024
"""glibc's own initial threshold."""
_done = False


def return_large_blocks() -> None:
    """Fix glibc's mmap threshold at :data:`THRESHOLD` (once per process; cheap after)."""
    global _done
    if _done:
        return
    _done = True
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt to speak of)
        pass
