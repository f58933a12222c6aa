"""Same-run timing for the scaling tests: a ratio of two sizes, never a wall-clock bound."""

from __future__ import annotations

import gc
import time


def best_of_interleaved(n_runs: int, fn, small, large) -> tuple[float, float]:
    """Best times of ``fn(small)`` and ``fn(large)``, measured A B A B so that a busy machine slows both alike."""
    best = [float("inf"), float("inf")]
    gc.collect()
    gc.disable()  # as timeit does: a collection landing in one run would time the heap, not the code
    try:
        for _ in range(n_runs):
            for i, arg in enumerate((small, large)):
                t = time.process_time()  # CPU time: other processes on a shared machine do not count
                fn(arg)
                best[i] = min(best[i], time.process_time() - t)
    finally:
        gc.enable()
    return best[0], best[1]
