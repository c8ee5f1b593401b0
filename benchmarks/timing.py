"""Timing shared by the benchmark scripts."""

from __future__ import annotations

import time


def best_of(fn, repeats: int = 3) -> float:
    """Fastest of ``repeats`` wall-clock runs of ``fn()``, seconds: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
