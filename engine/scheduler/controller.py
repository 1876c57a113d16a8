"""kube-scheduler's loop around the pure scheduling logic: the cache of NodeInfos, the queue of pending pods,
binding, `Scheduled`/`FailedScheduling` events and the PodScheduled condition.

Unschedulable pods wait until the cluster changes (a node added or updated, a pod leaving a node) and are
retried then, or after `UNSCHEDULABLE_RETRY` at the latest (podMaxInUnschedulablePodsDuration).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Container, Iterable, Mapping
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..events import SCHEDULER
from ..runtime import Controller
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time
from .default_spread import DefaultSpreading
from .explain import explain
from .interpod_affinity import INTER_POD_AFFINITY
from .node_info import NodeInfo
from .pod_index import Condition, pod_ref
from .pod_info import PodInfo, get_pod_info
from .pod_terms import pod_terms
from .preemption import Preemption, pod_priority
from .profile_registry import INVALID_CONFIGURATION, PROFILE_ANNOTATION, profiles_for
from .profiles import DEFAULT_SCHEDULER
from .queue import SchedulingQueue
from .queueing_hints import NodeEvent
from .scheduler import ScheduleResult, VerdictRows, schedule
from .topology_spread import POD_TOPOLOGY_SPREAD
from .volume_binding import VOLUME_RESOURCES, VolumeBinder, dry_run, has_claims, schedule_with_volumes

Obj = dict[str, Any]
UNSCHEDULABLE_RETRY = 300.0
KEPT_DECISIONS = 2000


def _counts_on_node(pod: Obj) -> bool:
    return bool(pod["spec"].get("nodeName")) and not podutil.is_terminal(pod)


def _is_pending(pod: Obj, schedulers: Container[str] = (DEFAULT_SCHEDULER,)) -> bool:
    """Unbound, not going away, not gated, and named a scheduler that runs (a pod naming none is left alone, without
    an event, as every kube-scheduler ignores a pod of another scheduler's)."""
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and not pod["metadata"].get("deletionTimestamp")
        and spec.get("schedulerName", DEFAULT_SCHEDULER) in schedulers
        and not spec.get("schedulingGates")
    )


