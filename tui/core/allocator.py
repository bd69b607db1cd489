"""How this process asks the C allocator for large buffers (glibc only).

Indexing reads its input in buffers of megabytes, in a few threads. By default glibc maps each
such buffer afresh or gives the memory back as soon as it is freed, so every batch costs
hundreds of page faults: on a large log a second of system time, more than the reading itself.
Kept in the heap (and the heap not trimmed below a few batches' worth), the same memory serves
batch after batch. Two heaps are enough for the threads that allocate them; more would each
keep buffers of their own. The store's columns do not depend on this: they are memory maps of
their own (see store.py).
"""

from __future__ import annotations

import sys

MAP_FROM = 32 << 20
"""Blocks from this size are mapped (glibc's largest threshold on 64-bit)."""
KEEP = 32 << 20
"""Free memory a heap keeps rather than gives back."""
HEAPS = 2
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
"""mallopt's parameter numbers (malloc.h)."""


def keep_large_buffers() -> bool:
    """Tune glibc as the module docstring says; False where that cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return all(
        mallopt(parameter, value)
        for parameter, value in (
            (_M_MMAP_THRESHOLD, MAP_FROM),
            (_M_TRIM_THRESHOLD, KEEP),
            (_M_ARENA_MAX, HEAPS),
        )
    )
