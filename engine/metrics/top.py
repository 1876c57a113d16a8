"""`kubectl top pods` and `kubectl top nodes`: kubectl's columns, units and order (`pkg/metricsutil`,
`pkg/cmd/top`).

- pods: NAME CPU(cores) MEMORY(bytes) (NAMESPACE first across namespaces; POD and the container's NAME with
  `containers=True`); CPU as `%dm` of the usage's MilliValue (rounded up), memory as `%dMi` (bytes / 2^20,
  rounded down); ordered by namespace and name.
- nodes: NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%), the shares of the node's allocatable (truncated); a node
  without metrics (its kubelet down, or too new) prints `<unknown>` in every column, after the others.
- no metrics at all: kubectl's errors (`metrics not available yet`; for pods older than two minutes, `Metrics not
  available for pod NS/NAME, age: 2m10s`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors
from ..printers.duration import timestamp
from ..quantity import bytes_value, cpu_millis
from .api import MetricsApi, millicores
from .scrape import PodPoint

Obj = dict[str, Any]
METRICS_CREATION_DELAY = 120.0  # kubectl's metricsCreationDelay
UNKNOWN = "<unknown>"


def _cpu(nanocores: int) -> str:
    return f"{millicores(nanocores)}m"


def _memory(n: int) -> str:
    return f"{n // 2**20}Mi"


def _go_age(seconds: float) -> str:
    """Go's Duration.String() of an age (`2m10.5s`)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    frac = seconds - whole
    sec_text = f"{secs + frac:.9f}".rstrip("0").rstrip(".") if frac else str(secs)
    if hours:
        return f"{hours}h{minutes}m{sec_text}s"
    if minutes:
        return f"{minutes}m{sec_text}s"
    return f"{sec_text}s"


def top_pods(api: MetricsApi, pods: Iterable[Obj], now: float, namespace: str | None,
             containers: bool = False) -> tuple[list[str], list[list[str]]]:
    pods = list(pods)
    points: list[PodPoint] = []
    for pod in pods:
        meta = pod["metadata"]
        point = api.pod_point(meta.get("namespace", ""), meta["name"])
        if point is not None and point.uid == meta.get("uid"):
            points.append(point)
    if not points:
        _no_pod_metrics(pods, now)
    points.sort(key=lambda p: ((p.namespace if namespace is None else ""), p.name))
    columns = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    if containers:
        columns.insert(0, "POD")
    if namespace is None:
        columns.insert(0, "NAMESPACE")
    rows = []
    for point in points:
        lead = [point.namespace] if namespace is None else []
        if containers:
            for c in sorted(point.containers, key=lambda c: c.name):
                rows.append([*lead, point.name, c.name, _cpu(c.nanocores), _memory(c.bytes)])
        else:
            rows.append([*lead, point.name, _cpu(point.nanocores), _memory(point.bytes)])
    return columns, rows


def _no_pod_metrics(pods: list[Obj], now: float) -> None:
    """verifyEmptyMetrics: nothing to show because the pods are new, or because something is wrong."""
    for pod in pods:
        created = timestamp(pod["metadata"].get("creationTimestamp"))
        age = now - created if created is not None else 0.0
        if age > METRICS_CREATION_DELAY:
            meta = pod["metadata"]
            raise errors.bad_request(f"Metrics not available for pod {meta.get('namespace')}/{meta['name']}, "
                                     f"age: {_go_age(age)}")
    if pods:
        raise errors.bad_request("metrics not available yet")


def top_nodes(api: MetricsApi, nodes: Iterable[Obj]) -> tuple[list[str], list[list[str]]]:
    columns = ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    rows, missing = [], []
    for node in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        name = node["metadata"]["name"]
        point = api.node_point(name)
        if point is None:
            missing.append([name] + [UNKNOWN] * 4)
            continue
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu_pct, mem_pct = _percent(millicores(point.nanocores), allocatable.get("cpu"), cpu_millis), \
            _percent(point.bytes * 1000, allocatable.get("memory"), lambda q: bytes_value(q) * 1000)
        rows.append([name, _cpu(point.nanocores), cpu_pct, _memory(point.bytes), mem_pct])
    if not rows:
        raise errors.bad_request("metrics not available yet")
    return columns, rows + missing


def _percent(used: int, available: Any, milli: Any) -> str:
    """kubectl: int64(used.MilliValue() / available.MilliValue() * 100), 0 when nothing is available."""
    try:
        total = milli(available) if available is not None else 0
    except ValueError:
        total = 0
    return f"{int(used / total * 100) if total else 0}%"
