"""The default profile's Score plugins that k9py models, with upstream's integer maths.

Raw scores are per node; `default_normalize_score` is `helper.DefaultNormalizeScore`,
applied across the feasible nodes by plugins that have a NormalizeScore step.
"""

from __future__ import annotations

from collections.abc import Sequence

from .node_info import NodeInfo
from .pod_info import PodInfo
from .requests import Resources
from .taints import tolerations_tolerate

__all__ = [
    "BALANCED_ALLOCATION",
    "INTER_POD_AFFINITY",
    "MAX_NODE_SCORE",
    "NODE_AFFINITY",
    "NODE_RESOURCES_FIT",
    "POD_TOPOLOGY_SPREAD",
    "SCORE_WEIGHTS",
    "TAINT_TOLERATION",
    "balanced_allocation",
    "balanced_allocation_skipped",
    "default_normalize_score",
    "least_allocated",
    "least_requested_score",
    "node_affinity_raw",
    "taint_toleration_raw",
]

MAX_NODE_SCORE = 100

TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
NODE_RESOURCES_FIT = "NodeResourcesFit"
BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"
INTER_POD_AFFINITY = "InterPodAffinity"

# `apis/config/v1/default_plugins.go` weights.
SCORE_WEIGHTS: dict[str, int] = {
    TAINT_TOLERATION: 3,
    NODE_AFFINITY: 2,
    NODE_RESOURCES_FIT: 1,
    BALANCED_ALLOCATION: 1,
    POD_TOPOLOGY_SPREAD: 2,
    INTER_POD_AFFINITY: 2,
}


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def least_allocated(res: Resources, node: NodeInfo) -> int:
    """NodeResourcesFit LeastAllocated over cpu and memory, weight 1 each.

    Uses non-zero requests, so pods without requests still spread. Resources the node
    doesn't report are left out of the average rather than scored 0.
    """
    # least_requested_score inlined: this runs for every (node, pod template) pair.
    total = weights = 0
    capacity = node.allocatable_milli_cpu
    if capacity:
        requested = node.nonzero_milli_cpu + res.nonzero_milli_cpu
        if requested <= capacity:
            total += (capacity - requested) * MAX_NODE_SCORE // capacity
        weights += 1
    capacity = node.allocatable_memory
    if capacity:
        requested = node.nonzero_memory + res.nonzero_memory
        if requested <= capacity:
            total += (capacity - requested) * MAX_NODE_SCORE // capacity
        weights += 1
    return total // weights if weights else 0


def balanced_allocation_skipped(res: Resources) -> bool:
    """PreScore returns Skip for best-effort pods (k/k#129138): they'd all favour one node."""
    return res.milli_cpu == 0 and res.memory == 0


def balanced_allocation(res: Resources, node: NodeInfo) -> int:
    """`(1 - std) * 100` over the cpu and memory fractions, with real (not non-zero) requests.

    Each fraction is capped at 1; with fewer than two resources reported the std is 0.
    """
    cpu_capacity = node.allocatable_milli_cpu
    memory_capacity = node.allocatable_memory
    std = 0.0
    if cpu_capacity and memory_capacity:
        # float() each side first, as Go converts int64s before dividing.
        cpu = float(node.requested_milli_cpu + res.milli_cpu) / float(cpu_capacity)
        memory = float(node.requested_memory + res.memory) / float(memory_capacity)
        std = abs(((cpu if cpu < 1.0 else 1.0) - (memory if memory < 1.0 else 1.0)) / 2)
    return int((1 - std) * float(MAX_NODE_SCORE))


def taint_toleration_raw(pod: PodInfo, node: NodeInfo) -> int:
    """How many PreferNoSchedule taints the pod doesn't tolerate (normalised in reverse)."""
    if not node.prefer_taints:
        return 0
    tolerations = pod.prefer_tolerations
    return sum(1 for taint in node.prefer_taints if not tolerations_tolerate(tolerations, taint))


def node_affinity_raw(pod: PodInfo, node: NodeInfo) -> int:
    """Sum of the weights of the preferred terms the node matches."""
    preferred = pod.preferred_affinity
    if not preferred:
        return 0
    return sum(p.weight for p in preferred if p.term.matches(node.labels, node.name))


def default_normalize_score(scores: Sequence[int], reverse: bool) -> list[int]:
    """Scale to 0..100 by the maximum; reversed when fewer is better; all-zero reversed is all 100."""
    highest = max(scores, default=0)
    if highest <= 0:
        return [MAX_NODE_SCORE if reverse else score for score in scores]
    scaled = [MAX_NODE_SCORE * score // highest for score in scores]
    if reverse:
        return [MAX_NODE_SCORE - score for score in scaled]
    return scaled
