"""The scheduler's volume plugins: VolumeRestrictions (ReadWriteOncePod) and VolumeBinding
(`k/k pkg/scheduler/framework/plugins/volumebinding/volume_binding.go` PreFilter / Filter / PreBind and
`binder.go` GetPodVolumeClaims / FindPodVolumes / AssumePodVolumes / BindPodVolumes; `volumerestrictions/
volume_restrictions.go` for ReadWriteOncePod).

PreFilter rejects a pod whose claim is missing, being deleted, or unbound with Immediate binding (the
pv-controller binds those on its own). Filter keeps a node only if every bound claim's volume may be used there
(its node affinity) and every WaitForFirstConsumer claim can get a volume there (a matching Available volume, or
a class whose provisioner can make one). PreBind writes the choice down (a volume's claimRef, or the claim's
`volume.kubernetes.io/selected-node` for the provisioner) and the pod is bound to the node only once all its claims
are bound, as upstream's PreBind waits; meanwhile the pod's status.nominatedNodeName names the node, as v1.36's
scheduler sets it.

When no node fits, DefaultPreemption runs as for any pod (preemption.py): VolumeBinding's Filter rejections are
UnschedulableAndUnresolvable (those nodes are no candidates, and its PreFilter rejections leave no node to try),
VolumeRestrictions' ReadWriteOncePod conflict is Unschedulable, so preempting the lower-priority pod that uses the
claim makes room, as upstream.

Pods without claims never reach this module, so the hot scheduling path is unchanged for them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .. import podutil
from ..controllers.pv_util import (
    ANN_BOUND_BY_CONTROLLER,
    ANN_SELECTED_NODE,
    CLASSES,
    PVCS,
    PVS,
    annotations,
    claim_ref,
    find_matching_volume,
    simulated_provisioner,
    volume_node_affinity_matches,
)
from ..errors import ApiError
from ..kinds.persistentvolumeclaim import claims_of_pod
from ..kinds.storageclass import WAIT_FOR_FIRST_CONSUMER
from ..printers.storage import claim_class
from ..store import WatchEvent, deep_copy
from .filters import FilterFailure
from .node_info import NodeInfo
from .preemption import pod_priority
from .preemption_state import VolumeChecks

Obj = dict[str, Any]
VOLUME_BINDING = "VolumeBinding"
VOLUME_RESTRICTIONS = "VolumeRestrictions"
VOLUME_RESOURCES = (PVCS, PVS)

ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
# v1.36's wording of volumebinding's ErrReasonNodeConflict and ErrReasonBindConflict.
ERR_NODE_CONFLICT = "node(s) didn't match PersistentVolume's node affinity"
ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_RWOP_CONFLICT = (
    "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod"
)
# What a v1.36 kube-scheduler prints after a PreFilter rejection by VolumeBinding, where other rejections print the
# preemption verdict (observed on a real v1.36 control plane).
PREFILTER_POSTFILTER_MESSAGE = "not found"
BIND_TIMEOUT = 600.0  # VolumeBindingArgs.bindTimeoutSeconds
BIND_RECHECK = 1.0

_NODE_CONFLICT = FilterFailure(VOLUME_BINDING, (ERR_NODE_CONFLICT,), unresolvable=True)
_BIND_CONFLICT = FilterFailure(VOLUME_BINDING, (ERR_BIND_CONFLICT,), unresolvable=True)
_RWOP_CONFLICT = FilterFailure(VOLUME_RESTRICTIONS, (ERR_RWOP_CONFLICT,))


@attrs.define
class PodVolumes:
    """What PreFilter found for one pod: its bound claims' volumes and its claims still to bind."""

    bound_volumes: list[Obj] = attrs.field(factory=list)
    delayed: list[Obj] = attrs.field(factory=list)  # unbound WaitForFirstConsumer claims
    # VolumeRestrictions' preFilterState: the pod's ReadWriteOncePod claims, and how many of them scheduled pods use.
    rwop_claims: set[str] = attrs.field(factory=set)
    rwop_in_use: int = 0
    # Per node name: the static volume chosen for each delayed claim (None: to be provisioned).
    choices: dict[str, dict[str, str | None]] = attrs.field(factory=dict)


