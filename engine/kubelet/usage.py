"""What the kubelet's cgroups account for each container it runs: an `engine.metrics.usage.Account` per container
run, opened when the container starts and closed when it stops, read by metrics-server (`engine/metrics`) and by
the eviction manager (`eviction.py`).

Memory above `limits.memory` is OOMKilled (exit code 137): the kernel kills the container the moment its usage
curve, plus the memory its load holds, crosses the limit. A container above its limit from the start is killed
once it has been up a second (or, later, once it is ready to serve, `sim.k9py.io/start-seconds`), as an app
allocating while it starts would be. A change of load moves that moment.

A mixin of `Kubelet`: it uses the kubelet's `accounts`, `pods`, `host`, `clock`, `_after`, `_exited`, `_event`.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from ..clock import Timer
from ..metrics.profile import DEFAULT_PROFILE, ProfileError, profile_of
from ..metrics.usage import HISTORY_SECONDS, Account
from ..resources import container_limits, container_requests
from .state import ContainerState, PodState

Obj = dict[str, Any]
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
# A container over its limit from the start runs this long before the kernel kills it.
OOM_AFTER_START_SECONDS = 1.0


def _amount(resources: Any, name: str) -> float | None:
    quantity = resources.get(name)
    return float(quantity.value) if quantity is not None else None


def serving_container(pod: Obj) -> str:
    """The container requests reach: kubectl's default container, else the first one."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    names = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or ()]
    chosen = annotations.get(DEFAULT_CONTAINER_ANNOTATION)
    return str(chosen) if chosen in names else (names[0] if names else "")


class UsageMixin:
    """Opens and closes a container's usage account, and arms its OOM kill."""

    accounts: dict[str, Account]
    _oom_timers: dict[str, Timer]
    _closed: deque[tuple[float, str]]

    def _usage_started(self, ps: PodState, c: ContainerState, pod: Obj, spec: Obj) -> None:
        """The container just started (its container ID is new): arm its OOM kill if its memory could ever reach
        its limit. Its account is opened now only then (or when it serves load): otherwise the first reader opens
        it (`account`), so thousands of starting containers cost nothing here."""
        if self._closed:
            self._forget_old_accounts(self.clock.now())
        limits = (spec.get("resources") or {}).get("limits") or {}
        if "memory" in limits or self.host.pod_rps.get(ps.key):
            account = self.account(ps, c, pod, spec)
            if account is not None:
                self._arm_oom(ps, c, account)
        self._eviction_poke()

    def account(self, ps: PodState, c: ContainerState, pod: Obj | None = None, spec: Obj | None = None,
                rps: float | None = None) -> Account | None:
        """The usage account of the running container `c`, opened if it has none yet (from its start; `rps`: the
        requests/s its pod has served since then, when the load just changed)."""
        account = self.accounts.get(c.container_id)
        if account is not None or c.state != "running" or c.started_at is None:
            return account
        pod = pod if pod is not None else self._pod(ps)
        if pod is None:
            return None
        spec = spec if spec is not None else self._spec(ps, c)
        try:
            profile = profile_of((pod.get("metadata") or {}).get("annotations"))
        except ProfileError:
            profile = DEFAULT_PROFILE  # reported once, as InvalidSimulation, when the pod was admitted
        limits, requests = container_limits(spec), container_requests(spec)
        account = Account(
            container_id=c.container_id, namespace=ps.namespace, pod=ps.name, pod_uid=ps.uid, container=c.name,
            started=c.started_at, profile=profile,
            cpu_limit=_amount(limits, "cpu") or math.inf, memory_limit=_amount(limits, "memory") or math.inf,
            cpu_request=_amount(requests, "cpu") or 0.0, memory_request=_amount(requests, "memory") or 0.0,
            serves_load=not c.is_init and c.name == serving_container(pod),
            initial_rps=self.host.pod_rps.get(ps.key, 0.0) if rps is None else rps)
        self.accounts[c.container_id] = account
        return account

    def open_accounts(self) -> None:
        """Open the account of every running container that has none yet (before reading them all)."""
        accounts = self.accounts
        for ps in self.pods.values():
            for c in ps.all_containers():
                if c.state == "running" and c.container_id not in accounts:
                    self.account(ps, c)

    def _usage_stopped(self, c: ContainerState) -> None:
        account = self.accounts.get(c.container_id)
        timer = self._oom_timers.pop(c.container_id, None)
        if timer is not None:
            timer.cancel()
        if account is not None and account.stopped is None:
            now = self.clock.now()
            account.stopped = now
            self._closed.append((now, c.container_id))
            self._eviction_poke()

    def _usage_forget(self, ps: PodState) -> None:
        """The pod is gone from this node: whatever still ran of it stops being accounted."""
        for c in ps.all_containers():
            if c.state == "running":
                self._usage_stopped(c)

    def _forget_old_accounts(self, now: float) -> None:
        closed = self._closed
        while closed and closed[0][0] < now - HISTORY_SECONDS:
            self.accounts.pop(closed.popleft()[1], None)

    def _arm_oom(self, ps: PodState, c: ContainerState, account: Account) -> None:
        timer = self._oom_timers.pop(c.container_id, None)
        if timer is not None:
            timer.cancel()
        now = self.clock.now()
        at = account.memory_exceeds_limit_at(now)
        if at is None:
            return
        if at <= account.started:
            at = account.started + max(OOM_AFTER_START_SECONDS, c.behaviour.start_seconds)
        self._oom_timers[c.container_id] = self._after(ps, max(0.0, at - now),
                                                       lambda: self._exited(ps, c, 137, "OOMKilled"), c)

    def running_accounts(self) -> list[Account]:
        self.open_accounts()
        return [a for a in self.accounts.values() if a.stopped is None]

    def load_changed(self, key: str, before: float) -> None:
        """The requests/s the pod serves changed from `before` to `host.pod_rps`: its serving container's usage
        follows from now on."""
        ps = self.pods.get(key)
        if ps is None:
            return
        rps = self.host.pod_rps.get(key, 0.0)
        now = self.clock.now()
        for c in ps.containers:
            account = self.account(ps, c, rps=before)
            if account is not None and account.set_rps(rps, now) and account.profile.memory_per_rps:
                self._arm_oom(ps, c, account)
                self._eviction_poke()

    def request_served(self, key: str) -> None:
        """A request through the simulated data plane reached this pod: its serving container pays its cost."""
        ps = self.pods.get(key)
        if ps is None:
            return
        for c in ps.containers:
            account = self.account(ps, c)
            if account is not None and account.serves_load:
                account.credit(account.profile.cpu_per_rps, self.clock.now())
