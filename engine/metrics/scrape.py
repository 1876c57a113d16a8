"""metrics-server's scrapes, computed when read.

metrics-server (kubernetes-sigs/metrics-server, with `--metric-resolution=15s` as its manifests set it) scrapes
every kubelet every 15 s for each running container's cumulative CPU and working set, keeps the last two
scrapes, and serves CPU as the rate between them and memory as of the last (`pkg/storage`):

- a container needs a point in both scrapes, from the same run; one started between 10 and 15 s before the last
  scrape counts from its start (a fresh container's first window); a pod is served only when all its running
  containers are;
- a node needs both scrapes; its usage is what its cgroup root sees: every container, and the node's own share;
- `timestamp` is the last scrape, `window` the time between the two (15s).

Here the scrapes fall every 15 s from the moment the cluster started, and nothing runs between reads: the batch
of the last scrape is computed from the kubelets' usage accounts the first time someone asks, and kept until the
next scrape is due. A kubelet that is down answers no scrape (its node and pods have no metrics).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import attrs

from ..timeutil import parse_time
from .usage import SYSTEM_CPU, SYSTEM_MEMORY, Account

if TYPE_CHECKING:
    from ..kubelet.manager import KubeletManager

RESOLUTION_SECONDS = 15.0  # --metric-resolution
FRESH_CONTAINER_SECONDS = 10.0  # freshContainerMinMetricsResolution


@attrs.frozen
class ContainerPoint:
    name: str
    nanocores: int
    bytes: int


@attrs.frozen
class PodPoint:
    namespace: str
    name: str
    uid: str
    timestamp: float
    window: float
    containers: tuple[ContainerPoint, ...]

    @property
    def nanocores(self) -> int:
        return sum(c.nanocores for c in self.containers)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.containers)


@attrs.frozen
class NodePoint:
    name: str
    timestamp: float
    window: float
    nanocores: int
    bytes: int


@attrs.frozen
class Batch:
    """What metrics-server holds after the scrape at `timestamp`."""

    timestamp: float
    pods: dict[tuple[str, str], PodPoint]
    nodes: dict[str, NodePoint]


def container_rate(account: Account, at: float) -> tuple[float, float] | None:
    """(cores used on average over the window ending at `at`, the window), or None when metrics-server has no
    earlier point for this run."""
    since = at - account.started
    if account.started <= at - RESOLUTION_SECONDS:
        window = RESOLUTION_SECONDS
    elif FRESH_CONTAINER_SECONDS <= since < RESOLUTION_SECONDS:
        window = since
    else:
        return None
    return (account.cpu_seconds(at) - account.cpu_seconds(at - window)) / window, window


def pod_sample(accounts: list[Account], at: float, order: dict[str, int]) -> tuple[float, list[ContainerPoint]] | None:
    """The window and container points of one pod's running containers at `at`; None when one has no window."""
    points = []
    window = None
    for account in sorted(accounts, key=lambda a: order.get(a.container, len(order))):
        rate = container_rate(account, at)
        if rate is None:
            return None
        window = rate[1] if window is None else window
        points.append(ContainerPoint(account.container, round(rate[0] * 1e9), round(account.memory(at))))
    return (window or RESOLUTION_SECONDS), points


class Scraper:
    """The last scrape's batch, for the cluster that started at `started`."""

    def __init__(self, kubelets: KubeletManager, started: float) -> None:
        self.kubelets = kubelets
        self.started = started
        self._batch: Batch | None = None

    def last_scrape(self, now: float) -> float:
        return self.started + math.floor((now - self.started) / RESOLUTION_SECONDS) * RESOLUTION_SECONDS

    def batch(self, now: float) -> Batch:
        at = self.last_scrape(now)
        if self._batch is None or self._batch.timestamp != at:
            self._batch = self._scrape(at)
        return self._batch

    def _scrape(self, at: float) -> Batch:
        pods: dict[tuple[str, str], PodPoint] = {}
        nodes: dict[str, NodePoint] = {}
        if at - RESOLUTION_SECONDS < self.started:
            return Batch(at, pods, nodes)  # one scrape so far: nothing has two points yet
        store = self.kubelets.store
        for kubelet in list(self.kubelets.kubelets.values()):
            if not kubelet.running:
                continue
            by_pod: dict[str, list[Account]] = {}
            node_cpu = SYSTEM_CPU * RESOLUTION_SECONDS
            node_memory = float(SYSTEM_MEMORY)
            for account in list(kubelet.accounts.values()):
                stopped = account.stopped
                if account.started >= at or (stopped is not None and stopped <= at - RESOLUTION_SECONDS):
                    continue
                node_cpu += account.cpu_seconds(at) - account.cpu_seconds(at - RESOLUTION_SECONDS)
                if account.running_at(at):
                    node_memory += account.memory(at)
                    by_pod.setdefault(account.pod_uid, []).append(account)
            node = store.get("nodes", "", kubelet.name)
            created = (node or {}).get("metadata", {}).get("creationTimestamp")
            if node is not None and created and parse_time(created) <= at - RESOLUTION_SECONDS:
                nodes[kubelet.name] = NodePoint(kubelet.name, at, RESOLUTION_SECONDS,
                                                round(node_cpu / RESOLUTION_SECONDS * 1e9), round(node_memory))
            for uid, accounts in by_pod.items():
                first = accounts[0]
                pod = store.get("pods", first.namespace, first.pod)
                if pod is None or pod["metadata"].get("uid") != uid:
                    continue
                spec = pod.get("spec") or {}
                names = [c.get("name") for c in (*(spec.get("containers") or ()), *(spec.get("initContainers") or ()))]
                sample = pod_sample(accounts, at, {str(n): i for i, n in enumerate(names)})
                if sample is not None:
                    pods[(first.namespace, first.pod)] = PodPoint(first.namespace, first.pod, uid, at, sample[0],
                                                                  tuple(sample[1]))
        return Batch(at, pods, nodes)
