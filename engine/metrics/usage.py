"""One run of one container, as its cgroup accounts for it: CPU used (cumulative, throttled at the limit) and
memory in use, as functions of time. Nothing ticks: a value is computed when it is read.

The load a container serves changes at known moments (a `Cluster.load` call, an endpoint becoming ready); each
change leaves a mark (time, CPU used so far, requests/s from then on), so the CPU used up to any later moment is
the last mark's plus the integral of the usage curve since. A request sent through `Cluster.request` is a mark
too: its cost is added to the CPU used. Marks older than what metrics-server and the dashboard look back on are
dropped.
"""

from __future__ import annotations

import bisect
import math

import attrs

from .profile import UsageProfile

# How far back usage is kept: metrics-server's two samples, and the dashboard's sparkline (20 scrapes).
HISTORY_SECONDS = 330.0
# The node's own share, beside its containers (kubelet, container runtime, the OS): its working set, which the
# eviction manager counts, and its CPU, which metrics-server reports with the node.
SYSTEM_MEMORY = 200 * 2**20
SYSTEM_CPU = 0.04
PAGE_BYTES = 4096
# Requests within this long of the last mark fold into it: a busy `Cluster.request` loop adds one mark a second.
CREDIT_BUCKET_SECONDS = 1.0


@attrs.define(eq=False)
class Account:
    """A container run: its profile, limits, the load it serves over time, and when it stopped."""

    container_id: str
    namespace: str
    pod: str
    pod_uid: str
    container: str
    started: float
    profile: UsageProfile
    cpu_limit: float  # cores; inf without a limit
    memory_limit: float  # bytes; inf without a limit
    cpu_request: float  # cores
    memory_request: float  # bytes
    serves_load: bool  # the pod's default container: the one requests reach
    initial_rps: float = 0.0  # the requests/s it served from its start
    stopped: float | None = None
    # (time, cumulative CPU-seconds at that time, requests/s from then on), oldest first; the first is the start.
    marks: list[tuple[float, float, float]] = attrs.Factory(list)
    _mark_times: list[float] = attrs.Factory(list)
    _steady: tuple[float, float, float] | None = None

    def __attrs_post_init__(self) -> None:
        if not self.marks:
            self.marks.append((self.started, 0.0, self.initial_rps if self.serves_load else 0.0))
            self._mark_times.append(self.started)

    # --- reading -------------------------------------------------------------------------------------------

    def running_at(self, t: float) -> bool:
        return self.started <= t and (self.stopped is None or t < self.stopped)

    def _mark_at(self, t: float) -> tuple[float, float, float]:
        i = bisect.bisect_right(self._mark_times, t)
        return self.marks[max(0, i - 1)]

    def rps_at(self, t: float) -> float:
        return self._mark_at(t)[2] if self.serves_load else 0.0

    def cpu_demand(self, t: float) -> float:
        """Cores the app wants at `t` (before the limit): its curve plus its load."""
        load = self.rps_at(t) * self.profile.cpu_per_rps
        return self.profile.cpu.at(t - self.started) + load

    def cpu_used(self, t: float) -> float:
        """Cores it gets: CFS quota throttles it at its limit."""
        return min(self.cpu_demand(t), self.cpu_limit)

    def throttled(self, t: float) -> float:
        """The share of the demand the limit holds back at `t` (0 when under the limit)."""
        demand = self.cpu_demand(t)
        return 0.0 if demand <= self.cpu_limit or demand <= 0 else 1.0 - self.cpu_limit / demand

    def memory(self, t: float) -> float:
        """Working-set bytes at `t`, in whole pages as a cgroup counts them."""
        used = self.profile.memory.at(t - self.started) + self.rps_at(t) * self.profile.memory_per_rps
        return float(int(used) // PAGE_BYTES * PAGE_BYTES)

    def cpu_seconds(self, t: float) -> float:
        """CPU-seconds used from the start until `t` (or until it stopped)."""
        if self.stopped is not None:
            t = min(t, self.stopped)
        if t <= self.started:
            return 0.0
        when, used, rps = self._mark_at(t)
        load = (rps if self.serves_load else 0.0) * self.profile.cpu_per_rps
        return used + self.profile.cpu.integral(when - self.started, t - self.started, load, self.cpu_limit)

    def steady(self) -> tuple[float, float, float]:
        """(from when, cores, bytes): from that time on (until the next mark) its usage no longer changes, its
        curves flat and its load steady. Most containers are steady a moment after they start, so a scrape of
        thousands of them costs a lookup each."""
        if self._steady is None:
            profile = self.profile
            when = max(self.started + max(profile.cpu.settles_at, profile.memory.settles_at), self.marks[-1][0])
            self._steady = (when, self.cpu_used(when), self.memory(when))
        return self._steady

    def cpu_between(self, a: float, b: float) -> float:
        """CPU-seconds used between `a` and `b` (in one go when no mark falls between them, the common case)."""
        if self.stopped is not None:
            b = min(b, self.stopped)
        a = max(a, self.started)
        if b <= a:
            return 0.0
        times = self._mark_times
        i = bisect.bisect_right(times, a)
        if i == bisect.bisect_right(times, b):
            rps = self.marks[i - 1][2] if self.serves_load else 0.0
            start = self.started
            return self.profile.cpu.integral(a - start, b - start, rps * self.profile.cpu_per_rps, self.cpu_limit)
        return self.cpu_seconds(b) - self.cpu_seconds(a)

    def memory_exceeds_limit_at(self, after: float) -> float | None:
        """When, from `after` on and with the load it serves now, its memory first goes over its limit."""
        if math.isinf(self.memory_limit):
            return None
        offset = self.rps_at(after) * self.profile.memory_per_rps
        found = self.profile.memory.first_above(self.memory_limit, offset, max(0.0, after - self.started))
        return None if found is None else self.started + found

    # --- changing ------------------------------------------------------------------------------------------

    def set_rps(self, rps: float, now: float) -> bool:
        """The load it serves changes at `now`; False when it does not change."""
        if not self.serves_load or self._mark_at(now)[2] == rps:
            return False
        self._add_mark(now, self.cpu_seconds(now), rps)
        return True

    def credit(self, cpu_seconds: float, now: float) -> None:
        """A request served at `now` cost `cpu_seconds` of CPU (beyond the limit too: a burst is not throttled
        within a second's quota here)."""
        when, used, rps = self.marks[-1]
        if now - when < CREDIT_BUCKET_SECONDS and when >= self.started:
            self.marks[-1] = (when, used + cpu_seconds, rps)
            self._steady = None
            return
        self._add_mark(now, self.cpu_seconds(now) + cpu_seconds, rps)

    def _add_mark(self, now: float, used: float, rps: float) -> None:
        self.marks.append((now, used, rps))
        self._mark_times.append(now)
        self._steady = None
        # Keep the last mark before the history window: values inside it are computed from it.
        keep = bisect.bisect_right(self._mark_times, now - HISTORY_SECONDS) - 1
        if keep > 0:
            del self.marks[:keep]
            del self._mark_times[:keep]