class SchedulerController(Controller):
    name = SCHEDULER
    resources = ("nodes", "pods", *VOLUME_RESOURCES)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.nodes: dict[str, NodeInfo] = {}
        self._sorted: list[NodeInfo] | None = None
        self.unschedulable: set[str] = set()
        # Of each unschedulable pod: its spec as scheduled and its UnschedulablePlugins, for the queueing hints.
        self._rejected_by: dict[str, tuple[PodInfo, frozenset[str]]] = {}
        self.decisions: OrderedDict[str, ScheduleResult] = OrderedDict()
        self._next_start = 0  # nextStartNodeIndex: large clusters check a rotating subset of nodes
        self._rows = VerdictRows()  # per-template verdicts over `_node_list()`, which it follows by identity
        self._rows.changes.pods.namespace_labels = self._namespace_labels
        # The profiles served (scheduler/profile_registry.py) and PodTopologySpread's default constraints.
        self.profiles = profiles_for(self.store)
        self.profiles.listeners.append(self._profiles_changed)
        self.profiles.on_invalid = self._invalid_configuration
        self._rows.changes.pods.profile_for = self.profiles.profile
        self._rows.changes.pods.default_spreading = DefaultSpreading(self.store)
        # Unschedulable pods that InterPodAffinity or PodTopologySpread rejected: a pod bound elsewhere may
        # make room for them (upstream's queueing hints for Pod/Add).
        self._waiting_for_pods: set[str] = set()
        self.volumes = VolumeBinder(self.store, self.api, self.clock)  # VolumeBinding's PreBind waits
        self.queue = SchedulingQueue(self.clock, ctx.wake, self._priority_of)  # PrioritySort
        self.preemption = Preemption(self)  # DefaultPreemption, and the nominated pods it leaves

    def start(self) -> None:
        for node in self.store.iter("nodes"):
            self._set_node(node)
        for pod in self.store.iter("pods"):
            if _counts_on_node(pod) and pod["spec"]["nodeName"] in self.nodes:
                self.nodes[pod["spec"]["nodeName"]].add_pod(pod)
                self.preemption.bound(pod, 1)
            elif _is_pending(pod, self.profiles.names):
                self.preemption.nominated.update(podutil.key_of(pod), pod)
                self.queue.add(podutil.key_of(pod))

    def _priority_of(self, key: str) -> int:
        pod = self.object_for_key(key)
        return pod_priority(pod) if pod is not None else 0

    def _profiles_changed(self) -> None:
        """A profile started or stopped running, or its configuration changed: its pending pods go (back) to the
        queue, and the unschedulable ones are tried again with what may be new weights or filters."""
        names = self.profiles.names
        for pod in self.store.iter("pods"):
            if _is_pending(pod, names) and pod["spec"].get("schedulerName", DEFAULT_SCHEDULER) != DEFAULT_SCHEDULER:
                self.queue.add(podutil.key_of(pod))
        self._retry_unschedulable()

    def _invalid_configuration(self, pod: Mapping[str, Any], message: str) -> None:
        """A custom scheduler's pod mounts a configuration its kube-scheduler would exit on (profile_registry.py)."""
        served = ((pod.get("metadata") or {}).get("annotations") or {}).get(PROFILE_ANNOTATION) or self.name
        self.recorder.record(dict(pod), "Warning", INVALID_CONFIGURATION, message, str(served))

    def _set_node(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        info = self.nodes.get(name)
        if info is None:
            self.nodes[name] = NodeInfo(node, changes=self._rows.changes)
            self._sorted = None
        else:
            info.set_node(node)

    def _namespace_labels(self) -> dict[str, dict[str, str]]:
        return {ns["metadata"]["name"]: ns["metadata"].get("labels") or {} for ns in self.store.iter("namespaces")}

    def _retry_for_pod(self, pod: Obj) -> None:
        """Requeue the pods waiting on pod constraints that this newly bound pod could satisfy: its labels match
        one of their required affinity terms or spread selectors (isSchedulableAfterPodChange)."""
        if not self._waiting_for_pods:
            return
        ref = pod_ref(pod)
        for key in list(self._waiting_for_pods):
            pending = self.object_for_key(key)
            terms = pod_terms(pending) if pending is not None else None
            if terms is None:
                self._waiting_for_pods.discard(key)
                continue
            conditions = [Condition(None if t.all_namespaces else t.namespaces, t.selector)
                          for t in terms.required_affinity]
            conditions += [Condition(frozenset({terms.namespace}), c.selector) for c in terms.spread]
            if any(condition.matches(ref) for condition in conditions):
                self._waiting_for_pods.discard(key)
                self.unschedulable.discard(key)
                self.queue.add(key)

    def _node_list(self) -> list[NodeInfo]:
        if self._sorted is None:
            self._sorted = [self.nodes[n] for n in sorted(self.nodes)]
        return self._sorted

    def _retry_unschedulable(self, event: NodeEvent | None = None) -> None:
        """Move the unschedulable pods back to the queue; on a Node event only those that a plugin which rejected
        them says the event may help (queueing_hints.py), the others wait for the next event or the flush."""
        if event is None:
            keys = list(self.unschedulable)
        else:
            keys = [
                key
                for key in self.unschedulable
                if (rejected := self._rejected_by.get(key)) is None or event.may_help(*rejected)
            ]
        for key in keys:
            self.queue.add(key)
            self.unschedulable.discard(key)
            self._rejected_by.pop(key, None)

    # --- informer ------------------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.resource in VOLUME_RESOURCES:
            return self.volumes.keys_for(event)
        if event.resource == "nodes":
            if event.type == "DELETED":
                self.nodes.pop(event.object["metadata"]["name"], None)
                self._sorted = None
            else:
                old = event.old or {}
                self._set_node(event.object)
                # Only what filters look at can make an unschedulable pod fit: spec (taints, unschedulable),
                # labels (node selectors and affinity) and allocatable. Heartbeats change none of them.
                if (
                    event.type == "MODIFIED"
                    and old.get("spec") == event.object.get("spec")
                    and (old.get("metadata") or {}).get("labels") == event.object["metadata"].get("labels")
                    and (old.get("status") or {}).get("allocatable") == event.object["status"].get("allocatable")
                ):
                    return ()
            self._retry_unschedulable(NodeEvent.of(event.type, event.old, event.object))
            return ()
        pod, old = event.object, event.old
        for bound in (old, pod):
            if bound is not None and bound["spec"].get("nodeName"):
                self.preemption.touched(bound["spec"]["nodeName"])  # its victims memo: a pod object there changed
        was_counted = old is not None and _counts_on_node(old)
        counted = event.type != "DELETED" and _counts_on_node(pod)
        if was_counted and not counted:
            info = self.nodes.get(old["spec"]["nodeName"])
            if info is not None:
                info.remove_pod(old)
            self.preemption.bound(old, -1)
            self._retry_unschedulable()
        elif counted and not was_counted:
            info = self.nodes.get(pod["spec"]["nodeName"])
            if info is not None:
                info.add_pod(pod)
            self.preemption.bound(pod, 1)
            self._retry_for_pod(pod)
        elif counted and bool(pod["metadata"].get("deletionTimestamp")) != bool(
            old["metadata"].get("deletionTimestamp")
        ):
            # A terminating pod no longer counts for topology spreading: re-account it.
            info = self.nodes.get(pod["spec"]["nodeName"])
            if info is not None:
                info.add_pod(pod)
        key = podutil.key_of(pod)
        self.profiles.observe(pod, event.type == "DELETED")  # a custom scheduler's pod: see `_profiles_changed`
        if event.type == "DELETED" or not _is_pending(pod, self.profiles.names):
            self.unschedulable.discard(key)
            self._rejected_by.pop(key, None)
            self._waiting_for_pods.discard(key)
            if self.preemption.nominated:
                self.preemption.nominated.update(key, None)
            return ()
        self.preemption.nominated.update(key, pod)
        if event.type == "ADDED" or (old is not None and old["spec"].get("nodeName")):
            return (key,)
        return ()

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("pods", namespace, name)

    # --- scheduling ----------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        pod = self.object_for_key(key)
        if pod is None or not _is_pending(pod, self.profiles.names):
            self.volumes.waiting.pop(key, None)
            return None
        if has_claims(pod):
            return schedule_with_volumes(self, key, pod)
        result = self._schedule(key, pod)
        self._remember(key, result)
        namespace, name = podutil.split_key(key)
        if result.node_name is None:
            self.unschedulable.add(key)
            self._rejected_by[key] = (get_pod_info(pod), result.rejected_by)
            if result.rejected_by & {INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD}:
                self._waiting_for_pods.add(key)
            outcome = self.preemption.post_filter(pod, result, result.message)
            self.recorder.record(pod, "Warning", "FailedScheduling", outcome.message, self.name)
            self._set_unschedulable(self.object_for_key(key) or pod, outcome.message, outcome.nominate)
            return UNSCHEDULABLE_RETRY
        try:
            self.api.bind(namespace, name, result.node_name)
        except ApiError as exc:
            if exc.code == 404:
                return None
            raise
        self.unschedulable.discard(key)
        self.recorder.record(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {namespace}/{name} to {result.node_name}",
            self.name,
        )
        return None

    def _schedule(self, key: str, pod: Obj) -> ScheduleResult:
        """schedulePod: the nominated node first (a preemptor's, once its victims are gone), else every node;
        either way a node must also hold the nominated pods of at least this pod's priority."""
        nodes = self._node_list()
        nominated = self.preemption.nominated.filter_for(key, pod_priority(pod))
        nominated_node = self.nodes.get((pod.get("status") or {}).get("nominatedNodeName") or "")
        if nominated_node is not None:
            result = schedule(pod, [nominated_node], None, 0, None, nominated=nominated, all_nodes=nodes)
            if result.scheduled:
                return result
        result = schedule(pod, nodes, self.ctx.rng, self._next_start, self._rows, nominated=nominated)
        if nodes:
            self._next_start = (self._next_start + result.processed) % len(nodes)
        return result

    def _set_unschedulable(self, pod: Obj, message: str, nominate: str | None = None) -> None:
        """The PodScheduled=False condition and, when preemption says so, status.nominatedNodeName (a node, or ""
        to clear it), in one status write as upstream's handleSchedulingFailure."""
        status = deep_copy(pod.get("status") or {})
        changed = False
        if nominate is not None and (status.get("nominatedNodeName") or "") != nominate:
            changed = True
            if nominate:
                status["nominatedNodeName"] = nominate
            else:
                status.pop("nominatedNodeName", None)
        conditions = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
        previous = next((c for c in status.get("conditions") or () if c.get("type") == "PodScheduled"), None)
        if previous is None or previous.get("status") != "False" or previous.get("message") != message:
            conditions.append(
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": format_time(self.clock.now()),
                    "reason": "Unschedulable",
                    "message": message,
                }
            )
            status["conditions"] = conditions
            changed = True
        if not changed:
            return
        try:
            self.api.update_status({**pod, "status": status})
        except ApiError:
            pass

    def _remember(self, key: str, result: ScheduleResult) -> None:
        self.decisions[key] = result
        self.decisions.move_to_end(key)
        while len(self.decisions) > KEPT_DECISIONS:
            self.decisions.popitem(last=False)

    def explain_pod(self, pod: Obj) -> str | None:
        """Why the pod is where it is (its last decision) or why it is Pending (a fresh dry run)."""
        key = podutil.key_of(pod)
        if _is_pending(pod, self.profiles.names):
            if has_claims(pod):
                return explain(dry_run(self, pod))
            nominated = self.preemption.nominated.filter_for(key, pod_priority(pod))
            result = schedule(pod, self._node_list(), None, rows=self._rows, nominated=nominated)
            result.message = self.preemption.evaluate(pod, result, result.message, random.Random(0)).message
            return explain(result)
        result = self.decisions.get(key)
        return explain(result) if result is not None else None
