"""The Cluster Autoscaler (`kubernetes/autoscaler cluster-autoscaler/core/static_autoscaler.go` RunOnce), with a
simulated cloud provider whose node groups k9py declares (cluster_autoscaler_groups.py).

Every `--scan-interval` (10 s), while any node group is declared:

1. **Snapshot** the cluster: a NodeInfo per node with its pods; nodes still booting are replaced by copies of their
   group's template, as upstream adds upcoming nodes to its snapshot.
2. **Scale up** (`core/scaleup/orchestrator`): pending pods the scheduler marked Unschedulable that fit nowhere in
   the snapshot (FilterOutSchedulable) are tried against each group's template node with the scheduler's own
   filters; groups at their max are skipped. For each group the binpacking estimator counts the new nodes needed,
   `least-waste` picks one group, its machines are created (`<group>-<5 random>`, NotReady until the group's boot
   time passes) and the pods get `TriggeredScaleUp` ("pod triggered scale-up: [{group 1->3 (max: 10)}]"). When no
   group can help, each pod gets `NotTriggerScaleUp` with the reasons counted over groups ("pod didn't trigger
   scale-up: 1 max node group size reached, 1 node(s) didn't match Pod's node affinity/selector").
3. **Scale down** (`core/scaledown`): a group's node whose requested CPU and memory are both at most 50 % of
   allocatable, and whose pods may be moved (cluster_autoscaler_drain.py) and fit on other nodes, is unneeded; after
   10 minutes unneeded (20 when NotReady), outside the 10-minute delay after a scale-up and 3 minutes after a failed
   scale-down, and above the group's min size, it is tainted `ToBeDeletedByClusterAutoscaler` and cordoned
   (`--cordon-node-before-terminating`, default true), its pods evicted through the Eviction API (so
   PodDisruptionBudgets hold it back; retried every 10 s for up to 2 minutes), then the machine goes and its Node
   with it. Empty nodes go ten at a time, nodes with pods one at a time (`--max-drain-parallelism`).
4. **Status**: `kube-system/cluster-autoscaler-status` (cluster_autoscaler_status.py), with events on it as
   upstream's LogRecorder writes them (`ScaledUpGroup`, `ScaleDown`, `ScaleDownEmpty`).
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Iterable
from typing import Any, Protocol

import attrs

from .. import podutil
from ..api import GENERATE_NAME_ALPHABET
from ..errors import ApiError
from ..eviction import budgets_for, evict
from ..manifests.config_docs import ConfigKind, register_config_kind
from ..runtime import Controller, register_controller
from ..scheduler import FilterFailure, NodeInfo, get_pod_info
from ..store import Store, deep_copy
from .cluster_autoscaler_drain import PodMoves, is_daemon_set_pod, pods_to_move
from .cluster_autoscaler_groups import (
    KIND,
    PROVIDER_PREFIX,
    NodeGroup,
    as_node_groups,
    is_node_group_document,
    read_node_group,
)
from .cluster_autoscaler_simulator import NewNode, Snapshot, decreasing_size, estimate, least_waste, wasted
from .cluster_autoscaler_status import STATUS_CONFIGMAP, Condition, Counts, GroupStatus, status_configmap, status_text
from .daemonset_util import Placement

Obj = dict[str, Any]

COMPONENT = "cluster-autoscaler"
SCAN_INTERVAL = 10.0  # --scan-interval
SCALE_DOWN_UNNEEDED_TIME = 600.0  # --scale-down-unneeded-time
SCALE_DOWN_UNREADY_TIME = 1200.0  # --scale-down-unready-time
SCALE_DOWN_UTILIZATION_THRESHOLD = 0.5  # --scale-down-utilization-threshold
SCALE_DOWN_DELAY_AFTER_ADD = 600.0  # --scale-down-delay-after-add
SCALE_DOWN_DELAY_AFTER_FAILURE = 180.0  # --scale-down-delay-after-failure
MAX_EMPTY_BULK_DELETE = 10  # --max-empty-bulk-delete
MAX_DRAIN_PARALLELISM = 1  # --max-drain-parallelism
MAX_POD_EVICTION_TIME = 120.0  # --max-pod-eviction-time
EVICTION_RETRY_TIME = 10.0  # actuation/drain.go DefaultEvictionRetryTime
MAX_GRACEFUL_TERMINATION = 600  # --max-graceful-termination-sec
POD_EVICTION_HEADROOM = 30.0  # actuation/drain.go DefaultPodEvictionHeadroom
DRAIN_POLL = 5.0  # how often the actuator looks whether the evicted pods are gone
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"  # utils/taints/taints.go
NOT_READY_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
LOOP_KEY = "@loop"
DELETE_PREFIX = "delete:"


# The autoscaler of each cluster's store, for the NodeGroup documents of its watched folders.
_AUTOSCALERS: weakref.WeakKeyDictionary[Store, ClusterAutoscaler] = weakref.WeakKeyDictionary()


def _declare_folder_groups(store: Store, source: object, groups: list[NodeGroup]) -> None:
    autoscaler = _AUTOSCALERS.get(store)
    if autoscaler is not None:
        autoscaler.set_folder_groups(source, groups)


register_config_kind(
    ConfigKind(KIND, is_node_group_document, read_node_group, _declare_folder_groups, name=lambda group: group.name)
)


class Machines(Protocol):
    """Where machines come from: the kubelets (engine/kubelet/manager.py), set by the cluster."""

    kubelets: dict[str, Any]

    def add_node(
        self,
        name: str,
        cpu: str,
        memory: str,
        pods: int,
        labels: dict[str, str],
        taints: list[Obj] | None = None,
        booting: bool = False,
    ) -> Any: ...


@attrs.frozen
class Utilization:
    """utilization.Info for CPU and memory: the larger fraction decides (ResourceName, Utilization)."""

    cpu: float
    memory: float

    @property
    def value(self) -> float:
        return max(self.cpu, self.memory)

    def __str__(self) -> str:
        """Go's %v of the struct {CpuUtil MemUtil GpuUtil DynamicResourceUtil ResourceName Utilization}."""
        resource = "cpu" if self.cpu > self.memory else "memory"
        return f"{{{_go_float(self.cpu)} {_go_float(self.memory)} 0 0 {resource} {_go_float(self.value)}}}"


