"""Node lifecycle controller (`k/k pkg/controller/nodelifecycle/node_lifecycle_controller.go`).

Three loops, as upstream runs them:

- **NoSchedule tainting** (`doNoScheduleTaintingPass`, on every node change): node conditions map to NoSchedule
  taints (Ready False → `not-ready`, Unknown → `unreachable`, MemoryPressure/DiskPressure/PIDPressure/
  NetworkUnavailable True → their taints) and `spec.unschedulable` to `unschedulable`.
- **Health monitor** (`monitorNodeHealth`, every `node-monitor-period`): a node whose kubelet has been silent for
  longer than the grace period gets its conditions set to Unknown (`NodeStatusUnknown`, "Kubelet stopped posting
  node status."), a `NodeNotReady` event, and its pods marked not ready. The Ready condition *observed at the
  start of a pass* decides the NoExecute taint (`processTaintBaseEviction`): not ready → queue the node for
  tainting; ready → lift the NoExecute taints. So the NoExecute taint follows one pass after the node turns.
- **NoExecute tainting** (`doNoExecuteTaintingPass`): per zone, a rate-limited queue (`--node-eviction-rate`
  0.1 nodes/s, burst 1) adds `unreachable:NoExecute` or `not-ready:NoExecute`.

Zone disruption (`handleDisruption`): a zone with no ready node is fully disrupted; one with more than 2 not-ready
nodes making up at least 55 % is partially disrupted (tainting at 0.01 nodes/s in clusters over 50 nodes, not at
all in smaller ones). When every zone is fully disrupted the controller assumes the problem is its own
("master disruption mode"): it lifts every NoExecute taint and stops tainting until some node is Ready again.

Evicting pods from tainted nodes is the taint-eviction controller's job.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import attrs

from .. import podutil
from ..errors import ApiError
from ..events import NODE_CONTROLLER
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time, parse_time

Obj = dict[str, Any]

NODE_MONITOR_PERIOD = 5.0
NODE_MONITOR_GRACE_PERIOD = 50.0  # k/k#127352 raised it from 40 s
EVICTION_QPS = 0.1  # --node-eviction-rate
SECONDARY_EVICTION_QPS = 0.01  # --secondary-node-eviction-rate
LARGE_CLUSTER_THRESHOLD = 50  # --large-cluster-size-threshold
UNHEALTHY_ZONE_THRESHOLD = 0.55  # --unhealthy-zone-threshold
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
EXCLUDE_DISRUPTION = "node.kubernetes.io/exclude-disruption"
# Node names are DNS subdomains and never contain "@", so these keys cannot collide with a node's.
MONITOR_KEY = "@monitor"
NO_EXECUTE_KEY = "@noexecute-tainting"

# nodeConditionToTaintKeyStatusMap
CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
_CONDITION_TAINT_KEYS = {key for by_status in CONDITION_TAINTS.values() for key in by_status.values()}
# The kubelet-reported conditions the controller turns Unknown (NetworkUnavailable belongs to the network plugin).
_MONITORED_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

NORMAL, PARTIAL, FULL = "Normal", "PartialDisruption", "FullDisruption"


def _ready(node: Obj) -> Obj | None:
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond
    return None


def zone_key(node: Obj) -> str:
    """nodetopology.GetZoneKey: region and zone (falling back to the deprecated beta labels), "" without both."""
    labels = node["metadata"].get("labels") or {}
    zone = labels.get("topology.kubernetes.io/zone", labels.get("failure-domain.beta.kubernetes.io/zone", ""))
    region = labels.get("topology.kubernetes.io/region", labels.get("failure-domain.beta.kubernetes.io/region", ""))
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def no_schedule_taints(node: Obj) -> list[tuple[str, str]]:
    """The (key, effect) NoSchedule taints the node's conditions and spec call for."""
    wanted = []
    for cond in (node.get("status") or {}).get("conditions") or ():
        key = CONDITION_TAINTS.get(cond.get("type", ""), {}).get(cond.get("status", ""))
        if key:
            wanted.append((key, "NoSchedule"))
    if (node.get("spec") or {}).get("unschedulable"):
        wanted.append((UNSCHEDULABLE, "NoSchedule"))
    return wanted


