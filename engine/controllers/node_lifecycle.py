"""Node lifecycle controller (`k/k pkg/controller/nodelifecycle/node_lifecycle_controller.go`).

Every `node-monitor-period` it checks each node's heartbeat (its Lease in kube-node-lease). A node silent for
longer than the grace period gets every condition set to Unknown (`NodeStatusUnknown`, "Kubelet stopped posting
node status."), its pods marked not ready, and the `unreachable` taints; a NotReady node gets the `not-ready`
taints. The taints are lifted when the node reports Ready again. Evicting pods from tainted nodes is the
taint-eviction controller's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..events import NODE_CONTROLLER
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time, parse_time
from .runtime import Controller

Obj = dict[str, Any]

NODE_MONITOR_PERIOD = 5.0
NODE_MONITOR_GRACE_PERIOD = 50.0  # k/k#127352 raised it from 40 s
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
MONITOR_KEY = "monitor"


def _ready(node: Obj) -> Obj | None:
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond
    return None


def desired_taints(node: Obj, now: str, existing: list[Obj]) -> list[Obj]:
    """The node's taints with the condition taints (TaintNodesByCondition, NoExecute) brought up to date."""
    ready = _ready(node)
    status = ready.get("status") if ready else "Unknown"
    managed = {UNREACHABLE, NOT_READY, UNSCHEDULABLE}
    keep = [t for t in existing if t.get("key") not in managed]
    wanted: list[tuple[str, str]] = []
    if status == "Unknown" and ready is not None:
        wanted = [(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")]
    elif status == "False":
        wanted = [(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")]
    if (node.get("spec") or {}).get("unschedulable"):
        wanted.append((UNSCHEDULABLE, "NoSchedule"))
    previous = {(t.get("key"), t.get("effect")): t for t in existing}
    for key, effect in wanted:
        taint = previous.get((key, effect)) or {"key": key, "effect": effect}
        if effect == "NoExecute" and "timeAdded" not in taint:
            taint = {**taint, "timeAdded": now}
        keep.append(taint)
    return keep


class NodeLifecycleController(Controller):
    name = NODE_CONTROLLER
    resources = ("nodes",)

    def start(self) -> None:
        self.queue.add(MONITOR_KEY)

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.type == "DELETED":
            return ()
        return (event.object["metadata"]["name"],)

    def object_for_key(self, key: str) -> Obj | None:
        return None if key == MONITOR_KEY else self.store.get("nodes", "", key)

    def reconcile(self, key: str) -> float | None:
        if key == MONITOR_KEY:
            for node in list(self.store.iter("nodes")):
                self._monitor(node)
            return NODE_MONITOR_PERIOD
        node = self.store.get("nodes", "", key)
        if node is not None:
            self._sync_taints(node)
        return None

    def _last_heartbeat(self, node: Obj) -> float:
        name = node["metadata"]["name"]
        times = []
        lease = self.store.get("leases.coordination.k8s.io", "kube-node-lease", name)
        if lease is not None and (lease.get("spec") or {}).get("renewTime"):
            times.append(parse_time(lease["spec"]["renewTime"]))
        ready = _ready(node)
        if ready is not None and ready.get("lastHeartbeatTime"):
            times.append(parse_time(ready["lastHeartbeatTime"]))
        if not times:
            times.append(parse_time(node["metadata"]["creationTimestamp"]))
        return max(times)

    def _monitor(self, node: Obj) -> None:
        now = self.clock.now()
        ready = _ready(node)
        if ready is None or ready.get("status") == "Unknown":
            return
        if now - self._last_heartbeat(node) <= NODE_MONITOR_GRACE_PERIOD:
            return
        stamp = format_time(now)
        status = deep_copy(node.get("status") or {})
        for cond in status.get("conditions") or ():
            cond.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                        lastTransitionTime=stamp)
        node = self.api.update_status({**node, "status": status})
        name = node["metadata"]["name"]
        self.recorder.record(node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady", self.name)
        self._mark_pods_not_ready(name)
        self._sync_taints(node)

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: the node's pods can no longer be trusted to serve."""
        stamp = format_time(self.clock.now())
        for pod in list(self.store.iter("pods")):
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            status = deep_copy(pod.get("status") or {})
            changed = False
            for cond in status.get("conditions") or ():
                if cond.get("type") == "Ready" and cond.get("status") != "False":
                    cond.update(status="False", lastTransitionTime=stamp)
                    changed = True
            if changed:
                try:
                    self.api.update_status({**pod, "status": status})
                except ApiError:
                    continue
                self.recorder.record(pod, "Warning", "NodeNotReady", "Node is not ready", self.name)

    def _sync_taints(self, node: Obj) -> None:
        existing = list((node.get("spec") or {}).get("taints") or ())
        taints = desired_taints(node, format_time(self.clock.now()), existing)
        if taints == existing:
            return
        updated = deep_copy(node)
        if taints:
            updated["spec"]["taints"] = taints
        else:
            updated["spec"].pop("taints", None)
        self.api.update(updated)
