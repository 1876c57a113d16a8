"""The scheduler's activeQ order: the QueueSort plugin PrioritySort (k/k pkg/scheduler/framework/plugins/queuesort).

A pod of higher `spec.priority` is scheduled first; among equals, the one queued first (its queue timestamp, so a
retried pod goes behind the pods already waiting). Keys are kept in one FIFO per priority value: a cluster whose
pods all share a priority (the usual case) pays a deque, as the plain work queue does.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable

from ..clock import Clock
from ..runtime import WorkQueue

__all__ = ["SchedulingQueue"]


class SchedulingQueue(WorkQueue):
    """A WorkQueue (dedup, delayed adds, back-off) that pops the highest-priority key first."""

    def __init__(self, clock: Clock, wake: Callable[[], None], priority_of: Callable[[str], int]) -> None:
        super().__init__(clock, wake)
        self._priority_of = priority_of
        self._levels: dict[int, deque[str]] = {}
        self._order: list[int] = []  # the negated priorities of `_levels`, ascending: highest priority first
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, key: str) -> None:
        if key in self._queued:
            return
        self._queued.add(key)
        priority = self._priority_of(key)
        level = self._levels.get(priority)
        if level is None:
            level = self._levels[priority] = deque()
            bisect.insort(self._order, -priority)
        level.append(key)
        self._size += 1
        self._wake()

    def pop(self) -> str | None:
        while self._order:
            priority = -self._order[0]
            level = self._levels[priority]
            if level:
                key = level.popleft()
                self._queued.discard(key)
                self._size -= 1
                return key
            del self._levels[priority]
            self._order.pop(0)
        return None
