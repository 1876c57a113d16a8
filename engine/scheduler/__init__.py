"""Pure kube-scheduler logic: default-profile filters and scores over incrementally kept NodeInfos.

The caller owns the store: it keeps one `NodeInfo` per Node (adding and removing bound
pods), calls `schedule(pod, nodes)`, then binds and emits events from the result.
"""

from __future__ import annotations

from .explain import explain
from .filters import FILTERS, FilterFailure, run_filters
from .fit_error import NO_NODES_AVAILABLE, fit_error_message, preemption_message
from .node_info import NodeInfo
from .pod_info import PodInfo, get_pod_info, pod_key
from .requests import Resources, compute_pod_resources, is_scalar_resource_name
from .scheduler import NodeDecision, ScheduleResult, schedule
from .scores import MAX_NODE_SCORE, SCORE_WEIGHTS, default_normalize_score
from .taints import Taint, Toleration

__all__ = [
    "FILTERS",
    "MAX_NODE_SCORE",
    "NO_NODES_AVAILABLE",
    "SCORE_WEIGHTS",
    "FilterFailure",
    "NodeDecision",
    "NodeInfo",
    "PodInfo",
    "Resources",
    "ScheduleResult",
    "Taint",
    "Toleration",
    "compute_pod_resources",
    "default_normalize_score",
    "explain",
    "fit_error_message",
    "get_pod_info",
    "is_scalar_resource_name",
    "pod_key",
    "preemption_message",
    "run_filters",
    "schedule",
]
