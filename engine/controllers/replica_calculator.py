"""The HorizontalPodAutoscaler's replica arithmetic, as `k/k pkg/controller/podautoscaler/replica_calculator.go`
(GetResourceReplicas, GetRawResourceReplicas/calcPlainMetricReplicas, groupPods, calculatePodRequests) and
`metrics/utilization.go` (GetResourceUtilizationRatio, GetMetricUsageRatio) compute it:

- desired = ceil(ready pods x current / target), unless |1 - ratio| ≤ tolerance (10 %): then nothing changes;
- pods being deleted or Failed are ignored; Pending pods, and (for CPU) pods not yet ready or whose first
  sample may still cover their start, are "unready": left out, and counted as using 0 on a scale-up;
- ready pods without a metric are "missing": counted as 0 on a scale-up, as using their request (or the target,
  when above 100 %) on a scale-down, and a result that would reverse the direction keeps the current count.

Utilization is integer percent of the summed requests (`int32(metrics*100/requests)`), as upstream truncates it.
Values are milli-units (CPU millicores rounded up, as `Quantity.MilliValue`; memory in thousandths of a byte).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from ..podutil import condition
from ..quantity import cpu_millis
from ..timeutil import parse_time

Obj = dict[str, Any]

# kube-controller-manager's defaults: --horizontal-pod-autoscaler-tolerance, -cpu-initialization-period and
# -initial-readiness-delay.
TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0
INITIAL_READINESS_DELAY = 30.0


class MetricError(Exception):
    """A replica count could not be computed; the message is upstream's error text."""


@attrs.frozen
class PodMetric:
    value: int  # milli-units
    timestamp: float
    window: float


@attrs.frozen
class Tolerances:
    """Tolerances.isWithin: a ratio within [1 - down, 1 + up] changes nothing."""

    scale_down: float = TOLERANCE
    scale_up: float = TOLERANCE

    def within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


@attrs.frozen
class Grouped:
    ready: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def group_pods(pods: Iterable[Obj], metrics: dict[str, PodMetric], resource: str, now: float,
               cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
               initial_readiness_delay: float = INITIAL_READINESS_DELAY) -> Grouped:
    """groupPods."""
    ready = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for pod in pods:
        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
            ignored.add(name)
            continue
        if phase == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu" and _cpu_unready(pod, metric, now, cpu_initialization_period, initial_readiness_delay):
            unready.add(name)
            continue
        ready += 1
    return Grouped(ready, frozenset(unready), frozenset(missing), frozenset(ignored))


def _cpu_unready(pod: Obj, metric: PodMetric, now: float, init_period: float, readiness_delay: float) -> bool:
    """A CPU sample is not trusted while the pod starts: its usage then is not what it will use serving."""
    ready = condition(pod, "Ready")
    started = (pod.get("status") or {}).get("startTime")
    if ready is None or not started:
        return True
    start = parse_time(started)
    transition = parse_time(ready.get("lastTransitionTime")) if ready.get("lastTransitionTime") else 0.0
    if start + init_period > now:
        # Within the initialization period: unready, or no full metric window since the last transition.
        return ready.get("status") == "False" or metric.timestamp < transition + metric.window
    # After it: unready only if it never became ready (it went unready within the initial readiness delay).
    return ready.get("status") == "False" and start + readiness_delay > transition


# A pod's requests never change (the engine has no in-place resize): summed once per pod, resource and container,
# as 1,000 HPAs summing 10,000 pods' requests every 15 s cost a seventh of the controller's time.
_REQUESTS: dict[tuple[str, str, str], int] = {}
_REQUESTS_KEPT = 100_000


def pod_requests(pods: Iterable[Obj], resource: str, container: str = "") -> dict[str, int]:
    """calculatePodRequests: the summed requests (milli-units) of the pods' containers (and sidecars: init
    containers with restartPolicy Always), or only `container`'s."""
    out: dict[str, int] = {}
    for pod in pods:
        key = (pod["metadata"].get("uid", ""), resource, container)
        known = _REQUESTS.get(key) if key[0] else None
        if known is None:
            known = _pod_request(pod, resource, container)
            if key[0]:
                if len(_REQUESTS) >= _REQUESTS_KEPT:
                    _REQUESTS.clear()
                _REQUESTS[key] = known
        out[pod["metadata"]["name"]] = known
    return out


