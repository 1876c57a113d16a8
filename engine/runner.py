"""Drives the control plane: drains work queues, fires due timers, and moves time.

On a virtual clock time jumps to the next due timer as soon as every queue is idle. On a real clock a background
task sleeps until the next timer (scaled by the clock's speed) or until new work arrives, and drains in
time slices so a UI sharing the event loop stays responsive.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable

from .clock import Clock, RealClock, VirtualClock
from .runtime import ControllerManager

log = logging.getLogger("engine.runner")

# How long one drain may hold the event loop on a real clock before yielding to other tasks (the UI).
REAL_TIME_SLICE = 0.02


class Runner:
    def __init__(self, clock: Clock, manager: ControllerManager) -> None:
        self.clock = clock
        self.manager = manager
        self._wake = asyncio.Event() if isinstance(clock, RealClock) else None
        self._task: asyncio.Task[None] | None = None
        self.timer_errors = 0

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _fire_due(self) -> int:
        fired = 0
        for timer in self.clock.pop_due():
            fired += 1
            try:
                timer.callback()
            except Exception:  # a timer callback must never take the engine down
                self.timer_errors += 1
                log.error("timer callback failed:\n%s", traceback.format_exc())
        return fired

    def settle(self) -> None:
        """Run until no queue has work and no timer is due now (time does not move)."""
        while True:
            self.manager.drain()
            if not self._fire_due() and not self.manager.has_work():
                return

    # --- virtual time --------------------------------------------------------------------------------------

    async def advance(self, seconds: float, stop: Callable[[], bool] | None = None) -> bool:
        """Advance a virtual clock by up to `seconds`, stopping early (returning True) once `stop()` holds."""
        assert isinstance(self.clock, VirtualClock)
        target = self.clock.now() + seconds
        steps = 0
        while True:
            self.settle()
            if stop is not None and stop():
                return True
            deadline = self.clock.next_deadline()
            if deadline is None or deadline > target:
                self.clock.advance_to(target)
                self.settle()
                return stop is not None and stop()
            self.clock.advance_to(deadline)
            steps += 1
            if steps % 256 == 0:
                await asyncio.sleep(0)  # let external watchers consume

    # --- real time -----------------------------------------------------------------------------------------

    def start_background(self) -> None:
        if self._task is None and isinstance(self.clock, RealClock):
            self._task = asyncio.get_running_loop().create_task(self._run_real(), name="k9py-engine")

    async def stop_background(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run_real(self) -> None:
        clock = self.clock
        assert isinstance(clock, RealClock) and self._wake is not None
        while True:
            self._wake.clear()
            self._fire_due()
            if not self.manager.drain(REAL_TIME_SLICE):
                await asyncio.sleep(0)
                continue
            deadline = clock.next_deadline()
            timeout = None if deadline is None else clock.wall_seconds_until(deadline)
            if timeout is not None and timeout <= 0:
                await asyncio.sleep(0)
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives just
            # as the wake event is set, and stop_background would then wait for this task forever.
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass
