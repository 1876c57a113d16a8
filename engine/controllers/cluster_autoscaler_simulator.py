"""The Cluster Autoscaler's scheduling simulations, on the engine's own scheduler filters.

- `Snapshot`: the ClusterSnapshot of one loop, a NodeInfo per node with the pods bound to it, where pods are
  placed first-fit as `SchedulePodOnAnyNodeMatching` does (the scheduler's Filter plugins, no scoring).
- `estimate`: the binpacking estimator (`estimator/binpacking_estimator.go`): how many template nodes of a group
  the pending pods need, up to the group's headroom.
- `least_waste`: the `least-waste` expander (`expander/waste/waste.go`): the option leaving the smallest fraction
  of CPU plus memory of its new nodes unrequested; ties go to the random expander.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ..scheduler import FilterFailure, NodeInfo, get_pod_info, run_filters
from ..scheduler.filters import applicable_filters
from ..scheduler.node_info import ChangeLog
from ..scheduler.pod_constraints import prepare

Obj = dict[str, Any]


class Snapshot:
    """NodeInfos the simulation may place pods on; nothing here touches the store. They report to one ChangeLog,
    so pod (anti-)affinity and topology spreading read an index kept as pods are placed, as in the scheduler."""

    def __init__(self, nodes: Iterable[Obj] = ()) -> None:
        self.changes = ChangeLog()
        self.nodes: list[NodeInfo] = []
        for node in nodes:
            self.add_node(node)

    def add_node(self, node: Obj, pods: Iterable[Obj] = ()) -> NodeInfo:
        info = NodeInfo(node, changes=self.changes)
        for pod in pods:
            info.add_pod(pod)
        self.nodes.append(info)
        self.changes.pods.nodes_changed()  # topology domains now include it
        return info

    def failure(self, pod: Obj, node: NodeInfo) -> FilterFailure | None:
        """Why `pod` does not fit `node` (None: it fits)."""
        info = get_pod_info(pod)
        failure = run_filters(info, node, applicable_filters(info))
        if failure is None:
            cycle = prepare(pod, info, self.nodes)
            if cycle is not None and cycle.filter is not None:
                failure = cycle.filter(node)
        return failure

    def first_fit(self, pod: Obj, skip: Callable[[NodeInfo], bool] | None = None, start: int = 0) -> int | None:
        """The index of the first node from `start` (not skipped) the pod fits on, or None."""
        info = get_pod_info(pod)
        checks = applicable_filters(info)
        cycle = prepare(pod, info, self.nodes)
        node_filter = cycle.filter if cycle is not None else None
        nodes = self.nodes
        for index in range(start, len(nodes)):
            node = nodes[index]
            if skip is not None and skip(node):
                continue
            if run_filters(info, node, checks) is None and (node_filter is None or node_filter(node) is None):
                return index
        return None


@attrs.frozen
class Estimate:
    node_count: int
    pods: list[Obj]  # the pending pods the new nodes would take


# A new node of a group: its template node (named by its index) and the DaemonSet pods it would run.
NewNode = Callable[[int], tuple[Obj, list[Obj]]]


def estimate(pods: Sequence[Obj], new_node: NewNode, limit: int) -> Estimate:
    """Binpack `pods` (each known to fit an empty template node) onto at most `limit` new nodes, first-fit: a pod
    tries the new nodes so far and opens a new one only when none takes it. Pods of one template never fit a
    node that one of them did not fit before (nodes only fill up), so each template resumes where it stopped."""
    snapshot = Snapshot()
    resume: dict[int, int] = {}
    placed: list[Obj] = []
    for pod in pods:
        info = get_pod_info(pod)
        start = 0 if info.has_pod_terms else resume.get(info.signature, 0)
        index = snapshot.first_fit(pod, start=start)
        if index is None:
            if len(snapshot.nodes) >= limit:
                continue
            node = snapshot.add_node(*new_node(len(snapshot.nodes)))
            if snapshot.failure(pod, node) is not None:
                # The pod fits no new node (its affinity, say): opening one does not help.
                snapshot.nodes.pop()
                snapshot.changes.pods.nodes_changed()
                continue
            index = len(snapshot.nodes) - 1
        snapshot.nodes[index].add_pod(pod)
        resume[info.signature] = index
        placed.append(pod)
    return Estimate(len(snapshot.nodes), placed)


def wasted(node: NodeInfo, count: int, pods: Iterable[Obj]) -> float:
    """least-waste's score: the unrequested fraction of the new nodes' CPU plus that of their memory."""
    cpu = memory = 0
    for pod in pods:
        resources = get_pod_info(pod).resources
        cpu += resources.milli_cpu
        memory += resources.memory
    avail_cpu = node.allocatable_milli_cpu * count
    avail_memory = node.allocatable_memory * count
    return (avail_cpu - cpu) / avail_cpu + (avail_memory - memory) / avail_memory


def least_waste(options: Sequence[tuple[str, float]], rng: random.Random) -> str | None:
    """The name of the option with the least waste; equally wasteful options are drawn at random."""
    if not options:
        return None
    best = min(score for _, score in options)
    tied = [name for name, score in options if score == best]
    return tied[0] if len(tied) == 1 else tied[rng.randrange(len(tied))]


def decreasing_size(pods: Iterable[Obj], node: NodeInfo) -> list[Obj]:
    """Pods largest first against the template (cpu and memory fractions), as the estimator's pod score sorts."""

    def score(pod: Obj) -> float:
        resources = get_pod_info(pod).resources
        return resources.milli_cpu / max(node.allocatable_milli_cpu, 1) + resources.memory / max(
            node.allocatable_memory, 1
        )

    return sorted(pods, key=score, reverse=True)