def _pod_request(pod: Obj, resource: str, container: str) -> int:
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or ())
    containers += [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    total = 0
    for c in containers:
        if container and c.get("name") != container:
            continue
        request = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        if request is None:
            raise MetricError(f"missing request for {resource} in container {c.get('name')} of Pod "
                              f"{pod['metadata']['name']}")
        total += milli_value(request)
    return total


def milli_value(quantity: Any) -> int:
    """Quantity.MilliValue(): rounded up."""
    return cpu_millis(quantity)


def utilization_ratio(metrics: dict[str, PodMetric], requests: dict[str, int], target: int
                      ) -> tuple[float, int, int]:
    """GetResourceUtilizationRatio: (ratio, utilization %, raw average milli-value)."""
    metrics_total = requests_total = entries = 0
    for name, metric in metrics.items():
        request = requests.get(name)
        if request is None:  # metrics of pods the lister does not know are extraneous
            continue
        metrics_total += metric.value
        requests_total += request
        entries += 1
    if requests_total == 0:
        raise MetricError("no metrics returned matched known pods")
    utilization = metrics_total * 100 // requests_total  # Go's integer division of non-negative values
    return utilization / target, utilization, metrics_total // entries


def usage_ratio(metrics: dict[str, PodMetric], target: int) -> tuple[float, int]:
    """GetMetricUsageRatio: (ratio, average milli-value)."""
    usage = sum(m.value for m in metrics.values()) // len(metrics)
    return usage / target, usage


@attrs.frozen
class Proposal:
    replicas: int
    utilization: int | None  # percent of request (Utilization targets)
    raw: int  # average milli-value
    timestamp: float


@attrs.define
class ReplicaCalculator:
    tolerances: Tolerances = Tolerances()
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD
    initial_readiness_delay: float = INITIAL_READINESS_DELAY

    def resource_replicas(self, current: int, target_utilization: int, resource: str, pods: list[Obj],
                          metrics: dict[str, PodMetric], timestamp: float, now: float,
                          container: str = "") -> Proposal:
        """GetResourceReplicas: a Utilization target (percent of request)."""
        if not pods:
            raise MetricError("no pods returned by selector while calculating replica count")
        metrics = dict(metrics)
        grouped = group_pods(pods, metrics, resource, now, self.cpu_initialization_period,
                             self.initial_readiness_delay)
        for name in grouped.ignored | grouped.unready:
            metrics.pop(name, None)
        if not metrics:
            raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
        requests = pod_requests(pods, resource, container)
        ratio, utilization, raw = utilization_ratio(metrics, requests, target_utilization)
        scale_up_with_unready = bool(grouped.unready) and ratio > 1.0
        if not scale_up_with_unready and not grouped.missing:
            if self.tolerances.within(ratio):
                return Proposal(current, utilization, raw, timestamp)
            return Proposal(math.ceil(ratio * grouped.ready), utilization, raw, timestamp)
        if grouped.missing:
            if ratio < 1.0:
                # A scale-down counts missing pods as using all their request (or the target, above 100 %).
                fallback = max(100, target_utilization)
                for name in grouped.missing:
                    metrics[name] = PodMetric(requests[name] * fallback // 100, 0.0, 0.0)
            elif ratio > 1.0:
                for name in grouped.missing:
                    metrics[name] = PodMetric(0, 0.0, 0.0)
        if scale_up_with_unready:
            for name in grouped.unready:
                metrics[name] = PodMetric(0, 0.0, 0.0)
        new_ratio, _, _ = utilization_ratio(metrics, requests, target_utilization)
        return Proposal(self._rebalanced(current, ratio, new_ratio, len(metrics)), utilization, raw, timestamp)

    def raw_resource_replicas(self, current: int, target_value: int, resource: str, pods: list[Obj],
                              metrics: dict[str, PodMetric], timestamp: float, now: float) -> Proposal:
        """GetRawResourceReplicas (calcPlainMetricReplicas): an AverageValue target (milli-units)."""
        if not pods:
            raise MetricError("no pods returned by selector while calculating replica count")
        metrics = dict(metrics)
        grouped = group_pods(pods, metrics, resource, now, self.cpu_initialization_period,
                             self.initial_readiness_delay)
        for name in grouped.ignored | grouped.unready:
            metrics.pop(name, None)
        if not metrics:
            raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
        ratio, usage = usage_ratio(metrics, target_value)
        scale_up_with_unready = bool(grouped.unready) and ratio > 1.0
        if not scale_up_with_unready and not grouped.missing:
            if self.tolerances.within(ratio):
                return Proposal(current, None, usage, timestamp)
            return Proposal(math.ceil(ratio * grouped.ready), None, usage, timestamp)
        if grouped.missing:
            value = target_value if ratio < 1.0 else 0
            for name in grouped.missing:
                metrics[name] = PodMetric(value, 0.0, 0.0)
        if scale_up_with_unready:
            for name in grouped.unready:
                metrics[name] = PodMetric(0, 0.0, 0.0)
        new_ratio, _ = usage_ratio(metrics, target_value)
        return Proposal(self._rebalanced(current, ratio, new_ratio, len(metrics)), None, usage, timestamp)

    def _rebalanced(self, current: int, ratio: float, new_ratio: float, counted: int) -> int:
        """The count after filling in missing and unready pods: unchanged when within tolerance or when the
        filling-in reversed the direction of the change."""
        if self.tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            return current
        replicas = math.ceil(new_ratio * counted)
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return current
        return replicas
