"""The pod garbage collector (`k/k pkg/controller/podgc/gc_controller.go`), every 20 s (gcCheckPeriod):

- terminated pods (phase Succeeded or Failed) beyond `terminated_pod_threshold` (kube-controller-manager's
  `--terminated-pod-gc-threshold`, 12500) are deleted, evicted ones first, then oldest first;
- terminating pods on a node that is not Ready and carries the `node.kubernetes.io/out-of-service` taint are
  deleted;
- pods bound to a node that no longer exists are deleted once the node has been missing for 40 s (quarantine), so
  their controllers replace them; they are first marked Failed with a `DisruptionTarget` condition, reason
  `DeletionByPodGC`;
- terminating pods that were never scheduled are deleted.

Every deletion is a force delete (grace period 0), preceded by a status patch to phase Failed for a pod that is not
terminal yet (markFailedAndDeletePodWithCondition). PodGC records no events.
"""

from __future__ import annotations

from typing import Any

from .. import podutil
from ..errors import ApiError
from ..runtime import Controller, register_controller
from ..timeutil import format_time

Obj = dict[str, Any]

GC_CHECK_SECONDS = 20.0
QUARANTINE_SECONDS = 40.0
DEFAULT_TERMINATED_POD_THRESHOLD = 12500
OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service"
DISRUPTION_TARGET = "DisruptionTarget"
ORPHANED_CONDITION = {"type": DISRUPTION_TARGET, "status": "True", "reason": "DeletionByPodGC",
                      "message": "PodGC: node no longer exists"}
_KEY = "gc"  # one periodic pass over everything, as upstream's wait.Until loop


def _eviction_then_age(pod: Obj) -> tuple[bool, str, str]:
    """byEvictionAndCreationTimestamp: evicted pods first, then oldest, then by name."""
    status, meta = pod.get("status") or {}, pod["metadata"]
    evicted = status.get("phase") == "Failed" and status.get("reason") == "Evicted"
    return (not evicted, meta.get("creationTimestamp") or "", meta["name"])


def _node_ready(node: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


@register_controller
class PodGCController(Controller):
    name = "pod-garbage-collector"
    resources = ()  # purely periodic, like upstream

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        # Cluster(terminated_pod_gc_threshold=...) sets this; 0 or less turns terminated-pod GC off.
        self.terminated_pod_threshold = DEFAULT_TERMINATED_POD_THRESHOLD
        self._missing_since: dict[str, float] = {}  # the nodeQueue: node name -> when it was first found missing

    def start(self) -> None:
        self.queue.add_after(_KEY, GC_CHECK_SECONDS)

    def reconcile(self, key: str) -> float | None:
        # One pass over the pods sorts out the candidates of all four checks (four passes over 10,000 pods were
        # 24 ms of the event loop every 20 s); the checks then run in upstream's order, on this one snapshot as
        # upstream's run on one lister's.
        nodes = {n["metadata"]["name"]: n for n in self.store.iter("nodes")}
        gc_terminated = self.terminated_pod_threshold > 0
        terminated: list[Obj] = []
        terminating_on_nodes: list[Obj] = []  # terminating, bound to a node that exists
        unscheduled_terminating: list[Obj] = []
        bound_to_missing: list[Obj] = []
        for pod in self.store.iter("pods"):
            node_name = pod["spec"].get("nodeName")
            # isPodTerminated: any phase but Pending, Running and Unknown
            if gc_terminated and (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown"):
                terminated.append(pod)
            if node_name and node_name not in nodes:
                bound_to_missing.append(pod)
            if pod["metadata"].get("deletionTimestamp"):
                (terminating_on_nodes if node_name else unscheduled_terminating).append(pod)
        if gc_terminated:
            self._gc_terminated(terminated)
        self._gc_terminating(terminating_on_nodes, nodes)
        self._gc_orphaned(bound_to_missing, nodes)
        for pod in unscheduled_terminating:
            self._mark_failed_and_delete(pod)
        return GC_CHECK_SECONDS

    def _gc_terminated(self, terminated: list[Obj]) -> None:
        excess = len(terminated) - self.terminated_pod_threshold
        if excess <= 0:
            return
        for pod in sorted(terminated, key=_eviction_then_age)[:excess]:
            self._mark_failed_and_delete(pod)

    def _gc_terminating(self, terminating: list[Obj], nodes: dict[str, Obj]) -> None:
        """Terminating pods on a not-Ready node tainted out-of-service (non-graceful node shutdown)."""
        doomed = []
        for pod in terminating:
            node = nodes.get(pod["spec"].get("nodeName") or "")
            if node is None or _node_ready(node):
                continue
            if any(t.get("key") == OUT_OF_SERVICE_TAINT for t in (node.get("spec") or {}).get("taints") or ()):
                doomed.append(pod)
        for pod in sorted(doomed, key=_eviction_then_age):
            self._mark_failed_and_delete(pod)

    def _gc_orphaned(self, bound_to_missing: list[Obj], nodes: dict[str, Obj]) -> None:
        """`bound_to_missing`: the pods whose node is not in `nodes`."""
        now = self.clock.now()
        for pod in bound_to_missing:
            self._missing_since.setdefault(pod["spec"]["nodeName"], now)
        # discoverDeletedNodes: a node still missing once its quarantine is over is gone for good.
        deleted = set()
        for name, since in list(self._missing_since.items()):
            if name in nodes:
                del self._missing_since[name]
            elif now - since >= QUARANTINE_SECONDS:
                del self._missing_since[name]
                deleted.add(name)
        for pod in bound_to_missing:
            if pod["spec"]["nodeName"] in deleted:
                self._mark_failed_and_delete(pod, ORPHANED_CONDITION)

    def _mark_failed_and_delete(self, pod: Obj, condition: Obj | None = None) -> None:
        """markFailedAndDeletePodWithCondition: phase Failed (plus the condition) first, then a force delete."""
        meta = pod["metadata"]
        try:
            if not podutil.is_terminal(pod):
                status = dict(pod.get("status") or {})
                status["phase"] = "Failed"
                if condition is not None:
                    status["conditions"] = _with_condition(status.get("conditions") or [], condition,
                                                           format_time(self.clock.now()))
                self.api.update_status({**pod, "status": status})
            self.api.delete("pods", meta["name"], meta.get("namespace"), grace_period=0)
        except ApiError as exc:
            if exc.code != 404:  # already gone: nothing to do
                raise


def _with_condition(conditions: list[Obj], wanted: Obj, now: str) -> list[Obj]:
    """UpdatePodCondition: replace the condition of that type; lastTransitionTime moves only if status changes."""
    previous = next((c for c in conditions if c.get("type") == wanted["type"]), None)
    transition = previous.get("lastTransitionTime") if previous and previous.get("status") == wanted["status"] \
        else now
    merged = {**wanted, "lastProbeTime": None, "lastTransitionTime": transition}
    return [*(c for c in conditions if c.get("type") != wanted["type"]), merged]
