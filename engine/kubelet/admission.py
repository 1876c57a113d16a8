"""Kubelet admission of a pod bound to its node: the resource part of `pkg/kubelet/lifecycle/predicate.go`
(predicateAdmitHandler.Admit, which runs the scheduler's NodeResourcesFit over the pods the kubelet already runs).

A pod that went through the scheduler always fits; one bound with `spec.nodeName` (bypassing the scheduler) may
not, and is then rejected: phase Failed, reason `OutOfcpu` (`OutOfmemory`, `OutOfpods`, ...), message
`Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 3500, capacity: 4000`.
Not modelled: the OS-label, node affinity, host port and NoExecute-taint checks of the same handler.
"""

from __future__ import annotations

from typing import Any

from ..scheduler.node_info import NodeInfo, pod_requests

Obj = dict[str, Any]

# kubelet.go rejectPod: the status message is this prefix and the admit result's message; the event has no prefix.
REJECTED_PREFIX = "Pod was rejected: "


def _insufficient(resource: str, requested: int, used: int, capacity: int) -> tuple[str, str]:
    """InsufficientResourceError: reason `OutOf<resource>` and its Error() text (cpu in millicores, bytes)."""
    return (f"OutOf{resource}",
            f"Node didn't have enough resource: {resource}, requested: {requested}, used: {used}, "
            f"capacity: {capacity}")


def admission_failure(pod: Obj, info: NodeInfo) -> tuple[str, str] | None:
    """(reason, message) of the first resource the node lacks for `pod`, given the node and the pods already
    admitted (`info`); None when it fits. Checked in upstream's order: pods, cpu, memory, ephemeral-storage, then
    extended resources; only the first failure is reported."""
    if info.pod_count + 1 > info.allowed_pod_number:
        return _insufficient("pods", 1, info.pod_count, info.allowed_pod_number)
    res = pod_requests(pod)
    if res.is_zero:
        return None
    checks = (
        ("cpu", res.milli_cpu, info.requested_milli_cpu, info.allocatable_milli_cpu),
        ("memory", res.memory, info.requested_memory, info.allocatable_memory),
        ("ephemeral-storage", res.ephemeral_storage, info.requested_ephemeral_storage,
         info.allocatable_ephemeral_storage),
        *((name, amount, info.requested_scalar.get(name, 0), info.allocatable_scalar.get(name, 0))
          for name, amount in res.scalar),
    )
    for name, requested, used, capacity in checks:
        if requested > 0 and requested > capacity - used:
            return _insufficient(name, requested, used, capacity)
    return None
