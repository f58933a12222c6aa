"""Keep freed memory in the process for the next array of the same size: no page faults per training step.

A training step allocates the same arrays every time: a batch's activations, their gradients, im2col's
columns. glibc's ``malloc`` hands an array bigger than its mmap threshold (128 KiB at start, raised by
the frees it sees) straight to the kernel with ``mmap``, and gives the memory back at ``free``; the next
step's array of the same size then touches fresh pages, one page fault per 4 KiB. The tiny CNN's test
pass over 360 images took about 1,470 page faults a time, and its 2x2 max-pool over them 1.4 ms instead
of 0.25 ms (``benchmarks/bench_numpy_vs_torch.py``).

:func:`keep_freed_memory` raises the thresholds so that such arrays come from the heap and freed memory
stays there (up to ``trim_mib``) for the next one. It is what ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` in the environment do, set from inside the process. It applies to every
allocation of the process, PyTorch's too; elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's own ceiling on 64-bit systems


def keep_freed_memory(trim_mib: int = 256) -> bool:
    """Arrays up to 32 MiB from the heap, up to ``trim_mib`` MiB of freed memory kept; True if it applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the symbols already loaded: the C library's
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, trim_mib * 2**20))
