"""One metric of an HPA: its replica proposal and its status, as horizontal.go's computeReplicasForMetric and
computeStatusForResourceMetric(Generic)/computeStatusForContainerResourceMetric compute them, with upstream's
error chain (`failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for
resource cpu: no metrics returned from resource metrics API`).

Resource metrics are read as the resource metrics client reads metrics-server (`metrics/client.go`
getPodMetrics/getContainerMetrics): per pod, the sum of its containers' usage in milli-units (a pod lacking one
is left out), or one container's. The engine serves no custom or external metrics API, so Pods, Object and
External metrics fail as they do on a cluster without one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..quantity import Quantity
from .replica_calculator import MetricError, PodMetric, ReplicaCalculator, milli_value

if TYPE_CHECKING:
    from ..metrics import MetricsApi

Obj = dict[str, Any]
NO_METRICS_API = ("unable to fetch metrics from resource metrics API: the server could not find the requested "
                  "resource (get pods.metrics.k8s.io)")
NO_CUSTOM_METRICS = "no custom metrics API (custom.metrics.k8s.io) registered"
NO_EXTERNAL_METRICS = "no external metrics API (external.metrics.k8s.io) registered"


class ComputeError(Exception):
    """A metric (or every metric) gave no proposal. `reason`/`detail`: the event and condition of the metric;
    the exception's text is what the controller reports for the whole computation; `statuses` what it writes."""

    def __init__(self, reason: str, detail: str, message: str, statuses: list[Obj] | None) -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail
        self.statuses = statuses


class MetricsReader:
    """The resource metrics of an HPA's pods, as of metrics-server's last scrape."""

    def __init__(self, api: MetricsApi | None, namespace: str, pods: list[Obj]) -> None:
        self.api = api
        self.namespace = namespace
        self.pods = pods

    def resource(self, resource: str, container: str = "") -> tuple[dict[str, PodMetric], float]:
        """GetResourceMetric: (metrics by pod name, the first item's timestamp)."""
        if self.api is None:
            raise MetricError(NO_METRICS_API)
        out: dict[str, PodMetric] = {}
        timestamp: float | None = None
        for pod in self.pods:
            meta = pod["metadata"]
            point = self.api.pod_point(self.namespace, meta["name"])
            if point is None or point.uid != meta.get("uid"):
                continue
            if timestamp is None:
                timestamp = point.timestamp
            containers = [c for c in point.containers if not container or c.name == container]
            if not containers:  # no containers, or not the one asked for: the pod's metric is missing
                continue
            value = sum(_milli(resource, c.nanocores, c.bytes) for c in containers)
            out[meta["name"]] = PodMetric(value, point.timestamp, point.window)
        if timestamp is None:
            raise MetricError("no metrics returned from resource metrics API")
        return out, timestamp


def _milli(resource: str, nanocores: int, n_bytes: int) -> int:
    if resource == "cpu":
        return math.ceil(nanocores / 10**6)  # MilliValue of a nanocore quantity rounds up
    if resource == "memory":
        return n_bytes * 1000
    return 0


def _milli_text(value: int) -> str:
    """resource.NewMilliQuantity(value, DecimalSI).String()."""
    return str(Quantity.milli(value))


def _resource_proposal(calc: ReplicaCalculator, reader: MetricsReader, current: int, source: Obj, container: str,
                       now: float) -> tuple[int, str, Obj]:
    """computeStatusForResourceMetricGeneric: (replicas, metric name, current MetricValueStatus)."""
    resource = str(source.get("name") or "")
    target = source.get("target") or {}
    raw = target.get("averageValue") is not None
    if not raw and target.get("averageUtilization") is None:
        raise MetricError("invalid resource metric source: neither an average utilization target nor an average "
                          "value (usage) target was set")
    what = "usage" if raw else "utilization"
    try:
        metrics, stamp = reader.resource(resource, container)
    except MetricError as exc:
        raise MetricError(f"failed to get {resource} {what}: unable to get metrics for resource {resource}: "
                          f"{exc}") from None
    try:
        if raw:
            proposal = calc.raw_resource_replicas(current, milli_value(target["averageValue"]), resource,
                                                  reader.pods, metrics, stamp, now)
        else:
            proposal = calc.resource_replicas(current, int(target["averageUtilization"]), resource, reader.pods,
                                              metrics, stamp, now, container)
    except MetricError as exc:
        raise MetricError(f"failed to get {resource} {what}: {exc}") from None
    if raw:
        return proposal.replicas, f"{resource} resource", {"averageValue": _milli_text(proposal.raw)}
    kind = "container resource" if container else "resource"
    return (proposal.replicas, f"{resource} {kind} utilization (percentage of request)",
            {"averageValue": _milli_text(proposal.raw), "averageUtilization": proposal.utilization})


def compute_metric(calc: ReplicaCalculator, reader: MetricsReader, spec: Obj, current: int, now: float
                   ) -> tuple[int, str, Obj]:
    """computeReplicasForMetric: (replicas, metric name, MetricStatus), or ComputeError."""
    kind = spec.get("type")
    if kind == "Resource":
        source = spec.get("resource") or {}
        try:
            replicas, name, value = _resource_proposal(calc, reader, current, source, "", now)
        except MetricError as exc:
            raise ComputeError("FailedGetResourceMetric", str(exc),
                               f"failed to get {source.get('name')} resource metric value: {exc}", None) from None
        return replicas, name, {"type": "Resource", "resource": {"name": source.get("name"), "current": value}}
    if kind == "ContainerResource":
        source = spec.get("containerResource") or {}
        container = str(source.get("container") or "")
        try:
            replicas, name, value = _resource_proposal(calc, reader, current, source, container, now)
        except MetricError as exc:
            raise ComputeError("FailedGetContainerResourceMetric", str(exc),
                               f"failed to get {container} container metric value: {exc}", None) from None
        return replicas, name, {"type": "ContainerResource", "containerResource": {
            "name": source.get("name"), "container": container, "current": value}}
    if kind in ("Pods", "Object"):
        field = "pods" if kind == "Pods" else "object"
        metric = ((spec.get(field) or {}).get("metric") or {}).get("name", "")
        detail = f"unable to get metric {metric}: unable to fetch metrics from custom metrics API: {NO_CUSTOM_METRICS}"
        raise ComputeError(f"FailedGet{kind}Metric", detail, f"failed to get {field} metric value: {detail}", None)
    if kind == "External":
        metric = ((spec.get("external") or {}).get("metric") or {}).get("name", "")
        detail = (f"unable to get external metric {reader.namespace}/{metric}: unable to fetch metrics from "
                  f"external metrics API: {NO_EXTERNAL_METRICS}")
        raise ComputeError("FailedGetExternalMetric", detail, f"failed to get external metric value: {detail}", None)
    detail = f'unknown metric source type "{kind}"'
    raise ComputeError("InvalidMetricSourceType", detail, detail, None)
