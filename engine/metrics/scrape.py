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
    window: float


# Not frozen: a scrape makes one for each of 10,000 pods, and a frozen attrs class's __init__ (object.__setattr__ per
# field) took three times as long. Nothing changes a point once made: a batch is shared, as metrics-server's is.
@attrs.define(eq=True)
class PodPoint:
    namespace: str
    name: str
    uid: str
    timestamp: float
    window: float
    containers: tuple[ContainerPoint, ...]
    nanocores: int  # the containers' sums (`pod_point`)
    bytes: int


def pod_point(namespace: str, name: str, uid: str, timestamp: float, containers: tuple[ContainerPoint, ...]
              ) -> PodPoint:
    """A pod's point: its containers' (the first one's window), and their sums."""
    if len(containers) == 1:  # nearly every pod: no sums to add up
        only = containers[0]
        return PodPoint(namespace, name, uid, timestamp, only.window, containers, only.nanocores, only.bytes)
    return PodPoint(namespace, name, uid, timestamp, containers[0].window, containers,
                    sum(c.nanocores for c in containers), sum(c.bytes for c in containers))


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
    window = _window(account.started, at)
    if window is None:
        return None
    return account.cpu_between(at - window, at) / window, window


def _window(started: float, at: float) -> float | None:
    """The window of a container that started at `started`, scraped at `at`: the scrape period, a fresh
    container's time since its start, or None (too fresh: no earlier point)."""
    if started <= at - RESOLUTION_SECONDS:
        return RESOLUTION_SECONDS
    since = at - started
    return since if FRESH_CONTAINER_SECONDS <= since < RESOLUTION_SECONDS else None


class Scraper:
    """The last scrape's batch, for the cluster that started at `started`."""

    def __init__(self, kubelets: KubeletManager, started: float) -> None:
        self.kubelets = kubelets
        self.started = started
        self._batch: Batch | None = None
        # container id -> (its account's steady state, the point scraped from it): a steady container's point reads
        # the same at every scrape, so it is made once (10,000 of them made anew took a frame every 15 s).
        self._steady_points: dict[str, tuple[tuple[float, float, float], ContainerPoint]] = {}

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
        since = at - RESOLUTION_SECONDS
        if since < self.started:
            return Batch(at, pods, nodes)  # one scrape so far: nothing has two points yet
        store = self.kubelets.store
        for kubelet in list(self.kubelets.kubelets.values()):
            if not kubelet.running:
                continue
            kubelet.open_accounts()
            # Per pod uid: its running containers' points, None once one of them has no window.
            by_pod: dict[str, list[ContainerPoint] | None] = {}
            first: dict[str, Account] = {}
            node_cpu = SYSTEM_CPU * RESOLUTION_SECONDS
            node_memory = float(SYSTEM_MEMORY)
            for account in list(kubelet.accounts.values()):
                started, stopped = account.started, account.stopped
                if started >= at or (stopped is not None and stopped <= since):
                    continue
                steady = account.steady()
                steady_from, cores, memory = steady
                if stopped is None and steady_from <= since:
                    # Steady over the whole window (so started before it: the window is the scrape period).
                    used = cores * RESOLUTION_SECONDS
                    node_cpu += used
                    node_memory += memory
                    kept = self._steady_points.get(account.container_id)
                    if kept is None or kept[0] is not steady:
                        point = ContainerPoint(account.container, round(used / RESOLUTION_SECONDS * 1e9),
                                               round(memory), RESOLUTION_SECONDS)
                        kept = self._steady_points[account.container_id] = (steady, point)
                    uid = account.pod_uid
                    points = by_pod.get(uid, ())
                    if points == ():
                        by_pod[uid], first[uid] = [kept[1]], account
                    elif points is not None:
                        points.append(kept[1])
                    continue
                used = account.cpu_between(since, at)
                memory = account.memory(at)
                node_cpu += used  # the node's cgroup root counts every container
                if stopped is not None and stopped <= at:
                    continue
                node_memory += memory
                uid = account.pod_uid
                if uid not in by_pod:
                    by_pod[uid], first[uid] = [], account
                points = by_pod[uid]
                if points is None:
                    continue
                window = _window(started, at)
                if window is None:
                    by_pod[uid] = None
                    continue
                cores = used / window if window == RESOLUTION_SECONDS else \
                    account.cpu_between(at - window, at) / window
                points.append(ContainerPoint(account.container, round(cores * 1e9), round(memory), window))
            node = store.get("nodes", "", kubelet.name)
            created = (node or {}).get("metadata", {}).get("creationTimestamp")
            if node is not None and created and parse_time(created) <= since:
                nodes[kubelet.name] = NodePoint(kubelet.name, at, RESOLUTION_SECONDS,
                                                round(node_cpu / RESOLUTION_SECONDS * 1e9), round(node_memory))
            for uid, found in by_pod.items():
                if found:
                    a = first[uid]
                    pods[(a.namespace, a.pod)] = pod_point(a.namespace, a.pod, uid, at, tuple(found))
        if len(self._steady_points) > 2 * len(pods) + 1000:  # containers gone: forget theirs
            live = {a.container_id for k in self.kubelets.kubelets.values() for a in k.accounts.values()}
            self._steady_points = {cid: kept for cid, kept in self._steady_points.items() if cid in live}
        return Batch(at, pods, nodes)