def zone_state(ready_statuses: list[str | None]) -> str:
    """ComputeZoneState over the zone's Ready condition statuses (None: no condition)."""
    ready = sum(1 for s in ready_statuses if s == "True")
    not_ready = len(ready_statuses) - ready
    if ready == 0 and not_ready > 0:
        return FULL
    if not_ready > 2 and not_ready / (not_ready + ready) >= UNHEALTHY_ZONE_THRESHOLD:
        return PARTIAL
    return NORMAL


@attrs.define
class TokenBucket:
    """flowcontrol.NewTokenBucketRateLimiter(qps, burst=1); qps 0 is the never-accepting limiter."""

    qps: float
    tokens: float = 1.0
    last: float | None = None

    def _refill(self, now: float) -> None:
        if self.last is not None and self.qps > 0:
            self.tokens = min(1.0, self.tokens + (now - self.last) * self.qps)
        self.last = now

    def try_accept(self, now: float) -> bool:
        if self.qps <= 0:
            return False
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def seconds_until_token(self, now: float) -> float | None:
        if self.qps <= 0:
            return None
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.qps)


@attrs.define
class TaintQueue:
    """RateLimitedTimedQueue of node names, one per zone."""

    limiter: TokenBucket
    nodes: OrderedDict[str, None] = attrs.field(factory=OrderedDict)

    def swap_limiter(self, qps: float, now: float) -> None:
        """SwapLimiter: a fresh bucket, drained if the old one had no token (burst 1)."""
        if self.limiter.qps == qps:
            return
        fresh = TokenBucket(qps)
        if qps > 0 and not self.limiter.try_accept(now):
            fresh.try_accept(now)
        self.limiter = fresh