@attrs.define
class Waiting:
    node: str
    deadline: float


def has_claims(pod: Mapping[str, Any]) -> bool:
    return any(
        isinstance(v, Mapping) and v.get("persistentVolumeClaim") for v in (pod.get("spec") or {}).get("volumes") or ()
    )


class VolumeBinder:
    """The plugins' state across cycles: pods waiting in PreBind for their claims to be bound."""

    def __init__(self, store: Any, api: Any, clock: Any) -> None:
        self.store = store
        self.api = api
        self.clock = clock
        self.waiting: dict[str, Waiting] = {}
        self.volume_pods: set[str] = set()  # unschedulable pods with claims: retried when claims or volumes change

    # --- PreFilter -----------------------------------------------------------------------------------------

    def prefilter(self, pod: Obj) -> tuple[PodVolumes | None, str]:
        """The pod's volumes, or None and the rejection message."""
        namespace = pod["metadata"].get("namespace", "")
        found = PodVolumes()
        unbound_immediate = False
        for name in claims_of_pod(pod):
            claim = self.store.get(PVCS, namespace, name)
            if claim is None:
                return None, f'persistentvolumeclaim "{name}" not found'
            if claim["metadata"].get("deletionTimestamp"):
                return None, f'persistentvolumeclaim "{name}" is being deleted'
            if "ReadWriteOncePod" in ((claim.get("spec") or {}).get("accessModes") or ()):
                found.rwop_claims.add(name)
                found.rwop_in_use += self._rwop_in_use(pod, claim)
            volume_name = (claim.get("spec") or {}).get("volumeName")
            if volume_name:
                volume = self.store.get(PVS, "", volume_name)
                if volume is None:
                    return None, f'persistentvolume "{volume_name}" not found'
                found.bound_volumes.append(volume)
                continue
            class_name = claim_class(claim)
            sc = self.store.get(CLASSES, "", class_name) if class_name else None
            if class_name and sc is None:
                return None, f'storageclass.storage.k8s.io "{class_name}" not found'
            if sc is not None and sc.get("volumeBindingMode") == WAIT_FOR_FIRST_CONSUMER:
                found.delayed.append(claim)
            else:
                unbound_immediate = True
        if unbound_immediate:
            return None, ERR_UNBOUND_IMMEDIATE
        return found, ""

    def _rwop_in_use(self, pod: Obj, claim: Obj) -> bool:
        name, uid = claim["metadata"]["name"], pod["metadata"].get("uid")
        return any(
            other["metadata"].get("uid") != uid
            and (other.get("spec") or {}).get("nodeName")
            and not podutil.is_terminal(other)
            and name in claims_of_pod(other)
            for other in self.store.iter("pods", claim["metadata"].get("namespace", ""))
        )

    # --- Filter --------------------------------------------------------------------------------------------

    def filter(self, state: PodVolumes, restrictions: bool = True) -> Any:
        """The Filter plugins for one pod, as a FilterFn over NodeInfos (VolumeRestrictions, then VolumeBinding;
        `restrictions` False: VolumeBinding's alone, for preemption's dry run, which keeps VolumeRestrictions' count
        itself)."""
        volumes = list(self.store.iter(PVS)) if state.delayed else []

        def check(pod_info: Any, node: NodeInfo) -> FilterFailure | None:
            if restrictions and state.rwop_in_use:
                return _RWOP_CONFLICT
            labels, name = node.labels, node.name
            for volume in state.bound_volumes:
                if not volume_node_affinity_matches(volume, labels, name):
                    return _NODE_CONFLICT
            if not state.delayed:
                return None
            node_obj = {"metadata": {"name": name, "labels": dict(labels)}}
            chosen: dict[str, str | None] = {}
            taken: set[str] = set()
            for claim in state.delayed:
                volume = find_matching_volume(claim, volumes, node_obj, True, frozenset(taken))
                if volume is not None:
                    taken.add(volume["metadata"]["name"])
                    chosen[claim["metadata"]["name"]] = volume["metadata"]["name"]
                    continue
                sc = self.store.get(CLASSES, "", claim_class(claim))
                if simulated_provisioner(sc) is None:
                    return _BIND_CONFLICT
                chosen[claim["metadata"]["name"]] = None
            state.choices[name] = chosen
            return None

        return check

    # --- PreBind -------------------------------------------------------------------------------------------

    def pre_bind(self, pod: Obj, state: PodVolumes, node: str) -> None:
        """AssumePodVolumes + BindPodVolumes' API writes; the pod waits until `all_bound`."""
        namespace = pod["metadata"].get("namespace", "")
        for claim_name, volume_name in state.choices.get(node, {}).items():
            claim = self.store.get(PVCS, namespace, claim_name)
            if claim is None:
                continue
            if volume_name is not None:
                volume = self.store.get(PVS, "", volume_name)
                if volume is None or (volume.get("spec") or {}).get("claimRef"):
                    continue
                new = deep_copy(volume)
                new["spec"]["claimRef"] = claim_ref(claim)
                new["metadata"].setdefault("annotations", {})[ANN_BOUND_BY_CONTROLLER] = "yes"
                self.api.update(new)
            elif annotations(claim).get(ANN_SELECTED_NODE) != node:
                new = deep_copy(claim)
                new["metadata"].setdefault("annotations", {})[ANN_SELECTED_NODE] = node
                self.api.update(new)
        self.waiting[podutil.key_of(pod)] = Waiting(node, self.clock.now() + BIND_TIMEOUT)
        status = pod.get("status") or {}
        if status.get("nominatedNodeName") != node:
            try:
                self.api.update_status({**pod, "status": {**deep_copy(status), "nominatedNodeName": node}})
            except ApiError:
                pass

    def preemption_checks(self, state: PodVolumes) -> VolumeChecks:
        """What preemption's dry run re-checks of these plugins on each node, with the victims removed."""
        return VolumeChecks(
            self.filter(state, restrictions=False), frozenset(state.rwop_claims), state.rwop_in_use, _RWOP_CONFLICT
        )

    def all_bound(self, pod: Obj) -> bool:
        """checkBindings: every claim names its volume, the bind is complete and the volume names the claim."""
        namespace = pod["metadata"].get("namespace", "")
        for name in claims_of_pod(pod):
            claim = self.store.get(PVCS, namespace, name)
            if claim is None or (claim.get("status") or {}).get("phase") != "Bound":
                return False
        return True

    def undo(self, pod: Obj, node: str) -> None:
        """Unreserve after a timed-out PreBind: the provisioner is no longer asked for this node."""
        namespace = pod["metadata"].get("namespace", "")
        for name in claims_of_pod(pod):
            claim = self.store.get(PVCS, namespace, name)
            if (
                claim is not None
                and annotations(claim).get(ANN_SELECTED_NODE) == node
                and not (claim.get("spec") or {}).get("volumeName")
            ):
                new = deep_copy(claim)
                new["metadata"]["annotations"].pop(ANN_SELECTED_NODE, None)
                try:
                    self.api.update(new)
                except ApiError:
                    pass

    # --- informer ------------------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        """Pods to look at again when a claim or volume changes: those waiting in PreBind and those VolumeBinding
        turned away (upstream's queueing hints for PVC/PV events)."""
        keys = list(self.waiting)
        keys.extend(self.volume_pods)
        self.volume_pods.clear()
        return keys


def schedule_with_volumes(ctrl: Any, key: str, pod: Obj) -> float | None:
    """One scheduling cycle for a pod with claims, for the scheduler controller (controller.py): PreFilter,
    the filters with the volume plugins', then PreBind and, once the claims are bound, the binding."""
    from .scheduler import ScheduleResult, schedule  # local: scheduler.py is imported by controller.py first

    binder: VolumeBinder = ctrl.volumes
    namespace, name = podutil.split_key(key)
    nodes = ctrl._node_list()
    waiting = binder.waiting.get(key)
    if waiting is not None:
        if binder.all_bound(pod):
            del binder.waiting[key]
            return _bind(ctrl, pod, waiting.node)
        if ctrl.clock.now() < waiting.deadline:
            return BIND_RECHECK
        del binder.waiting[key]
        binder.undo(pod, waiting.node)
        message = 'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded'
        ctrl.recorder.record(pod, "Warning", "FailedScheduling", message, ctrl.name)
        return 1.0
    state, rejection = binder.prefilter(pod)
    if state is None:
        from .fit_error import fit_error_message

        message = fit_error_message(
            len(nodes), {}, prefilter_message=rejection, postfilter_message=PREFILTER_POSTFILTER_MESSAGE
        )
        result = ScheduleResult(key, None, message, len(nodes), 0, frozenset({VOLUME_BINDING}))
    else:
        volume_filter = ctrl.volumes.filter(state)
        nominated = ctrl.preemption.nominated.filter_for(key, pod_priority(pod), binder.preemption_checks(state))
        result = schedule(pod, nodes, ctrl.ctx.rng, ctrl._next_start, None, volume_filter, nominated=nominated)
        if nodes:
            ctrl._next_start = (ctrl._next_start + result.processed) % len(nodes)
    ctrl._remember(key, result)
    if result.node_name is None:
        ctrl.unschedulable.add(key)
        binder.volume_pods.add(key)
        message, nominate = result.message, None
        if state is not None:  # PostFilter: DefaultPreemption (a PreFilter rejection leaves it no node to try)
            outcome = ctrl.preemption.post_filter(pod, result, message, binder.preemption_checks(state))
            message, nominate = outcome.message, outcome.nominate
        ctrl.recorder.record(pod, "Warning", "FailedScheduling", message, ctrl.name)
        ctrl._set_unschedulable(ctrl.object_for_key(key) or pod, message, nominate)
        return 300.0
    assert state is not None
    binder.pre_bind(pod, state, result.node_name)
    pod = ctrl.store.get("pods", namespace, name) or pod
    if binder.all_bound(pod):
        binder.waiting.pop(key, None)
        return _bind(ctrl, pod, result.node_name)
    return BIND_RECHECK


def dry_run(ctrl: Any, pod: Obj) -> Any:
    """What a cycle would conclude for a pending pod with claims, without writing anything (for explain_pod)."""
    from .fit_error import fit_error_message
    from .scheduler import ScheduleResult, schedule

    nodes = ctrl._node_list()
    state, rejection = ctrl.volumes.prefilter(pod)
    if state is None:
        message = fit_error_message(
            len(nodes), {}, prefilter_message=rejection, postfilter_message=PREFILTER_POSTFILTER_MESSAGE
        )
        return ScheduleResult(podutil.key_of(pod), None, message, len(nodes), 0, frozenset({VOLUME_BINDING}))
    nominated = ctrl.preemption.nominated.filter_for(
        podutil.key_of(pod), pod_priority(pod), ctrl.volumes.preemption_checks(state)
    )
    result = schedule(pod, nodes, None, volume_filter=ctrl.volumes.filter(state), nominated=nominated)
    if result.node_name is None:
        checks = ctrl.volumes.preemption_checks(state)
        result.message = ctrl.preemption.evaluate(pod, result, result.message, random.Random(0), checks).message
    return result


def _bind(ctrl: Any, pod: Obj, node: str) -> float | None:
    namespace, name = podutil.split_key(podutil.key_of(pod))
    try:
        ctrl.api.bind(namespace, name, node)
    except ApiError as exc:
        if exc.code == 404:
            return None
        raise
    ctrl.unschedulable.discard(podutil.key_of(pod))
    ctrl.recorder.record(pod, "Normal", "Scheduled", f"Successfully assigned {namespace}/{name} to {node}", ctrl.name)
    return None
