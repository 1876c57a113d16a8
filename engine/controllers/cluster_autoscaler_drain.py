"""Which pods the Cluster Autoscaler would have to move to remove a node, and which pod forbids it.

The drainability rules of `cluster-autoscaler/simulator/drainability/rules/rules.go` (Default), in upstream's
order, each answering for one pod: mirror and long-terminating pods are skipped, DaemonSet pods and pods annotated
`cluster-autoscaler.kubernetes.io/safe-to-evict: "true"` may go, and otherwise a pod blocks the node when it has
no controller (or one that is gone), is a kube-system pod no PodDisruptionBudget covers, is annotated
`safe-to-evict: "false"`, has local storage (emptyDir not in memory, hostPath) not listed in
`safe-to-evict-local-volumes`, or a budget that allows no more disruptions covers it
(`simulator/drain.go` GetPodsToMove, `utils/drain/drain.go`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from .. import podutil
from ..timeutil import parse_time

Obj = dict[str, Any]

SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
KUBE_SYSTEM = "kube-system"
# replicated/rule.go replicatedKind: the controllers --skip-nodes-with-custom-controller-pods (default true) trusts.
REPLICATED_KINDS = {
    "ReplicationController": "replicationcontrollers",
    "Job": "jobs.batch",
    "ReplicaSet": "replicasets.apps",
    "StatefulSet": "statefulsets.apps",
}
POD_LONG_TERMINATING_EXTRA = 30.0  # drain.PodLongTerminatingExtraThreshold
DEFAULT_GRACE = 30


@attrs.frozen
class Blocking:
    """The pod that keeps a node, and upstream's BlockingPodReason and error text for it."""

    pod: Obj
    reason: str  # NotReplicated, ControllerNotFound, UnmovableKubeSystemPod, NotSafeToEvictAnnotation, ...
    message: str


@attrs.frozen
class PodMoves:
    pods: list[Obj]  # to evict and reschedule elsewhere
    daemon_set_pods: list[Obj]  # evicted best-effort (they do not move)
    blocking: Blocking | None = None


def is_daemon_set_pod(pod: Obj) -> bool:
    ref = podutil.controller_ref(pod)
    return ref is not None and ref.get("kind") == "DaemonSet"


def _local_storage(pod: Obj) -> bool:
    allowed = {
        v for v in str((pod["metadata"].get("annotations") or {}).get(SAFE_TO_EVICT_LOCAL_VOLUMES, "")).split(",") if v
    }
    for volume in pod["spec"].get("volumes") or ():
        empty_dir = volume.get("emptyDir")
        local = "hostPath" in volume or (empty_dir is not None and (empty_dir or {}).get("medium") != "Memory")
        if local and volume.get("name") not in allowed:
            return True
    return False


def _long_terminating(pod: Obj, now: float) -> bool:
    deleted = pod["metadata"].get("deletionTimestamp")
    if not deleted:
        return False
    grace = pod["spec"].get("terminationGracePeriodSeconds")
    return parse_time(deleted) + (DEFAULT_GRACE if grace is None else grace) + POD_LONG_TERMINATING_EXTRA < now


def _blocking(
    pod: Obj, exists: Callable[[str, str, str], bool], budgets: list[Obj], left: Callable[[Obj], int]
) -> Blocking | None:
    """replicacount, replicated, system, notsafetoevict, localstorage and pdb, for a pod not let go before."""
    meta = pod["metadata"]
    namespace, name = meta.get("namespace", ""), meta["name"]
    ref = podutil.controller_ref(pod)
    if (
        ref is not None
        and ref.get("kind") in REPLICATED_KINDS
        and not exists(REPLICATED_KINDS[ref["kind"]], namespace, str(ref.get("name")))
    ):
        kind = "replication controller" if ref["kind"] == "ReplicationController" else ref["kind"]
        return Blocking(pod, "ControllerNotFound", f"{kind} for {namespace}/{name} is not available")
    if ref is None or ref.get("kind") not in REPLICATED_KINDS:
        return Blocking(pod, "NotReplicated", f"{namespace}/{name} is not replicated")
    if namespace == KUBE_SYSTEM and not budgets:
        return Blocking(
            pod,
            "UnmovableKubeSystemPod",
            f"non-daemonset, non-mirrored, non-pdb-assigned kube-system pod present: {name}",
        )
    if (meta.get("annotations") or {}).get(SAFE_TO_EVICT) == "false":
        return Blocking(pod, "NotSafeToEvictAnnotation", f"pod annotated as not safe to evict present: {name}")
    if _local_storage(pod):
        return Blocking(pod, "LocalStorageRequested", f"pod with local storage present: {name}")
    for pdb in budgets:
        if left(pdb) < 1:
            return Blocking(pod, "NotEnoughPdb", f"not enough pod disruption budget to move {namespace}/{name}")
    return None


def _budget_key(pdb: Obj) -> str:
    return f"{pdb['metadata'].get('namespace', '')}/{pdb['metadata']['name']}"


def pods_to_move(
    pods: Iterable[Obj],
    now: float,
    exists: Callable[[str, str, str], bool],
    budgets_for: Callable[[Obj], list[Obj]],
    remaining: dict[str, int],
) -> PodMoves:
    """GetPodsToMove for the pods bound to one node (terminal ones already left out). `remaining` is the
    RemainingPdbTracker: disruptions each budget still allows this loop, by `namespace/name`; it is spent only
    when the whole node can go, as the planner spends it."""
    moved: list[Obj] = []
    daemons: list[Obj] = []
    spend: dict[str, int] = {}
    for pod in pods:
        meta = pod["metadata"]
        annotations = meta.get("annotations") or {}
        if MIRROR_ANNOTATION in annotations or _long_terminating(pod, now):
            continue  # mirror / longterminating: skipped
        if is_daemon_set_pod(pod):
            daemons.append(pod)
            continue
        budgets = budgets_for(pod)
        for pdb in budgets:
            remaining.setdefault(_budget_key(pdb), int((pdb.get("status") or {}).get("disruptionsAllowed") or 0))
        if annotations.get(SAFE_TO_EVICT) != "true":
            blocked = _blocking(
                pod, exists, budgets, lambda pdb: remaining[_budget_key(pdb)] - spend.get(_budget_key(pdb), 0)
            )
            if blocked is not None:
                return PodMoves(moved, daemons, blocked)
        for pdb in budgets:
            key = _budget_key(pdb)
            spend[key] = spend.get(key, 0) + 1
        moved.append(pod)
    for key, count in spend.items():
        remaining[key] -= count
    return PodMoves(moved, daemons)