@attrs.define
class Deletion:
    """A node on its way out (actuation/actuator.go): its pods evicted, then the machine removed."""

    node: str
    group: str
    pods: list[Obj]
    daemon_set_pods: list[Obj]
    started: float
    evicted: set[str] = attrs.field(factory=set)


def _ready(node: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (node.get("status") or {}).get("conditions") or ()
    )


def _started(node: Obj) -> bool:
    """Ready, and rid of the node lifecycle controller's not-ready taint: until then the scheduler cannot use it,
    and the autoscaler counts it as an upcoming node (a template copy in its snapshot)."""
    return _ready(node) and not any(
        t.get("key") in NOT_READY_TAINTS for t in (node.get("spec") or {}).get("taints") or ()
    )


def _to_be_deleted(node: Obj) -> bool:
    return any(t.get("key") == TO_BE_DELETED_TAINT for t in (node.get("spec") or {}).get("taints") or ())


def _unschedulable(pod: Obj) -> bool:
    """A pod the scheduler gave up on (PodScheduled False, reason Unschedulable): what the autoscaler helps."""
    if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
        return False
    cond = podutil.condition(pod, "PodScheduled")
    return cond is not None and cond.get("status") == "False" and cond.get("reason") == "Unschedulable"


def _counted(pod: Obj) -> bool:
    return bool(pod["spec"].get("nodeName")) and not podutil.is_terminal(pod)


