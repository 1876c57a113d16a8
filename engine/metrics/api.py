"""The metrics API (metrics.k8s.io/v1beta1) as metrics-server serves it, plus what the dashboard reads of usage.

    cluster.metrics.pod_metrics("shop", "app=frontend")   # PodMetrics dicts, as of the last scrape
    cluster.metrics.node_metrics()                        # NodeMetrics dicts

A pod or node appears once metrics-server has two scrapes of it (see scrape.py); a pod is listed only while it
exists, with its labels, as metrics-server lists it from its pod informer. Quantities are written as
metrics-server writes them: CPU in nanocores canonicalised (`250m`, `12345678n`), memory in bytes (`64Mi`,
`52355072`).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from ..clock import Clock
from ..quantity import BINARY_SI, DECIMAL_SI, Quantity
from ..selectors import LabelSelector, parse_label_selector
from ..store import Store
from ..timeutil import format_time, go_duration, parse_time
from .scrape import RESOLUTION_SECONDS, NodePoint, PodPoint, Scraper, container_rate
from .usage import SYSTEM_CPU, SYSTEM_MEMORY

if TYPE_CHECKING:
    from ..kubelet.manager import KubeletManager
    from .usage import Account

Obj = dict[str, Any]
GROUP = "metrics.k8s.io"
API_VERSION = f"{GROUP}/v1beta1"
SPARKLINE_POINTS = 20  # five minutes of scrapes


@functools.lru_cache(maxsize=65536)
def cpu_text(nanocores: int) -> str:
    """A CPU usage as metrics-server writes it (a DecimalSI quantity of nanocores, canonical)."""
    return str(Quantity(Fraction(nanocores, 10**9), DECIMAL_SI))


@functools.lru_cache(maxsize=65536)
def memory_text(n: int) -> str:
    return str(Quantity(n, BINARY_SI))


@attrs.define
class _Lookup:
    """One batch's points sorted for listing, and indexed by label once a selector asks (an autoscaler asks for
    its target's pods every 15 s: each must not scan every pod)."""

    timestamp: float
    points: list[PodPoint]  # by namespace and name
    by_label: dict[tuple[str, str], list[PodPoint]] | None = None


@attrs.frozen
class ContainerUsage:
    """A running container's usage now, for describe and the dashboard's detail pane."""

    name: str
    cpu_demand: float  # cores the app wants
    cpu_used: float  # cores it gets (throttled at its limit)
    cpu_limit: float  # cores; inf without a limit
    throttled: float  # the share of its demand the limit holds back, 0..1
    memory: float  # bytes
    memory_limit: float  # bytes; inf without a limit
    rps: float  # requests/s it serves


