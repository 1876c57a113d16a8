"""The engine's only source of time.

Every delay in the control plane (probe periods, restart back-off, grace periods, progress deadlines, node
heartbeats) is a timer on one of these clocks. Nothing in `engine/` calls `time.time()` or `asyncio.sleep()` for
cluster time.

- `VirtualClock` never moves on its own: the cluster runner jumps it straight to the next due timer once every
  work queue is idle, so a 5-minute back-off costs nothing in tests and `k9py check`.
- `RealClock` follows the wall clock scaled by a speed factor and can be paused, for the dashboard.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable

import attrs

# Virtual clusters start at a fixed instant so that names, ages and event timestamps are reproducible.
VIRTUAL_EPOCH = 1767225600.0  # 2026-01-01T00:00:00Z


@attrs.define(eq=False)
class Timer:
    """A callback due at cluster time `when`. Cancelling is O(1); the heap drops it lazily."""

    when: float
    seq: int
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """A heap of timers over some notion of "now"; subclasses decide how now moves."""

    def __init__(self) -> None:
        # (when, seq, timer): tuples compare in C, which matters with tens of thousands of timers.
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        seq = next(self._seq)
        timer = Timer(when=when, seq=seq, callback=callback)
        heapq.heappush(self._timers, (when, seq, timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.now() + max(0.0, delay), callback)

    def next_deadline(self) -> float | None:
        """When the earliest live timer is due, or None when no timer is pending."""
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def pop_due(self) -> list[Timer]:
        """Remove and return every live timer due at or before now, in (when, creation) order."""
        now = self.now()
        due: list[Timer] = []
        timers = self._timers
        while timers and timers[0][0] <= now:
            timer = heapq.heappop(timers)[2]
            if not timer.cancelled:
                due.append(timer)
        return due

    @property
    def pending_timers(self) -> int:
        return sum(1 for _, _, t in self._timers if not t.cancelled)


class VirtualClock(Clock):
    """Time that only moves when the runner advances it: deterministic and instant."""

    def __init__(self, start: float = VIRTUAL_EPOCH) -> None:
        super().__init__()
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        if when > self._now:
            self._now = when


class RealClock(Clock):
    """Wall-clock time, scaled by `speed` (2.0 = twice as fast) and pausable."""

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._base_cluster = time.time() if start is None else float(start)
        self._base_mono = time.monotonic()
        self._speed = float(speed)
        self._paused = False

    def now(self) -> float:
        if self._paused:
            return self._base_cluster
        return self._base_cluster + (time.monotonic() - self._base_mono) * self._speed

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def _rebase(self) -> None:
        self._base_cluster = self.now()
        self._base_mono = time.monotonic()

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._rebase()
        self._speed = float(speed)

    def pause(self) -> None:
        if not self._paused:
            self._rebase()
            self._paused = True

    def resume(self) -> None:
        if self._paused:
            self._base_mono = time.monotonic()
            self._paused = False

    def wall_seconds_until(self, when: float) -> float | None:
        """Real seconds until cluster time `when`; None while paused (nothing is due until resumed)."""
        if self._paused:
            return None
        return max(0.0, (when - self.now()) / self._speed)
