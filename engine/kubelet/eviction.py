"""Node-pressure eviction: the kubelet's eviction manager (`pkg/kubelet/eviction`), for memory.

Every 10 s (evictionMonitoringPeriod) the manager observes `memory.available`: the node's memory capacity minus
its working set (what its containers use, plus the system's own share, `SYSTEM_MEMORY`). Below the default hard
threshold `memory.available<100Mi`:

- the node reports `MemoryPressure=True` (reason KubeletHasInsufficientMemory; the event NodeHasInsufficientMemory);
  the node lifecycle controller then taints it `node.kubernetes.io/memory-pressure:NoSchedule`, and the kubelet
  itself turns away new BestEffort pods that do not tolerate that taint (`The node had condition:
  [MemoryPressure]. `);
- a Warning `EvictionThresholdMet` (`Attempting to reclaim memory`) is recorded on the node, and one pod is evicted:
  the first in rankMemoryPressure's order (pods whose usage exceeds their memory request first, then lower
  priority first, then the largest usage above the request first); critical pods (priority 2000000000 and up)
  are never evicted. The evicted pod gets a Warning `Evicted` event and the status phase Failed, reason Evicted,
  the message of `evictionMessage` and the condition DisruptionTarget (TerminationByKubelet); its containers are
  stopped with no grace period (the runtime's 2-second minimum).
- once the pod is gone (its containers stopped; at most 30 s, waitForPodsCleanup) the manager looks again at
  once, and evicts another while the threshold is still met.

The condition stays True until no threshold has been met for 5 minutes (evictionPressureTransitionPeriod).

Lazily: the manager looks only when something could have changed (a container started or stopped, a change of
load) or while the node's memory is still moving (a curve not yet flat, pressure not yet cleared), always on its
10-second beat, so an idle node costs nothing.

A mixin of `Kubelet`: it uses the kubelet's `accounts`, `pods`, `host`, `clock`, `name`, `running`, `_pod`,
`_event`, `_kill_pod`, `_post`, `post_ready`.
"""

from __future__ import annotations

import math
from typing import Any

from ..clock import Timer
from ..events import KUBELET
from ..metrics.usage import SYSTEM_MEMORY
from ..quantity import bytes_value, canonical_quantity, format_bytes
from ..resources import get_pod_qos, pod_requests
from .state import PodState

Obj = dict[str, Any]

MONITORING_SECONDS = 10.0  # evictionMonitoringPeriod
CLEANUP_POLL_SECONDS = 1.0  # waitForPodsCleanup's poll ...
CLEANUP_TIMEOUT_SECONDS = 30.0  # ... and its timeout
PRESSURE_TRANSITION_SECONDS = 300.0  # --eviction-pressure-transition-period
THRESHOLD_TEXT = "100Mi"  # the default hard threshold memory.available<100Mi
THRESHOLD_BYTES = 100 * 2**20
CRITICAL_PRIORITY = 2_000_000_000  # scheduling.SystemCriticalPriority
REASON = "Evicted"
MEMORY_PRESSURE_TAINT = "node.kubernetes.io/memory-pressure"
KILL_EVICT = "evict"  # PodState.killing: evicted, the pod is Failed and the object stays


def eviction_message(available: int, containers: list[tuple[str, int, str]]) -> str:
    """evictionMessage: the resource, the threshold, then each container using more than it requested, as
    (name, bytes used, request as written or "0")."""
    message = f"The node was low on resource: memory. Threshold quantity: {THRESHOLD_TEXT}, available: " \
              f"{format_bytes(available)}. "
    for name, used, request in containers:
        message += f"Container {name} was using {format_bytes(used)}, request is {request}, has larger " \
                   "consumption of memory. "
    return message


