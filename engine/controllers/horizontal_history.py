"""What each HPA saw at its last syncs, for the dashboard's chart: the replicas it found and wanted, and each
metric's current value in its target's units (a utilization in %, an average value as a number).

kube-controller-manager keeps no such history (`kubectl get hpa -w` is how one watches it); k9py keeps the last
`POINTS` syncs of each HPA (30 minutes at the 15 s period) so the chart has a past the moment it is opened. The
samples live in flat arrays (24 bytes a sync with one metric, up to twice `POINTS` kept before a trim: at most
6 KiB per HPA), so 1,000 HPAs cost a few MiB, not the tens of MiB a tuple per sample would.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

import attrs

from ..quantity import Quantity

Obj = dict[str, Any]
POINTS = 120  # 30 minutes of syncs at the 15 s period
UNKNOWN = math.nan
# The source field of each measurable metric type.
_SOURCES = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}


@attrs.frozen
class MetricSeries:
    """One metric of an HPA over its recent syncs: its label (`cpu`, `memory of app` for a container's), its unit
    (`%` for a utilization; for an average value the resource's name, `cpu` in cores or `memory` in bytes; `""`
    for any other number), its target in that unit and its values (NaN where it could not be computed)."""

    label: str
    unit: str
    target: float
    values: list[float]


@attrs.frozen
class ScaleHistory:
    """An HPA's recent syncs, oldest first: when, the replicas found (status.currentReplicas), the replicas
    wanted (status.desiredReplicas), and each metric."""

    times: list[float]
    replicas: list[int]
    desired: list[int]
    metrics: list[MetricSeries]


def _quantity(value: Any) -> float:
    try:
        return float(Quantity.parse(value).value)
    except (ValueError, TypeError):
        return UNKNOWN


def _target_of(spec: Obj) -> tuple[str, str, float]:
    """(label, unit, target) of a metric spec."""
    kind = str(spec.get("type") or "")
    source = spec.get(_SOURCES.get(kind, "")) or {}
    target = source.get("target") or {}
    if kind in ("Resource", "ContainerResource"):
        label = str(source.get("name", ""))
        if kind == "ContainerResource":
            label += f" of {source.get('container', '')}"
    else:
        label = str((source.get("metric") or {}).get("name", "")) or kind
    if target.get("averageUtilization") is not None:
        return label, "%", float(target["averageUtilization"])
    for key in ("averageValue", "value"):
        if target.get(key) is not None:
            unit = str(source.get("name", "")) if kind in ("Resource", "ContainerResource") else ""
            return label, unit, _quantity(target[key])
    return label, "", UNKNOWN


def _current_of(spec: Obj, status: Any) -> float:
    """A metric status's current value, in its spec's target units."""
    if not isinstance(status, dict):
        return UNKNOWN
    source = status.get(_SOURCES.get(str(spec.get("type") or ""), "")) or {}
    current = source.get("current") if isinstance(source, dict) else None
    if not isinstance(current, dict):
        return UNKNOWN
    target = (spec.get(_SOURCES.get(str(spec.get("type") or ""), "")) or {}).get("target") or {}
    if target.get("averageUtilization") is not None:
        value = current.get("averageUtilization")
        return float(value) if value is not None else UNKNOWN
    for key in ("averageValue", "value"):
        if current.get(key) is not None:
            return _quantity(current[key])
    return UNKNOWN


class HistoryBook:
    """The recent syncs of every HPA, by `namespace/name`."""

    def __init__(self, points: int = POINTS) -> None:
        self.points = points
        self._series: dict[str, _Series] = {}

    def record(self, key: str, now: float, hpa: Obj) -> None:
        """A sync of `hpa` just ended: note what its status says now."""
        specs = list((hpa.get("spec") or {}).get("metrics") or ())
        status = hpa.get("status") or {}
        statuses = list(status.get("currentMetrics") or ())
        values = [_current_of(s, statuses[i] if i < len(statuses) else None) for i, s in enumerate(specs)]
        series = self._series.get(key)
        if series is None or series.width != len(values):  # another set of metrics: another chart
            series = self._series[key] = _Series(len(values))
        series.add(
            self.points, now, int(status.get("currentReplicas") or 0), int(status.get("desiredReplicas") or 0), values
        )

    def forget(self, key: str) -> None:
        self._series.pop(key, None)

    def get(self, key: str, hpa: Obj) -> ScaleHistory | None:
        series = self._series.get(key)
        if series is None:
            return None
        specs = list((hpa.get("spec") or {}).get("metrics") or ())
        start = max(0, len(series.times) - self.points)
        metrics = []
        for i, spec in enumerate(specs[: series.width]):
            label, unit, target = _target_of(spec)
            values = list(series.values[start * series.width + i :: series.width])
            metrics.append(MetricSeries(label, unit, target, values))
        return ScaleHistory(
            list(series.times[start:]), list(series.replicas[start:]), list(series.desired[start:]), metrics
        )


class _Series:
    """Flat arrays of one HPA's samples: between `points` and twice as many are kept, so trimming is rare."""

    __slots__ = ("desired", "replicas", "times", "values", "width")

    def __init__(self, width: int) -> None:
        self.width = width
        self.times = array("d")
        self.replicas = array("i")
        self.desired = array("i")
        self.values = array("d")  # `width` values per sample

    def add(self, points: int, now: float, replicas: int, desired: int, values: list[float]) -> None:
        if len(self.times) >= 2 * points:
            drop = len(self.times) - points + 1
            del self.times[:drop], self.replicas[:drop], self.desired[:drop]
            del self.values[: drop * self.width]
        self.times.append(now)
        self.replicas.append(replicas)
        self.desired.append(desired)
        self.values.extend(values)