@register_controller
class NodeLifecycleController(Controller):
    name = NODE_CONTROLLER
    resources = ("nodes",)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.zone_states: dict[str, str] = {}
        self.taint_queues: dict[str, TaintQueue] = {}
        # Heartbeats older than this do not count (probe timestamps reset on leaving master disruption mode).
        self._probe_floor: dict[str, float] = {}

    def start(self) -> None:
        self.queue.add(MONITOR_KEY)
        for node in self.store.iter("nodes"):
            self.queue.add(node["metadata"]["name"])

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        name = event.object["metadata"]["name"]
        if event.type == "DELETED":
            for queue in self.taint_queues.values():
                queue.nodes.pop(name, None)
            self._probe_floor.pop(name, None)
            return ()
        if event.type == "ADDED":
            # recordNodeEvent: what `kubectl describe node` lists from the node controller.
            self.recorder.record(event.object, "Normal", "RegisteredNode",
                                 f"Node {name} event: Registered Node {name} in Controller", self.name)
        return (name,)

    def object_for_key(self, key: str) -> Obj | None:
        return None if key in (MONITOR_KEY, NO_EXECUTE_KEY) else self.store.get("nodes", "", key)

    def reconcile(self, key: str) -> float | None:
        if key == MONITOR_KEY:
            self._monitor_all()
            return NODE_MONITOR_PERIOD
        if key == NO_EXECUTE_KEY:
            return self._no_execute_tainting_pass()
        node = self.store.get("nodes", "", key)
        if node is not None:
            self._no_schedule_tainting_pass(node)
        return None

    # --- NoSchedule taints from conditions ----------------------------------------------------------------

    def _no_schedule_tainting_pass(self, node: Obj) -> None:
        existing = list((node.get("spec") or {}).get("taints") or ())
        managed = [t for t in existing if t.get("effect") == "NoSchedule"
                   and (t.get("key") == UNSCHEDULABLE or t.get("key") in _CONDITION_TAINT_KEYS)]
        wanted = no_schedule_taints(node)
        have = {(t.get("key"), t.get("effect")) for t in managed}
        to_add = [w for w in wanted if w not in have]
        to_remove = {(t.get("key"), t.get("effect")) for t in managed} - set(wanted)
        if to_add or to_remove:
            self._swap_taints(node, to_add, to_remove)

    def _swap_taints(self, node: Obj, to_add: list[tuple[str, str]], to_remove: set[tuple[str, str]]) -> Obj:
        """SwapNodeControllerTaint: every taint it adds carries timeAdded."""
        node = self.store.get("nodes", "", node["metadata"]["name"]) or node  # always edit the latest version
        existing = list((node.get("spec") or {}).get("taints") or ())
        stamp = format_time(self.clock.now())
        taints = [t for t in existing if (t.get("key"), t.get("effect")) not in to_remove]
        present = {(t.get("key"), t.get("effect")) for t in taints}
        taints.extend({"key": k, "effect": e, "timeAdded": stamp} for k, e in to_add if (k, e) not in present)
        if taints == existing:
            return node
        updated = deep_copy(node)
        if taints:
            updated["spec"]["taints"] = taints
        else:
            updated["spec"].pop("taints", None)
        return self.api.update(updated)

    # --- health monitor ------------------------------------------------------------------------------------

    def _last_heartbeat(self, node: Obj) -> float:
        name = node["metadata"]["name"]
        times = [self._probe_floor.get(name, float("-inf"))]
        lease = self.store.get("leases.coordination.k8s.io", "kube-node-lease", name)
        if lease is not None and (lease.get("spec") or {}).get("renewTime"):
            times.append(parse_time(lease["spec"]["renewTime"]))
        ready = _ready(node)
        if ready is not None and ready.get("lastHeartbeatTime"):
            times.append(parse_time(ready["lastHeartbeatTime"]))
        if len(times) == 1:
            times.append(parse_time(node["metadata"]["creationTimestamp"]))
        return max(times)

    def _monitor_all(self) -> None:
        zones: dict[str, list[str | None]] = {}
        nodes = sorted(self.store.iter("nodes"), key=lambda n: n["metadata"]["name"])
        for node in nodes:
            observed = _ready(node)
            observed_status = observed.get("status") if observed else None
            node = self._update_health(node)
            current = _ready(node)
            current_status = current.get("status") if current else None
            if EXCLUDE_DISRUPTION not in (node["metadata"].get("labels") or {}):
                zones.setdefault(zone_key(node), []).append(current_status)
            if current is None:
                continue
            self._process_taint_based_eviction(node, observed_status)
            if current_status != "True" and observed_status == "True":
                name = node["metadata"]["name"]
                self.recorder.record(node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady",
                                     self.name)
                self._mark_pods_not_ready(name)
        self._handle_disruption(zones, nodes)
        if any(queue.nodes for queue in self.taint_queues.values()):
            self.queue.add(NO_EXECUTE_KEY)

    def _update_health(self, node: Obj) -> Obj:
        """tryUpdateNodeHealth: past the grace period, every kubelet condition not yet Unknown turns Unknown."""
        if self.clock.now() - self._last_heartbeat(node) <= NODE_MONITOR_GRACE_PERIOD:
            return node
        stamp = format_time(self.clock.now())
        status = deep_copy(node.get("status") or {})
        conditions = status.setdefault("conditions", [])
        for kind in _MONITORED_CONDITIONS:
            cond = next((c for c in conditions if c.get("type") == kind), None)
            if cond is None:
                conditions.append({"type": kind, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.",
                                   "lastHeartbeatTime": node["metadata"]["creationTimestamp"],
                                   "lastTransitionTime": stamp})
            elif cond.get("status") != "Unknown":
                cond.update(status="Unknown", reason="NodeStatusUnknown",
                            message="Kubelet stopped posting node status.", lastTransitionTime=stamp)
        if _ready({"status": status}) == _ready(node):
            return node
        return self.api.update_status({**node, "status": status})

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: the node's pods can no longer be trusted to serve."""
        stamp = format_time(self.clock.now())
        for pod in list(self.store.iter("pods")):
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            ready = podutil.condition(pod, "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            status = deep_copy(pod.get("status") or {})
            for cond in status.get("conditions") or ():
                if cond.get("type") == "Ready":
                    cond.update(status="False", lastTransitionTime=stamp)
            try:
                self.api.update_status({**pod, "status": status})
            except ApiError:
                continue
            self.recorder.record(pod, "Warning", "NodeNotReady", "Node is not ready", self.name)

    # --- NoExecute taints ----------------------------------------------------------------------------------

    def _queue_for(self, zone: str) -> TaintQueue:
        queue = self.taint_queues.get(zone)
        if queue is None:
            # addPodEvictorForNewZone: a new zone starts in the initial state with the healthy rate.
            queue = self.taint_queues[zone] = TaintQueue(TokenBucket(EVICTION_QPS))
            self.zone_states.setdefault(zone, "Initial")
        return queue

    def _process_taint_based_eviction(self, node: Obj, observed_status: str | None) -> None:
        taints = {(t.get("key"), t.get("effect")) for t in (node.get("spec") or {}).get("taints") or ()}
        name = node["metadata"]["name"]
        if observed_status == "False":
            if (UNREACHABLE, "NoExecute") in taints:
                self._swap_taints(node, [(NOT_READY, "NoExecute")], {(UNREACHABLE, "NoExecute")})
            else:
                self._queue_for(zone_key(node)).nodes.setdefault(name, None)
        elif observed_status == "Unknown":
            if (NOT_READY, "NoExecute") in taints:
                self._swap_taints(node, [(UNREACHABLE, "NoExecute")], {(NOT_READY, "NoExecute")})
            else:
                self._queue_for(zone_key(node)).nodes.setdefault(name, None)
        elif observed_status == "True":
            self._mark_reachable(node)

    def _mark_reachable(self, node: Obj) -> None:
        """markNodeAsReachable: lift both NoExecute taints and forget any pending tainting."""
        self._swap_taints(node, [], {(UNREACHABLE, "NoExecute"), (NOT_READY, "NoExecute")})
        self._queue_for(zone_key(node)).nodes.pop(node["metadata"]["name"], None)

    def _no_execute_tainting_pass(self) -> float | None:
        """doNoExecuteTaintingPass: taint queued nodes as fast as each zone's limiter allows."""
        now = self.clock.now()
        waits = []
        for queue in self.taint_queues.values():
            while queue.nodes:
                if not queue.limiter.try_accept(now):
                    wait = queue.limiter.seconds_until_token(now)
                    if wait is not None:
                        waits.append(wait)
                    break
                name = next(iter(queue.nodes))
                del queue.nodes[name]
                node = self.store.get("nodes", "", name)
                ready = _ready(node) if node is not None else None
                if ready is None:
                    continue
                if ready.get("status") == "False":
                    self._swap_taints(node, [(NOT_READY, "NoExecute")], {(UNREACHABLE, "NoExecute")})
                elif ready.get("status") == "Unknown":
                    self._swap_taints(node, [(UNREACHABLE, "NoExecute")], {(NOT_READY, "NoExecute")})
                # Ready again: nothing to taint (the token is spent all the same, as upstream's Try does).
        # Upstream polls every 100 ms; waking when the next token is due is the same, minus the idle polls.
        return min(waits) + 0.001 if waits else None

    # --- zone disruption -----------------------------------------------------------------------------------

    def _zone_qps(self, state: str, zone_size: int) -> float:
        if state == PARTIAL:
            return SECONDARY_EVICTION_QPS if zone_size > LARGE_CLUSTER_THRESHOLD else 0.0
        return EVICTION_QPS  # normal, and a fully disrupted zone while others are healthy

    def _handle_disruption(self, zones: dict[str, list[str | None]], nodes: list[Obj]) -> None:
        now = self.clock.now()
        new_states = {zone: zone_state(statuses) for zone, statuses in zones.items()}
        for zone in zones:
            self._queue_for(zone)
        all_are_full = all(state == FULL for state in new_states.values())
        for zone in list(self.zone_states):
            if zone not in zones:
                del self.zone_states[zone]
        all_were_full = all(state == FULL for state in self.zone_states.values())
        if all_are_full and all_were_full:
            return
        if all_are_full:
            # Every node silent at once: more likely this controller's own network than the whole fleet.
            for node in nodes:
                current = self.store.get("nodes", "", node["metadata"]["name"])
                if current is not None:
                    self._mark_reachable(current)
            for zone in self.zone_states:
                self._queue_for(zone).swap_limiter(0.0, now)
                self.zone_states[zone] = FULL
            return
        if all_were_full:
            # Leaving master disruption mode: every node gets a fresh grace period.
            for node in nodes:
                self._probe_floor[node["metadata"]["name"]] = now
            for zone in self.zone_states:
                self._queue_for(zone).swap_limiter(self._zone_qps(new_states[zone], len(zones[zone])), now)
                self.zone_states[zone] = new_states[zone]
            return
        for zone, state in list(self.zone_states.items()):
            if state != new_states[zone]:
                self._queue_for(zone).swap_limiter(self._zone_qps(new_states[zone], len(zones[zone])), now)
                self.zone_states[zone] = new_states[zone]
