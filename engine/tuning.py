"""Process-wide tuning for programs built on the engine (the k9py command line calls it at start).

The control plane allocates millions of small, short-lived dicts. With Python's default gen-0 threshold of
700 allocations, the cyclic garbage collector walks the young generation thousands of times during a large
rollout, and profiling showed that as a quarter of the run. Engine objects are JSON-shaped trees that rarely
form reference cycles, so collecting less often costs little memory. A library should not change this behind
its caller's back, so `Cluster` does not call it; applications opt in.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 20


def tune_gc() -> None:
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