@register_controller
class ClusterAutoscaler(Controller):
    name = COMPONENT

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.groups: dict[str, NodeGroup] = {}  # the cloud's: those declared directly, then the folders'
        self.declared: list[NodeGroup] = []
        self.folders: dict[int, list[NodeGroup]] = {}  # by watched folder (engine/manifests/config_docs.py)
        self.machines: Machines | None = None
        self.instances: dict[str, str] = {}  # node name -> its group, for every machine a group created
        self.unneeded_since: dict[str, float] = {}
        self.unremovable: dict[str, str] = {}  # node -> why it stays (UnremovableReason, or the blocking pod's)
        self.deletions: dict[str, Deletion] = {}
        self.last_scale_up = -math.inf
        self.last_scale_down_failure = -math.inf
        self._conditions = (Condition(), Condition(), Condition())
        self._group_conditions: dict[str, tuple[Condition, Condition, Condition]] = {}
        _AUTOSCALERS[self.store] = self

    # --- configuration -------------------------------------------------------------------------------------

    def set_node_groups(self, groups: Iterable[NodeGroup | Obj]) -> None:
        """Declare the node groups given directly (`Cluster(node_groups=...)`, `Cluster.set_node_groups`),
        replacing those given before; the groups of watched folders stay."""
        self.declared = as_node_groups(groups)
        self._regroup()

    def set_folder_groups(self, source: object, groups: list[NodeGroup]) -> None:
        """The node groups a watched folder declares now (none: it declares none any more). A name given directly
        or by an earlier folder wins."""
        if groups:
            self.folders[id(source)] = list(groups)
        else:
            self.folders.pop(id(source), None)
        self._regroup()

    def _regroup(self) -> None:
        """Make the declared groups the cloud's. A new group starts at its min size, as a cloud provider's group
        is created with that many machines, and takes back the machines its providerID names (a group declared
        again after a moment away). A group no longer declared leaves its nodes where they are, no longer
        autoscaled: the cloud provider's NodeGroupForNode no longer knows them, and upstream skips such nodes
        rather than deleting them ("should not be processed by cluster autoscaler (no node group config)",
        `processors/nodes/pre_filtering_processor.go`)."""
        merged: dict[str, NodeGroup] = {}
        for group in itertools.chain(self.declared, *self.folders.values()):
            merged.setdefault(group.name, group)
        added = [name for name in merged if name not in self.groups]
        self.groups = merged
        self.instances = {node: group for node, group in self.instances.items() if group in merged}
        for node in self.store.iter("nodes"):
            group, _, name = (
                str((node.get("spec") or {}).get("providerID") or "").removeprefix(PROVIDER_PREFIX).partition("/")
            )
            if group in added and name == node["metadata"]["name"] and not node["metadata"].get("deletionTimestamp"):
                self.instances[name] = group
        for group in merged.values():
            missing = group.min_size - self._target(group.name)
            if missing > 0:
                self._increase(group, missing)
        if self.groups:
            self.queue.add(LOOP_KEY)

    def start(self) -> None:
        if self.groups:
            self.queue.add(LOOP_KEY)

    def _target(self, group: str) -> int:
        """TargetSize: the group's machines, less those being removed."""
        return sum(1 for node, g in self.instances.items() if g == group and node not in self.deletions)

    def _increase(self, group: NodeGroup, delta: int) -> list[str]:
        """IncreaseSize: `delta` new machines; each registers NotReady and turns Ready after the boot time."""
        if self.machines is None:
            raise RuntimeError("the cluster autoscaler has no machines to start (Cluster sets them)")
        names = []
        for _ in range(delta):
            name = self._machine_name(group.name)
            self.machines.add_node(
                name,
                group.cpu,
                group.memory,
                group.pods,
                group.node_labels(),
                group.taint_objects or None,
                booting=True,
            )
            self.api.patch("nodes", name, None, {"spec": {"providerID": f"k9py://{group.name}/{name}"}})
            self.instances[name] = group.name
            self.clock.call_later(group.boot_seconds, lambda name=name: self._booted(name))
            names.append(name)
        return names

    def _machine_name(self, group: str) -> str:
        while True:
            name = f"{group}-" + "".join(self.ctx.rng.choice(GENERATE_NAME_ALPHABET) for _ in range(5))
            if self.store.get("nodes", "", name) is None and (
                self.machines is None or name not in self.machines.kubelets
            ):
                return name

    def _booted(self, name: str) -> None:
        kubelet = self.machines.kubelets.get(name) if self.machines is not None else None
        if kubelet is not None:
            kubelet.finish_boot()

    # --- the loop ------------------------------------------------------------------------------------------

    def object_for_key(self, key: str) -> Obj | None:
        if key.startswith(DELETE_PREFIX):
            return self.store.get("nodes", "", key.removeprefix(DELETE_PREFIX))
        return None

    def reconcile(self, key: str) -> float | None:
        if key.startswith(DELETE_PREFIX):
            return self._step_deletion(key.removeprefix(DELETE_PREFIX))
        if not self.groups:
            return None
        self.run_once(self.clock.now())
        return SCAN_INTERVAL

    def run_once(self, now: float) -> None:
        nodes = {
            n["metadata"]["name"]: n for n in sorted(self.store.iter("nodes"), key=lambda n: n["metadata"]["name"])
        }
        self.instances = {name: g for name, g in self.instances.items() if name in nodes or name in self.deletions}
        pods_by_node: dict[str, list[Obj]] = {}
        pending: list[Obj] = []
        for pod in self.store.iter("pods"):
            if _counted(pod):
                pods_by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
            elif _unschedulable(pod):
                pending.append(pod)
        upcoming = {
            name
            for name in self.instances
            if name in nodes and not _started(nodes[name]) and not _to_be_deleted(nodes[name])
        }
        snapshot = Snapshot()
        for name, node in nodes.items():
            if name not in upcoming:
                snapshot.add_node(node, pods_by_node.get(name, ()))
        # Scale-down looks at the cluster as it is, before the scale-up simulation places pods in this snapshot.
        utilization = {info.name: self._utilization(info) for info in snapshot.nodes if info.name in self.instances}
        scaled_up = self._scale_up(now, snapshot, upcoming, pending)
        if scaled_up:
            self.last_scale_up = now
        self._scale_down(now, nodes, pods_by_node, utilization, scaled_up)
        self._write_status(now, nodes, upcoming)

    # --- scale-up ------------------------------------------------------------------------------------------

    def _daemon_pods(self, template: Obj) -> list[Obj]:
        """The DaemonSet pods a new node of a group would run (what the template NodeInfo carries upstream)."""
        out = []
        for ds in self.store.iter("daemonsets.apps"):
            if Placement(ds).should_run(template)[0]:
                spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
                out.append(
                    {
                        "metadata": {
                            "name": f"{ds['metadata']['name']}-template",
                            "namespace": ds["metadata"].get("namespace", ""),
                        },
                        "spec": {**spec, "nodeName": template["metadata"]["name"]},
                    }
                )
        return out

    def _templates(self) -> dict[str, NewNode]:
        """Per group, a new node of it by index: its template node and the DaemonSet pods it would run."""
        factories: dict[str, NewNode] = {}
        for group in self.groups.values():
            daemons = self._daemon_pods(group.template_node(f"template-node-for-{group.name}"))

            def factory(i: int, group: NodeGroup = group, daemons: list[Obj] = daemons) -> tuple[Obj, list[Obj]]:
                node = group.template_node(f"template-node-for-{group.name}-{i}")
                pods = [
                    {
                        **d,
                        "metadata": {**d["metadata"], "name": f"{d['metadata']['name']}-{i}"},
                        "spec": {**d["spec"], "nodeName": node["metadata"]["name"]},
                    }
                    for d in daemons
                ]
                return node, pods

            factories[group.name] = factory
        return factories

    def _scale_up(self, now: float, snapshot: Snapshot, upcoming: set[str], pending: list[Obj]) -> bool:
        if not pending:
            return False
        templates = self._templates()
        for index, name in enumerate(sorted(upcoming)):
            snapshot.add_node(*templates[self.instances[name]](-1 - index))
        # FilterOutSchedulable: pods that fit somewhere already (upcoming nodes included) need no new node.
        remaining = []
        resume: dict[int, int] = {}
        for pod in sorted(pending, key=lambda p: -(p["spec"].get("priority") or 0)):
            signature = _signature(pod)
            index = snapshot.first_fit(pod, start=resume.get(signature, 0))
            if index is None:
                resume[signature] = len(snapshot.nodes)
                remaining.append(pod)
            else:
                resume[signature] = index
                snapshot.nodes[index].add_pod(pod)
        if not remaining:
            return False
        options: list[tuple[str, float]] = []
        estimates = {}
        reasons: dict[str, dict[str, tuple[str, ...]]] = {}  # pod key -> group -> why not
        for group in self.groups.values():
            target = self._target(group.name)
            if target >= group.max_size:
                for pod in remaining:
                    reasons.setdefault(podutil.key_of(pod), {})[group.name] = ("max node group size reached",)
                continue
            empty = Snapshot()
            empty.add_node(*templates[group.name](0))
            fitting = []
            verdicts: dict[int, FilterFailure | None] = {}
            for pod in remaining:
                signature = _signature(pod)
                if signature not in verdicts:
                    verdicts[signature] = empty.failure(pod, empty.nodes[0])
                failure = verdicts[signature]
                if failure is None:
                    fitting.append(pod)
                else:
                    reasons.setdefault(podutil.key_of(pod), {})[group.name] = failure.reasons
            if not fitting:
                continue
            found = estimate(decreasing_size(fitting, empty.nodes[0]), templates[group.name], group.max_size - target)
            if found.node_count:
                estimates[group.name] = (target, found)
                options.append((group.name, wasted(empty.nodes[0], found.node_count, found.pods)))
        best = least_waste(options, self.ctx.rng)
        if best is None:
            for pod in remaining:
                self.recorder.record(
                    pod,
                    "Normal",
                    "NotTriggerScaleUp",
                    f"pod didn't trigger scale-up: {_reasons(reasons.get(podutil.key_of(pod), {}))}",
                    COMPONENT,
                )
            return False
        group = self.groups[best]
        target, found = estimates[best]
        new_size = target + found.node_count
        self._log_event(
            "ScaledUpGroup",
            f"Scale-up: setting group {best} size to {new_size} instead of {target} (max: {group.max_size})",
        )
        self._increase(group, found.node_count)
        self._log_event(
            "ScaledUpGroup",
            f"Scale-up: group {best} size set to {new_size} instead of {target} (max: {group.max_size})",
        )
        message = f"pod triggered scale-up: [{{{best} {target}->{new_size} (max: {group.max_size})}}]"
        for pod in found.pods:
            self.recorder.record(pod, "Normal", "TriggeredScaleUp", message, COMPONENT)
        return True

    # --- scale-down ----------------------------------------------------------------------------------------

    @staticmethod
    def _utilization(info: NodeInfo) -> Utilization:
        """utilization.Calculate: requested CPU and memory over allocatable; the larger one decides."""
        cpu = info.requested_milli_cpu / info.allocatable_milli_cpu if info.allocatable_milli_cpu else 0.0
        memory = info.requested_memory / info.allocatable_memory if info.allocatable_memory else 0.0
        return Utilization(cpu, memory)

    def _scale_down(
        self,
        now: float,
        nodes: dict[str, Obj],
        pods_by_node: dict[str, list[Obj]],
        utilization: dict[str, Utilization],
        scaled_up: bool,
    ) -> None:
        candidates = []
        self.unremovable = {}
        for name in sorted(utilization):
            node = nodes[name]
            if name in self.deletions or _to_be_deleted(node):
                self.unremovable[name] = "CurrentlyBeingDeleted"
            elif (node["metadata"].get("annotations") or {}).get(
                "cluster-autoscaler.kubernetes.io/scale-down-disabled"
            ) == "true":
                self.unremovable[name] = "ScaleDownDisabledAnnotation"
            elif utilization[name].value > SCALE_DOWN_UTILIZATION_THRESHOLD:
                self.unremovable[name] = "NotUnderutilized"
            else:
                candidates.append(name)
        moves = self._removable(now, nodes, pods_by_node, candidates) if candidates else {}
        for name in list(self.unneeded_since):
            if name not in moves:
                del self.unneeded_since[name]
        for name in moves:
            self.unneeded_since.setdefault(name, now)
        if (
            scaled_up
            or now - self.last_scale_up < SCALE_DOWN_DELAY_AFTER_ADD
            or now - self.last_scale_down_failure < SCALE_DOWN_DELAY_AFTER_FAILURE
        ):
            return  # scale-down in cooldown: unneeded times keep counting
        left = {g: self._target(g) - self.groups[g].min_size for g in self.groups}
        draining = sum(1 for d in self.deletions.values() if d.pods)
        empty_started = 0
        for name, move in moves.items():
            group = self.instances[name]
            wait = SCALE_DOWN_UNNEEDED_TIME if _ready(nodes[name]) else SCALE_DOWN_UNREADY_TIME
            if now - self.unneeded_since[name] < wait:
                continue
            if left.get(group, 0) <= 0:
                self.unremovable[name] = "NodeGroupMinSizeReached"
                continue
            if move.pods:
                if draining >= MAX_DRAIN_PARALLELISM:
                    continue
                draining += 1
            else:
                if empty_started >= MAX_EMPTY_BULK_DELETE:
                    continue
                empty_started += 1
            left[group] -= 1
            self._start_deletion(now, nodes[name], group, move, utilization[name])

    def _removable(
        self, now: float, nodes: dict[str, Obj], pods_by_node: dict[str, list[Obj]], candidates: list[str]
    ) -> dict[str, PodMoves]:
        """The candidates whose pods may all move and fit elsewhere, each on the cluster left by the ones before
        (the planner's removal simulation), on a snapshot of its own."""
        snapshot = Snapshot()
        for name, node in nodes.items():
            snapshot.add_node(node, pods_by_node.get(name, ()))
        gone: set[str] = {
            name for name, node in nodes.items() if not _ready(node) or _to_be_deleted(node) or name in self.deletions
        }
        remaining_budgets: dict[str, int] = {}
        removable: dict[str, PodMoves] = {}
        for name in candidates:
            move = pods_to_move(pods_by_node.get(name, ()), now, self._exists, self._budgets, remaining_budgets)
            if move.blocking is not None:
                self.unremovable[name] = f"BlockedByPod ({move.blocking.reason}: {move.blocking.message})"
                continue
            gone.add(name)
            placed: list[tuple[Obj, NodeInfo]] = []
            for bound in move.pods:
                pod = {**bound, "spec": {**bound["spec"], "nodeName": ""}}  # ClearPodNodeNames: to be rescheduled
                index = snapshot.first_fit(pod, skip=lambda node: node.name in gone)
                if index is None:
                    break
                snapshot.nodes[index].add_pod(pod)
                placed.append((pod, snapshot.nodes[index]))
            if len(placed) < len(move.pods):
                for pod, node in placed:
                    node.remove_pod(pod)
                gone.discard(name)
                self.unremovable[name] = "NoPlaceToMovePods"
                continue
            removable[name] = move
        return removable

    def _exists(self, resource: str, namespace: str, name: str) -> bool:
        return self.store.get(resource, namespace, name) is not None

    def _budgets(self, pod: Obj) -> list[Obj]:
        return budgets_for(self.api, pod)

    # --- actuation -----------------------------------------------------------------------------------------

    def _start_deletion(self, now: float, node: Obj, group: str, move: PodMoves, utilization: Utilization) -> None:
        name = node["metadata"]["name"]
        taints = [
            *(node["spec"].get("taints") or ()),
            {"key": TO_BE_DELETED_TAINT, "value": str(int(now)), "effect": "NoSchedule"},
        ]
        try:
            node = self.api.patch("nodes", name, None, {"spec": {"taints": taints, "unschedulable": True}})
        except ApiError as exc:
            self.recorder.record(
                node,
                "Warning",
                "ScaleDownFailed",
                f"failed to mark the node as toBeDeleted/unschedulable: {exc.message}",
                COMPONENT,
            )
            return
        self.recorder.record(node, "Normal", "ScaleDown", "marked the node as toBeDeleted/unschedulable", COMPONENT)
        if move.pods:
            self._log_event(
                "ScaleDown",
                f"Scale-down: removing node {name}, utilization: {utilization}, "
                "pods to reschedule: " + ",".join(podutil.key_of(p) for p in move.pods),
            )
        else:
            self._log_event("ScaleDownEmpty", f'Scale-down: removing empty node "{name}"')
        self.deletions[name] = Deletion(name, group, move.pods, move.daemon_set_pods, now)
        self.unneeded_since.pop(name, None)
        self.queue.add(DELETE_PREFIX + name)

    def _step_deletion(self, name: str) -> float | None:
        deletion = self.deletions.get(name)
        if deletion is None:
            return None
        now = self.clock.now()
        waiting = False
        for pod in deletion.pods + deletion.daemon_set_pods:
            key = podutil.key_of(pod)
            live = self.store.get("pods", pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
            if live is None or live["metadata"].get("uid") != pod["metadata"].get("uid") or key in deletion.evicted:
                continue
            grace = live["spec"].get("terminationGracePeriodSeconds")
            grace = MAX_GRACEFUL_TERMINATION if grace is None else min(grace, MAX_GRACEFUL_TERMINATION)
            try:
                if pod in deletion.pods:
                    self.recorder.record(live, "Normal", "ScaleDown", "deleting pod for node scale down", COMPONENT)
                evict(self.api, live, grace)
                deletion.evicted.add(key)
            except ApiError as exc:
                if is_daemon_set_pod(live):
                    deletion.evicted.add(key)  # DaemonSet pods are evicted best-effort
                    continue
                if now - deletion.started >= MAX_POD_EVICTION_TIME:
                    self._fail_deletion(
                        deletion, f"failed to evict pod {key} within allowed timeout (last error: {exc.message})"
                    )
                    return None
                waiting = True
        if waiting:
            return EVICTION_RETRY_TIME
        left = [p for p in deletion.pods if self._still_on(p, name)]
        if left:
            if now - deletion.started > MAX_GRACEFUL_TERMINATION + POD_EVICTION_HEADROOM + MAX_POD_EVICTION_TIME:
                self._fail_deletion(
                    deletion, "pods remaining after timeout: " + ", ".join(podutil.key_of(p) for p in left)
                )
                return None
            return DRAIN_POLL
        node = self.store.get("nodes", "", name)
        if node is not None:
            self.recorder.record(node, "Normal", "ScaleDown", "nodes removed by cluster autoscaler", COMPONENT)
            try:
                self.api.delete("nodes", name, None)
            except ApiError:
                return EVICTION_RETRY_TIME
        if deletion.pods:
            self._log_event("ScaleDown", f"Scale-down: node {name} removed with drain")
        else:
            self._log_event("ScaleDownEmpty", f"Scale-down: empty node {name} removed")
        del self.deletions[name]
        self.instances.pop(name, None)
        return None

    def _still_on(self, pod: Obj, node: str) -> bool:
        live = self.store.get("pods", pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
        return (
            live is not None
            and live["metadata"].get("uid") == pod["metadata"].get("uid")
            and live["spec"].get("nodeName") == node
            and not podutil.is_terminal(live)
        )

    def _fail_deletion(self, deletion: Deletion, error: str) -> None:
        """CleanUpAndRecordFailedScaleDownEvent: a warning on the node, the taint and cordon lifted."""
        del self.deletions[deletion.node]
        self.last_scale_down_failure = self.clock.now()
        node = self.store.get("nodes", "", deletion.node)
        if node is None:
            return
        what = "failed to drain and delete node" if deletion.pods else "failed to delete empty node"
        self.recorder.record(node, "Warning", "ScaleDownFailed", f"{what}: {error}", COMPONENT)
        taints = [t for t in node["spec"].get("taints") or () if t.get("key") != TO_BE_DELETED_TAINT]
        try:
            self.api.patch("nodes", deletion.node, None, {"spec": {"taints": taints or None, "unschedulable": None}})
        except ApiError:
            pass  # the node went meanwhile: nothing is left to give back

    # --- status --------------------------------------------------------------------------------------------

    def _status_object(self) -> Obj:
        existing = self.store.get("configmaps", "kube-system", STATUS_CONFIGMAP)
        if existing is not None:
            return existing
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": STATUS_CONFIGMAP, "namespace": "kube-system"},
        }

    def _log_event(self, reason: str, message: str) -> None:
        """LogRecorder: the events upstream records on its status ConfigMap."""
        self.recorder.record(self._status_object(), "Normal", reason, message, COMPONENT)

    def _write_status(self, now: float, nodes: dict[str, Obj], upcoming: set[str]) -> None:
        cluster = _counts(nodes.values(), upcoming)
        groups = []
        unneeded_by_group: dict[str, int] = {}
        for name in self.unneeded_since:
            group = self.instances.get(name)
            if group is not None:
                unneeded_by_group[group] = unneeded_by_group.get(group, 0) + 1
        for group in self.groups.values():
            members = [nodes[n] for n, g in self.instances.items() if g == group.name and n in nodes]
            conditions = self._group_conditions.setdefault(group.name, (Condition(), Condition(), Condition()))
            status = GroupStatus(
                group.name,
                _counts(members, upcoming),
                self._target(group.name),
                group.min_size,
                group.max_size,
                any(m["metadata"]["name"] in upcoming for m in members),
                unneeded_by_group.get(group.name, 0),
                *conditions,
            )
            groups.append(status)
        text = status_text(now, cluster, self._conditions, groups)
        existing = self.store.get("configmaps", "kube-system", STATUS_CONFIGMAP)
        try:
            if existing is None:
                self.api.create(status_configmap(None, text, now))
            else:
                self.api.update(status_configmap(deep_copy(existing), text, now))
        except ApiError:
            pass  # written again next loop, as upstream's "free retry each loop"


def _counts(nodes: Iterable[Obj], upcoming: set[str]) -> Counts:
    counts = Counts()
    for node in nodes:
        counts.total += 1
        if _to_be_deleted(node):
            counts.being_deleted += 1
        if _ready(node):
            counts.ready += 1
        elif node["metadata"]["name"] in upcoming:
            counts.not_started += 1
        else:
            counts.unready += 1
    return counts


def _signature(pod: Obj) -> int:
    return get_pod_info(pod).signature


def _reasons(by_group: dict[str, tuple[str, ...]]) -> str:
    """ReasonsMessage: each reason with the number of node groups that gave it."""
    counted: dict[str, int] = {}
    for reasons in by_group.values():
        for reason in reasons:
            counted[reason] = counted.get(reason, 0) + 1
    return ", ".join(f"{count} {reason}" for reason, count in counted.items())


def _go_float(value: float) -> str:
    """Go's %v of a float64: the shortest repr, without a trailing `.0`."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
