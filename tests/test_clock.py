"""Virtual time jumps to the next timer; real time follows the wall clock, scaled and pausable."""

import time

import pytest

from engine.clock import VIRTUAL_EPOCH, RealClock, VirtualClock
from engine.cluster import Cluster


def test_virtual_clock_fires_timers_in_order():
    clock = VirtualClock()
    fired = []
    clock.call_later(5, lambda: fired.append("b"))
    clock.call_later(1, lambda: fired.append("a"))
    cancelled = clock.call_later(3, lambda: fired.append("x"))
    cancelled.cancel()
    assert clock.next_deadline() == VIRTUAL_EPOCH + 1
    clock.advance_to(VIRTUAL_EPOCH + 10)
    for timer in clock.pop_due():
        timer.callback()
    assert fired == ["a", "b"]


def test_real_clock_speed_and_pause():
    clock = RealClock(start=0.0, speed=100.0)
    time.sleep(0.02)
    assert clock.now() >= 1.5
    clock.pause()
    frozen = clock.now()
    time.sleep(0.01)
    assert clock.now() == frozen
    assert clock.wall_seconds_until(frozen + 10) is None
    clock.resume()
    clock.set_speed(1.0)
    assert clock.wall_seconds_until(clock.now() + 2) == pytest.approx(2, abs=0.05)
    with pytest.raises(ValueError):
        clock.set_speed(0)


async def test_five_minutes_of_cluster_time_take_no_wall_time():
    async with Cluster(nodes=3) as cluster:
        started = time.perf_counter()
        await cluster.run_for(300)
        assert cluster.now() == VIRTUAL_EPOCH + 300
        assert time.perf_counter() - started < 1.0


async def test_real_clock_cluster_runs_in_the_background():
    async with Cluster(nodes=1, clock="real", speed=50.0) as cluster:
        await cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                             "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}})
        ok = await cluster.run_until(lambda c: (c.get("pod", "p") or {}).get("status", {}).get("phase") == "Running",
                                     timeout=60)
        assert ok