def _tolerates_memory_pressure(pod: Obj) -> bool:
    for toleration in (pod.get("spec") or {}).get("tolerations") or ():
        key, operator = toleration.get("key"), toleration.get("operator") or "Equal"
        if toleration.get("effect") not in (None, "", "NoSchedule"):
            continue
        if (key in (None, "") and operator == "Exists") or (key == MEMORY_PRESSURE_TAINT and (
                operator == "Exists" or not toleration.get("value"))):
            return True
    return False


def _priority(pod: Obj) -> int:
    value = (pod.get("spec") or {}).get("priority")
    return value if isinstance(value, int) else 0


class EvictionMixin:
    """The eviction manager of one kubelet."""

    memory_pressure: bool = False
    _pressure_seen: float | None = None  # when a threshold was last met
    _eviction_timer: Timer | None = None
    _evicting: PodState | None = None  # the pod just evicted, until its containers have stopped

    # --- when to look ----------------------------------------------------------------------------------------

    def _eviction_poke(self) -> None:
        """Something changed: look at the next beat of the 10-second loop, unless a look is already due (within
        a beat) or an eviction is being waited on (which looks again when it is done)."""
        timer = self._eviction_timer
        if self._evicting is None and (timer is None or timer.cancelled):
            self._eviction_at(math.ceil(self.clock.now() / MONITORING_SECONDS) * MONITORING_SECONDS)

    def _eviction_at(self, when: float) -> None:
        timer = self._eviction_timer
        if timer is not None and not timer.cancelled:
            if timer.when <= when:
                return
            timer.cancel()
        self._eviction_timer = self.clock.call_at(when, self._synchronize)

    def _memory_moving(self, now: float) -> bool:
        """Whether some container's memory will still change on its own (a curve not yet flat)."""
        return any(a.profile.memory.settles_at > now - a.started for a in self.running_accounts())

    # --- observing -------------------------------------------------------------------------------------------

    def _capacity(self) -> int | None:
        node = self.host.store.get("nodes", "", self.name)
        if node is None:
            return None
        try:
            return bytes_value(((node.get("status") or {}).get("capacity") or {}).get("memory") or "0")
        except ValueError:
            return None

    def pod_memory(self, ps: PodState, now: float) -> dict[str, float]:
        """Working-set bytes of each running container of the pod, by name."""
        out: dict[str, float] = {}
        for c in ps.all_containers():
            account = self.account(ps, c) if c.state == "running" else None
            if account is not None:
                out[c.name] = account.memory(now)
        return out

    def working_set(self, now: float) -> float:
        return SYSTEM_MEMORY + sum(a.memory(now) for a in self.running_accounts())

    def _synchronize(self) -> None:
        self._eviction_timer = None
        if not self.running:
            return
        now = self.clock.now()
        capacity = self._capacity()
        if capacity is None:
            return
        available = capacity - int(self.working_set(now))
        met = available < THRESHOLD_BYTES
        if met:
            self._pressure_seen = now
        pressure = self._pressure_seen is not None and now - self._pressure_seen < PRESSURE_TRANSITION_SECONDS
        if pressure != self.memory_pressure:
            self._set_pressure(pressure)
        evicted = self._evict_one(available, now) if met else None
        if evicted is not None:
            self._wait_for_cleanup(evicted, now)
        elif pressure or self._memory_moving(now):
            self._eviction_at(now + MONITORING_SECONDS)

    def _set_pressure(self, pressure: bool) -> None:
        self.memory_pressure = pressure
        if not pressure:
            self._pressure_seen = None
        self.post_ready()  # the node status carries the condition (node_status.ready_conditions)
        node = self.host.store.get("nodes", "", self.name)
        if node is not None:
            reason = "NodeHasInsufficientMemory" if pressure else "NodeHasSufficientMemory"
            self.host.recorder.record(node, "Normal", reason, f"Node {self.name} status is now: {reason}",
                                      KUBELET, host=self.name)

    # --- evicting --------------------------------------------------------------------------------------------

    def _candidates(self) -> list[tuple[PodState, Obj]]:
        """The active pods: admitted, not finished, not already being stopped."""
        out = []
        for ps in self.pods.values():
            if ps.killing or ps.failed is not None:
                continue
            pod = self._pod(ps)
            if pod is not None and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                out.append((ps, pod))
        return out

    def _rank(self, now: float) -> list[tuple[PodState, Obj, dict[str, float]]]:
        """rankMemoryPressure: exceeds its requests, then priority, then usage above requests."""
        ranked = []
        for ps, pod in self._candidates():
            used = self.pod_memory(ps, now)
            found = ps.sandbox_ready  # a pod without a sandbox has no stats: evicted first
            request = pod_requests(pod).get("memory")
            requested = float(request.value) if request is not None else 0.0
            total = sum(used.values())
            exceeds = found and total > requested
            key = (0 if not found else 1, 0 if exceeds else 1, _priority(pod), -(total - requested))
            ranked.append((key, ps, pod, used))
        ranked.sort(key=lambda item: item[0])
        return [(ps, pod, used) for _, ps, pod, used in ranked]

    def _evict_one(self, available: int, now: float) -> PodState | None:
        node = self.host.store.get("nodes", "", self.name)
        if node is not None:
            self.host.recorder.record(node, "Warning", "EvictionThresholdMet", "Attempting to reclaim memory",
                                      KUBELET, host=self.name)
        for ps, pod, used in self._rank(now):
            if _priority(pod) >= CRITICAL_PRIORITY:
                continue  # a critical pod is never evicted: try the next one
            self._evict(ps, pod, eviction_message(available, self._offenders(pod, used)))
            return ps
        return None

    @staticmethod
    def _offenders(pod: Obj, used: dict[str, float]) -> list[tuple[str, int, str]]:
        spec = pod.get("spec") or {}
        out = []
        for container in (*(spec.get("containers") or ()), *(spec.get("initContainers") or ())):
            name = str(container.get("name"))
            if name not in used:
                continue
            raw = ((container.get("resources") or {}).get("requests") or {}).get("memory")
            try:
                request_text = canonical_quantity(raw) if raw is not None else "0"
                request = bytes_value(raw) if raw is not None else 0
            except ValueError:
                request_text, request = "0", 0
            if used[name] > request:
                out.append((name, int(used[name]), request_text))
        return out

    def _evict(self, ps: PodState, pod: Obj, message: str) -> None:
        self._event(pod, "Warning", REASON, message)
        ps.failed = (REASON, message)
        ps.disruption = {"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet",
                         "message": message}
        ps.frozen_statuses = ps.statuses_now()  # see PodState.frozen_statuses
        self._kill_pod(ps, pod, 0.0, KILL_EVICT)

    def _wait_for_cleanup(self, ps: PodState, since: float) -> None:
        """waitForPodsCleanup: look again once the evicted pod's containers have all stopped (polled every
        second), or after 30 s."""
        self._evicting = ps

        def poll() -> None:
            now = self.clock.now()
            done = not any(c.state == "running" for c in ps.all_containers())
            if done or now - since >= CLEANUP_TIMEOUT_SECONDS or not self.running:
                self._evicting = None
                self._eviction_at(now)
            else:
                self.clock.call_later(CLEANUP_POLL_SECONDS, poll)

        self.clock.call_later(CLEANUP_POLL_SECONDS, poll)

    # --- admission -------------------------------------------------------------------------------------------

    def pressure_admission(self, pod: Obj) -> tuple[str, str] | None:
        """The eviction manager's admit handler: under memory pressure, BestEffort pods that do not tolerate the
        memory-pressure taint are turned away (critical pods always admitted)."""
        if not self.memory_pressure or _priority(pod) >= CRITICAL_PRIORITY:
            return None
        if get_pod_qos(pod) != "BestEffort" or _tolerates_memory_pressure(pod):
            return None
        return REASON, "The node had condition: [MemoryPressure]. "


