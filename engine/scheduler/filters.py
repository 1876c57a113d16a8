"""The default profile's Filter plugins that k9py models, in upstream order.

Each filter returns None when the node passes, else a `FilterFailure` with the exact
reason strings upstream's plugins put in their Status. `unresolvable` mirrors the
UnschedulableAndUnresolvable code, which tells preemption not to bother with the node.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .node_info import NodeInfo
from .pod_info import PodInfo
from .taints import find_untolerated_taint

__all__ = [
    "ERR_NODE_AFFINITY",
    "ERR_NODE_NAME",
    "ERR_NODE_PORTS",
    "ERR_TOO_MANY_PODS",
    "ERR_UNSCHEDULABLE",
    "FILTERS",
    "FilterFailure",
    "FilterFn",
    "applicable_filters",
    "node_affinity",
    "node_name",
    "node_ports",
    "node_resources_fit",
    "node_unschedulable",
    "run_filters",
    "taint_toleration",
]

NODE_UNSCHEDULABLE = "NodeUnschedulable"
NODE_NAME = "NodeName"
TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
NODE_PORTS = "NodePorts"
NODE_RESOURCES_FIT = "NodeResourcesFit"

ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_NODE_NAME = "node(s) didn't match the requested node name"
ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS = "Too many pods"


@attrs.frozen
class FilterFailure:
    plugin: str
    reasons: tuple[str, ...]
    unresolvable: bool = False


_UNSCHEDULABLE = FilterFailure(NODE_UNSCHEDULABLE, (ERR_UNSCHEDULABLE,), unresolvable=True)
_NAME_MISMATCH = FilterFailure(NODE_NAME, (ERR_NODE_NAME,), unresolvable=True)
_AFFINITY_MISMATCH = FilterFailure(NODE_AFFINITY, (ERR_NODE_AFFINITY,), unresolvable=True)
# Port conflicts are plain Unschedulable: evicting the holder would free the port.
_PORTS_TAKEN = FilterFailure(NODE_PORTS, (ERR_NODE_PORTS,))


def node_unschedulable(pod: PodInfo, node: NodeInfo) -> FilterFailure | None:
    """A cordoned node only takes pods tolerating `node.kubernetes.io/unschedulable:NoSchedule`."""
    if node.unschedulable and not pod.tolerates_unschedulable:
        return _UNSCHEDULABLE
    return None


def node_name(pod: PodInfo, node: NodeInfo) -> FilterFailure | None:
    if pod.node_name and pod.node_name != node.name:
        return _NAME_MISMATCH
    return None


def taint_toleration(pod: PodInfo, node: NodeInfo) -> FilterFailure | None:
    """Only NoSchedule/NoExecute taints filter; the first untolerated one is reported."""
    if not node.filter_taints:
        return None
    taint = find_untolerated_taint(node.filter_taints, pod.tolerations)
    if taint is None:
        return None
    return FilterFailure(
        TAINT_TOLERATION,
        (f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}",),
        unresolvable=True,
    )


def node_affinity(pod: PodInfo, node: NodeInfo) -> FilterFailure | None:
    required = pod.required_affinity
    if required is None or required.matches(node.labels, node.name):
        return None
    return _AFFINITY_MISMATCH


def node_ports(pod: PodInfo, node: NodeInfo) -> FilterFailure | None:
    for port in pod.host_ports:
        if node.port_conflict(port):
            return _PORTS_TAKEN
    return None


def node_resources_fit(pod: PodInfo, node: NodeInfo) -> FilterFailure | None:
    """Every short resource is reported, in upstream's order (pods, cpu, memory, storage, scalar).

    The failure is unresolvable when some request exceeds the node's whole allocatable,
    since no amount of preemption could make room.
    """
    res = pod.resources
    # Quick accept first: this runs for every (node, pod template) pair. It is conservative
    # (a zero request on an overcommitted node falls through to the exact checks below).
    if (
        node.pod_count < node.allowed_pod_number
        and res.milli_cpu <= node.allocatable_milli_cpu - node.requested_milli_cpu
        and res.memory <= node.allocatable_memory - node.requested_memory
        and res.ephemeral_storage <= node.allocatable_ephemeral_storage - node.requested_ephemeral_storage
        and not res.scalar
    ):
        return None
    reasons: list[str] = []
    unresolvable = False
    if node.pod_count + 1 > node.allowed_pod_number:
        reasons.append(ERR_TOO_MANY_PODS)
    if not res.is_zero:
        cpu = res.milli_cpu
        if cpu > 0 and cpu > node.allocatable_milli_cpu - node.requested_milli_cpu:
            reasons.append("Insufficient cpu")
            unresolvable |= cpu > node.allocatable_milli_cpu
        memory = res.memory
        if memory > 0 and memory > node.allocatable_memory - node.requested_memory:
            reasons.append("Insufficient memory")
            unresolvable |= memory > node.allocatable_memory
        storage = res.ephemeral_storage
        if storage > 0 and storage > node.allocatable_ephemeral_storage - node.requested_ephemeral_storage:
            reasons.append("Insufficient ephemeral-storage")
            unresolvable |= storage > node.allocatable_ephemeral_storage
        for name, amount in res.scalar:
            allocatable = node.allocatable_scalar.get(name, 0)
            if amount > 0 and amount > allocatable - node.requested_scalar.get(name, 0):
                reasons.append(f"Insufficient {name}")
                unresolvable |= amount > allocatable
    if not reasons:
        return None
    return FilterFailure(NODE_RESOURCES_FIT, tuple(reasons), unresolvable)


FilterFn = Callable[[PodInfo, NodeInfo], "FilterFailure | None"]

FILTERS: tuple[tuple[str, FilterFn], ...] = (
    (NODE_UNSCHEDULABLE, node_unschedulable),
    (NODE_NAME, node_name),
    (TAINT_TOLERATION, taint_toleration),
    (NODE_AFFINITY, node_affinity),
    (NODE_PORTS, node_ports),
    (NODE_RESOURCES_FIT, node_resources_fit),
)


def applicable_filters(pod: PodInfo) -> tuple[FilterFn, ...]:
    """The filters, in order, that could reject this pod.

    The rest would pass every node (upstream they return Skip from PreFilter), so
    leaving them out changes no verdict and saves a call per node.
    """
    checks: list[FilterFn] = []
    if not pod.tolerates_unschedulable:
        checks.append(node_unschedulable)
    if pod.node_name:
        checks.append(node_name)
    checks.append(taint_toleration)
    if pod.required_affinity is not None:
        checks.append(node_affinity)
    if pod.host_ports:
        checks.append(node_ports)
    checks.append(node_resources_fit)
    return tuple(checks)


def run_filters(
    pod: PodInfo, node: NodeInfo, checks: tuple[FilterFn, ...] | None = None
) -> FilterFailure | None:
    """The framework stops at the first plugin that rejects a node."""
    for check in checks if checks is not None else applicable_filters(pod):
        failure = check(pod, node)
        if failure is not None:
            return failure
    return None