class MetricsApi:
    """metrics-server's API over the engine's scrapes."""

    def __init__(self, scraper: Scraper, store: Store, clock: Clock, kubelets: KubeletManager) -> None:
        self._scraper = scraper
        self._store = store
        self._clock = clock
        self._kubelets = kubelets
        self._cached: _Lookup | None = None
        # node -> ((last scrape, points), its history then): `node_history`'s answer until the next scrape
        self._node_histories: dict[str, tuple[tuple[float, int], list[tuple[float, float | None, float | None]]]] = {}

    # --- metrics.k8s.io ------------------------------------------------------------------------------------

    def pod_metrics(self, namespace: str, selector: str | None = None) -> list[dict]:
        """PodMetrics of the pods in `namespace` ("" for every namespace) that `selector` picks, by namespace and
        name, as of the last scrape."""
        label_selector = parse_label_selector(selector)
        store = self._store
        out = []
        for point in self._candidates(namespace, label_selector):
            if namespace and point.namespace != namespace:
                continue
            pod = store.get("pods", point.namespace, point.name)
            if pod is None or pod["metadata"].get("uid") != point.uid:
                continue
            labels = pod["metadata"].get("labels")
            if label_selector.empty or label_selector.matches(labels):
                out.append(self._pod_dict(point, labels))
        return out

    def _lookup(self) -> _Lookup:
        batch = self._scraper.batch(self._clock.now())
        if self._cached is None or self._cached.timestamp != batch.timestamp:
            points = sorted(batch.pods.values(), key=lambda p: (p.namespace, p.name))
            self._cached = _Lookup(batch.timestamp, points)
        return self._cached

    def _candidates(self, namespace: str, selector: LabelSelector) -> list[PodPoint]:
        """The points a selector can pick: those carrying one of its `key=value` labels, else every one."""
        lookup = self._lookup()
        wanted = next(((r.key, r.values[0]) for r in selector.requirements
                       if r.operator in ("=", "in") and len(r.values) == 1), None)
        if wanted is None:
            return lookup.points
        if lookup.by_label is None:
            index: dict[tuple[str, str], list[PodPoint]] = {}
            for point in lookup.points:
                pod = self._store.get("pods", point.namespace, point.name)
                for item in ((pod or {}).get("metadata", {}).get("labels") or {}).items():
                    index.setdefault(item, []).append(point)
            lookup.by_label = index
        return lookup.by_label.get(wanted, [])

    def pod_metric(self, namespace: str, name: str) -> dict | None:
        point = self.pod_point(namespace, name)
        pod = self._store.get("pods", namespace, name)
        if point is None or pod is None or pod["metadata"].get("uid") != point.uid:
            return None
        return self._pod_dict(point, pod["metadata"].get("labels"))

    def node_metrics(self) -> list[dict]:
        """NodeMetrics of every node with metrics, by name."""
        batch = self._scraper.batch(self._clock.now())
        return [d for name in sorted(batch.nodes) if (d := self.node_metric(name)) is not None]

    def node_metric(self, name: str) -> dict | None:
        point = self.node_point(name)
        node = self._store.get("nodes", "", name)
        if point is None or node is None:
            return None
        return {"kind": "NodeMetrics", "apiVersion": API_VERSION,
                "metadata": self._meta(name, None, node["metadata"].get("labels")),
                "timestamp": format_time(point.timestamp), "window": go_duration(point.window),
                "usage": {"cpu": cpu_text(point.nanocores), "memory": memory_text(point.bytes)}}

    # --- the records behind them ---------------------------------------------------------------------------

    def last_scrape(self) -> float:
        """When the last scrape was (the metrics' timestamp)."""
        return self._scraper.last_scrape(self._clock.now())

    def pod_point(self, namespace: str, name: str) -> PodPoint | None:
        return self._scraper.batch(self._clock.now()).pods.get((namespace, name))

    def node_point(self, name: str) -> NodePoint | None:
        return self._scraper.batch(self._clock.now()).nodes.get(name)

    def _meta(self, name: str, namespace: str | None, labels: Any) -> Obj:
        meta: Obj = {"name": name}
        if namespace is not None:
            meta["namespace"] = namespace
        meta["creationTimestamp"] = format_time(self._clock.now())  # metrics-server stamps each answer
        if labels:
            meta["labels"] = dict(labels)
        return meta

    def _pod_dict(self, point: PodPoint, labels: Any) -> dict:
        return {"kind": "PodMetrics", "apiVersion": API_VERSION,
                "metadata": self._meta(point.name, point.namespace, labels),
                "timestamp": format_time(point.timestamp), "window": go_duration(point.window),
                "containers": [{"name": c.name, "usage": {"cpu": cpu_text(c.nanocores), "memory": memory_text(c.bytes)}}
                               for c in point.containers]}

    # --- the dashboard's reads -----------------------------------------------------------------------------

    def _accounts(self, namespace: str, name: str) -> list[Account]:
        pod = self._store.get("pods", namespace, name)
        if pod is None:
            return []
        kubelet = self._kubelets.kubelets.get((pod.get("spec") or {}).get("nodeName") or "")
        if kubelet is None:
            return []
        uid = pod["metadata"].get("uid")
        kubelet.open_accounts()
        return [a for a in kubelet.accounts.values() if a.pod_uid == uid]

    def usage_now(self, namespace: str, name: str) -> list[ContainerUsage]:
        """Each running container of the pod, now: CPU wanted and used, throttling, memory, load."""
        now = self._clock.now()
        return [ContainerUsage(a.container, a.cpu_demand(now), a.cpu_used(now), a.cpu_limit, a.throttled(now),
                               a.memory(now), a.memory_limit, a.rps_at(now))
                for a in self._accounts(namespace, name) if a.running_at(now)]

    def history(self, namespace: str, name: str, points: int = SPARKLINE_POINTS
                ) -> list[tuple[float, float | None, float | None]]:
        """(scrape time, cores, bytes) of the pod at each of the last `points` scrapes, oldest first; None where
        metrics-server would have had nothing for it."""
        accounts = self._accounts(namespace, name)
        last = self.last_scrape()
        out: list[tuple[float, float | None, float | None]] = []
        for k in range(points - 1, -1, -1):
            at = last - k * RESOLUTION_SECONDS
            running = [a for a in accounts if a.running_at(at)]
            rates = [container_rate(a, at) for a in running]
            if not running or any(r is None for r in rates) or at - RESOLUTION_SECONDS < self._scraper.started:
                out.append((at, None, None))
                continue
            out.append((at, sum(r[0] for r in rates if r is not None), sum(a.memory(at) for a in running)))
        return out

    def node_history(self, name: str, points: int = SPARKLINE_POINTS) -> list[tuple[float, float | None, float | None]]:
        """(scrape time, cores, bytes) of the node at each of the last `points` scrapes, oldest first, as
        metrics-server scraped it (its containers, those that have stopped since included, and the node's own
        share); None before its second scrape and from when its kubelet went dark."""
        last = self.last_scrape()
        cached = self._node_histories.get(name)
        if cached is not None and cached[0] == (last, points):
            return cached[1]  # nothing it shows changes until the next scrape (a describe repaints every second)
        out = self._node_history(name, last, points)
        if len(self._node_histories) > 1000:
            self._node_histories.clear()
        self._node_histories[name] = ((last, points), out)
        return out

    def _node_history(self, name: str, last: float, points: int) -> list[tuple[float, float | None, float | None]]:
        times = [last - k * RESOLUTION_SECONDS for k in range(points - 1, -1, -1)]
        kubelet = self._kubelets.kubelets.get(name)
        node = self._store.get("nodes", "", name)
        created = (node or {}).get("metadata", {}).get("creationTimestamp")
        if kubelet is None or not created:
            return [(at, None, None) for at in times]
        kubelet.open_accounts()
        accounts = list(kubelet.accounts.values())
        # The first scrape with two points of the node, as the scraper's (scrape.py) first NodePoint.
        first = max(self._scraper.started, parse_time(created)) + RESOLUTION_SECONDS
        down = kubelet.down_since if not kubelet.running else None
        out: list[tuple[float, float | None, float | None]] = []
        for at in times:
            if at < first or (down is not None and at > down):
                out.append((at, None, None))
                continue
            since = at - RESOLUTION_SECONDS
            cpu, memory = SYSTEM_CPU * RESOLUTION_SECONDS, float(SYSTEM_MEMORY)
            for account in accounts:
                if account.started >= at or (account.stopped is not None and account.stopped <= since):
                    continue
                cpu += account.cpu_between(since, at)
                if account.stopped is None or account.stopped > at:
                    memory += account.memory(at)
            out.append((at, cpu / RESOLUTION_SECONDS, memory))
        return out


def millicores(nanocores: int) -> int:
    """`Quantity.MilliValue()` of a CPU usage: rounded up."""
    return math.ceil(nanocores / 10**6)
