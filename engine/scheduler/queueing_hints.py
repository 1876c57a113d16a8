"""QueueingHints for Node events: whether a Node add, update or delete may make an unschedulable pod schedulable.

Upstream's scheduling queue (k/k pkg/scheduler/backend/queue/scheduling_queue.go, movePodsToActiveOrBackoffQueue)
moves a pod out of the unschedulable pool on a cluster event only when one of the plugins that rejected it (its
UnschedulablePlugins) registered for that event and its QueueingHint answers Queue. For the node-local filters those
hints look at the Node alone (an empty NodeInfo, no pods), before and after:

- NodeResourcesFit (noderesources/fit.go isSchedulableAfterNodeChange): the pod fits the node's allocatable, and
  the node was added or one of the resources the pod requests grew (haveAnyRequestedResourcesIncreased).
- TaintToleration, NodeUnschedulable, NodeAffinity, NodeName (their isSchedulableAfterNode*): the filter passes
  the node now and did not before (or the node is new).

None of those register Node deletes. A pod some other plugin rejected (ports, pod affinity, topology spreading,
volumes, or a rejection at PreFilter) is requeued on every Node event that reaches here, as before: upstream's hints
for those read other pods as well, which this module does not model.

Why it matters: a booting node is added, gets its providerID, a not-ready taint and loses it again; only the add and
the taint's removal can help a pod that did not fit, and a scale-up of 200 nodes otherwise retried every pending pod
on each of those writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .filters import (
    NODE_AFFINITY,
    NODE_NAME,
    NODE_RESOURCES_FIT,
    NODE_UNSCHEDULABLE,
    TAINT_TOLERATION,
    FilterFn,
    node_affinity,
    node_name,
    node_resources_fit,
    node_unschedulable,
    taint_toleration,
)
from .node_info import NodeInfo
from .pod_info import PodInfo

__all__ = ["NodeEvent"]

# The filters whose hints need nothing but the Node: "passes now, and did not before".
_NODE_ONLY: dict[str, FilterFn] = {
    NODE_UNSCHEDULABLE: node_unschedulable,
    NODE_NAME: node_name,
    TAINT_TOLERATION: taint_toleration,
    NODE_AFFINITY: node_affinity,
}


def _requested_resource_increased(pod: PodInfo, old: NodeInfo, new: NodeInfo) -> bool:
    """haveAnyRequestedResourcesIncreased: more pods allowed, or more of a resource the pod requests."""
    res = pod.resources
    if new.allowed_pod_number > old.allowed_pod_number:
        return True
    return (
        (res.milli_cpu > 0 and new.allocatable_milli_cpu > old.allocatable_milli_cpu)
        or (res.memory > 0 and new.allocatable_memory > old.allocatable_memory)
        or (res.ephemeral_storage > 0 and new.allocatable_ephemeral_storage > old.allocatable_ephemeral_storage)
        or any(
            amount > 0 and new.allocatable_scalar.get(name, 0) > old.allocatable_scalar.get(name, 0)
            for name, amount in res.scalar
        )
    )


class NodeEvent:
    """One Node event as the hints see it: the node before (None: added) and after (None: deleted)."""

    def __init__(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        self._objects = (old, new)
        self._infos: tuple[NodeInfo | None, NodeInfo | None] | None = None  # built for the first pod asked about
        self._memo: dict[tuple[int, frozenset[str]], bool] = {}  # pods of one template share their answer

    @classmethod
    def of(cls, kind: str, old: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> NodeEvent:
        """From a watch event: ADDED has no node before, DELETED none after."""
        if kind == "ADDED":
            return cls(None, obj)
        if kind == "DELETED":
            return cls(obj, None)
        return cls(old, obj)

    def may_help(self, pod: PodInfo, rejected_by: frozenset[str]) -> bool:
        """Whether a pod that these plugins rejected should be tried again (Queue) or stay (QueueSkip)."""
        key = (pod.signature, rejected_by)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = not rejected_by or any(self._hint(plugin, pod) for plugin in rejected_by)
        return found

    def _hint(self, plugin: str, pod: PodInfo) -> bool:
        if self._infos is None:
            before, after = self._objects
            self._infos = (NodeInfo(dict(before)) if before else None, NodeInfo(dict(after)) if after else None)
        old, new = self._infos
        if plugin == NODE_RESOURCES_FIT:
            if new is None or node_resources_fit(pod, new) is not None:
                return False
            return old is None or _requested_resource_increased(pod, old, new)
        check = _NODE_ONLY.get(plugin)
        if check is None:
            return True  # a hint this module does not model: requeue, as without hints
        if new is None or check(pod, new) is not None:
            return False
        return old is None or check(pod, old) is not None
