"""The kubelet's node registration and its two heartbeats (KEP-589, "Efficient node heartbeats").

- The Lease `kube-node-lease/<node>`: created with the Node (owned by it, so it goes when the Node goes) and
  renewed every 10 s, a quarter of its 40 s duration (`pkg/kubelet/nodelease`, component-helpers
  `apimachinery/lease/controller.go`); recreated if someone deletes it.
- The Node status: posted when something changes, and otherwise re-posted every 5 minutes
  (nodeStatusReportFrequency, `kubelet_node_status.go` tryUpdateNodeStatus), which moves every condition's
  `lastHeartbeatTime`.

A mixin of `Kubelet`: it uses the kubelet's `api`, `clock`, `host`, `name` and `running`.
"""

from __future__ import annotations

from typing import Any

from ..clock import Timer
from ..errors import ApiError
from ..events import KUBELET
from ..timeutil import format_micro_time
from .node_status import lease_object, node_object, ready_conditions

Obj = dict[str, Any]

LEASE_NAMESPACE = "kube-node-lease"
LEASE_RESOURCE = "leases.coordination.k8s.io"
LEASE_RENEW_SECONDS = 10.0
NODE_STATUS_REPORT_SECONDS = 300.0


class HeartbeatMixin:
    """Registration, Lease renewal and periodic node status of one kubelet."""

    _lease_timer: Timer | None = None
    _status_timer: Timer | None = None
    # A machine still booting (a cloud node group's new node): registered, heartbeating, but not Ready until
    # `finish_boot`; nothing else may post it Ready before then.
    booting = False

    def register(self, cpu: str, memory: str, pods: int, labels: dict[str, str],
                 taints: list[Obj] | None = None, booting: bool = False) -> None:
        self.booting = booting
        node = node_object(self, cpu, memory, pods, labels, self.clock.now(), taints, booting)
        created = self.api.create(node)
        self._ensure_lease(created)
        for reason, message in (
            ("Starting", "Starting kubelet."),
            ("NodeHasSufficientMemory", f"Node {self.name} status is now: NodeHasSufficientMemory"),
            ("NodeHasNoDiskPressure", f"Node {self.name} status is now: NodeHasNoDiskPressure"),
            ("NodeHasSufficientPID", f"Node {self.name} status is now: NodeHasSufficientPID"),
            ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"),
            ("NodeReady", f"Node {self.name} status is now: NodeReady"),
        ):
            if reason != "NodeReady" or not booting:
                self.host.recorder.record(created, "Normal", reason, message, KUBELET, host=self.name)
        self._start_heartbeats()

    def finish_boot(self) -> None:
        """The machine has booted (its network plugin is up): the node turns Ready, as a kubelet reports it."""
        if not self.booting:
            return
        self.booting = False
        node = self.host.store.get("nodes", "", self.name)
        if node is None or not self.running:
            return
        conditions = ready_conditions(self.clock.now(), node["status"].get("conditions"))
        try:
            node = self.api.update_status({**node, "status": {**node["status"], "conditions": conditions}})
        except ApiError:
            return
        self.host.recorder.record(node, "Normal", "NodeReady", f"Node {self.name} status is now: NodeReady",
                                  KUBELET, host=self.name)

    def _start_heartbeats(self) -> None:
        self._lease_timer = self.clock.call_later(LEASE_RENEW_SECONDS, self._renew_lease)
        self._status_timer = self.clock.call_later(NODE_STATUS_REPORT_SECONDS, self._report_node_status)

    def _stop_heartbeats(self) -> None:
        for timer in (self._lease_timer, self._status_timer):
            if timer is not None:
                timer.cancel()
        self._lease_timer = self._status_timer = None

    def _ensure_lease(self, node: Obj | None) -> None:
        """Create the node's Lease if it is missing (the lease controller's ensureLease)."""
        if node is None or self.host.store.get(LEASE_RESOURCE, LEASE_NAMESPACE, self.name) is not None:
            return
        try:
            self.api.create(lease_object(self, node, self.clock.now()))
        except ApiError:
            pass

    def _renew_lease(self) -> None:
        if not self.running:
            return
        lease = self.host.store.get(LEASE_RESOURCE, LEASE_NAMESPACE, self.name)
        if lease is None:
            self._ensure_lease(self.host.store.get("nodes", "", self.name))
        else:
            spec = {**lease["spec"], "renewTime": format_micro_time(self.clock.now())}
            try:
                self.api.update({**lease, "spec": spec})
            except ApiError:
                pass
        self._lease_timer = self.clock.call_later(LEASE_RENEW_SECONDS, self._renew_lease)

    def _report_node_status(self) -> None:
        """Nothing changed for 5 minutes: post the same conditions with a fresh lastHeartbeatTime."""
        if not self.running:
            return
        self.post_ready()
        self._status_timer = self.clock.call_later(NODE_STATUS_REPORT_SECONDS, self._report_node_status)

    def post_ready(self) -> None:
        """Post healthy conditions; after a recovery the node lifecycle controller then lifts its taints."""
        node = self.host.store.get("nodes", "", self.name)
        if node is None or self.booting:
            return
        now = self.clock.now()
        was_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in node["status"].get("conditions") or ())
        conditions = ready_conditions(now, node["status"].get("conditions"), getattr(self, "memory_pressure", False))
        status = {**node["status"], "conditions": conditions}
        if status != node["status"]:
            try:
                node = self.api.update_status({**node, "status": status})
            except ApiError:
                return
        if not was_ready:
            # What a real kubelet records when its conditions turn healthy again.
            for reason in ("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady"):
                self.host.recorder.record(node, "Normal", reason, f"Node {self.name} status is now: {reason}",
                                          KUBELET, host=self.name)
