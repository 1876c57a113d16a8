"""What preemption's dry run re-checks beyond the node-local filters: the plugins whose verdict on a node depends on
pods, through their PreFilter state (k/k pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go
SelectVictimsOnNode, which calls RunPreFilterExtensionRemovePod for each potential victim and
RunPreFilterExtensionAddPod for each reprieved one, and framework/runtime RunFilterPluginsWithNominatedPods, which
adds the nominated pods the same way).

- VolumeRestrictions (ReadWriteOncePod): how many of the preemptor's ReadWriteOncePod claims scheduled pods use.
- VolumeBinding's Filter, which reads only the node's labels and the claims, so removing pods never changes it (and
  its rejections are UnschedulableAndUnresolvable: such nodes are not candidates; a node another filter rejected
  may still fail it here).
- PodTopologySpread and InterPodAffinity: their counts per topology domain (topology_spread.SpreadState,
  interpod_affinity.AffinityState).

Each node tried gets its own copy (upstream clones the CycleState per node), so what one node's victims change
never leaks into another's verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .filters import FilterFailure, FilterFn, run_filters
from .interpod_affinity import AffinityState
from .node_info import NodeInfo
from .pod_index import PodRef, pod_ref
from .pod_info import PodInfo
from .topology_spread import SpreadState

__all__ = ["DryRunState", "Nominated", "VolumeChecks", "nominated_pass", "rwop_references", "with_nominated"]

Obj = dict[str, Any]


def rwop_references(pod: Mapping[str, Any], claims: frozenset[str]) -> int:
    """conflictingPVCRefCountForPod: how many of the pod's volumes name one of `claims` (by name only, as upstream)."""
    if not claims:
        return 0
    return sum(
        1
        for volume in (pod.get("spec") or {}).get("volumes") or ()
        if isinstance(volume, Mapping)
        and str((volume.get("persistentVolumeClaim") or {}).get("claimName") or "") in claims
    )


@attrs.frozen
class VolumeChecks:
    """The volume plugins' part for a pod with claims: VolumeRestrictions' state and VolumeBinding's Filter."""

    binding: FilterFn
    rwop_claims: frozenset[str] = frozenset()
    rwop_in_use: int = 0  # conflictingPVCRefCount
    rwop_failure: FilterFailure | None = None


@attrs.define
class DryRunState:
    """The preemptor's PreFilter state of the plugins above, for one node being tried."""

    spread: SpreadState | None = None
    affinity: AffinityState | None = None
    volumes: VolumeChecks | None = None
    rwop_in_use: int = 0

    @property
    def needed(self) -> bool:
        return self.spread is not None or self.affinity is not None or self.volumes is not None

    def copy(self) -> DryRunState:
        """CycleState.Clone."""
        return DryRunState(
            self.spread.copy() if self.spread is not None else None,
            self.affinity.copy() if self.affinity is not None else None,
            self.volumes,
            self.rwop_in_use,
        )

    def update_with_pod(self, pod: Mapping[str, Any], ref: PodRef | None, node: NodeInfo, sign: int) -> None:
        """RunPreFilterExtensionAddPod (1) / RunPreFilterExtensionRemovePod (-1) for a pod on `node`."""
        if self.volumes is not None:
            self.rwop_in_use += sign * rwop_references(pod, self.volumes.rwop_claims)
        if self.spread is None and self.affinity is None:
            return
        if ref is None:
            ref = pod_ref(pod)
        if self.spread is not None:
            self.spread.update_with_pod(ref, node, sign)
        if self.affinity is not None:
            self.affinity.update_with_pod(ref, node, sign)

    def update_with_pods(self, pods: Iterable[tuple[Obj, PodRef | None]], node: NodeInfo, sign: int) -> None:
        for pod, ref in pods:
            self.update_with_pod(pod, ref, node, sign)

    def filter(self, info: PodInfo, node: NodeInfo) -> FilterFailure | None:
        """These plugins' Filter, in the default profile's order, after the node-local ones."""
        volumes = self.volumes
        if volumes is not None:
            if self.rwop_in_use > 0 and volumes.rwop_failure is not None:
                return volumes.rwop_failure
            failure = volumes.binding(info, node)
            if failure is not None:
                return failure
        if self.spread is not None:
            failure = self.spread.filter(node)
            if failure is not None:
                return failure
        if self.affinity is not None:
            return self.affinity.filter(node)
        return None


def with_nominated(state: DryRunState, node: NodeInfo, ahead: Sequence[Obj]) -> tuple[DryRunState, NodeInfo]:
    """addGENominatedPods: copies of the state and the node with the nominated pods that go first added."""
    state = state.copy()
    node = node.snapshot()
    for pod in ahead:
        node.simulate(pod, 1)
        state.update_with_pod(pod, None, node, 1)
    return state, node


def nominated_pass(
    info: PodInfo, node: NodeInfo, ahead: Sequence[Obj], checks: tuple[FilterFn, ...], state: DryRunState
) -> FilterFailure | None:
    """RunFilterPluginsWithNominatedPods' first pass: every filter, on copies of the node and of the PreFilter state
    with the nominated pods that go first added. The caller runs the second pass (without them) only if this one
    passed, and reports this pass's failure otherwise, as upstream does."""
    state_with, node_with = with_nominated(state, node, ahead)
    return run_filters(info, node_with, checks) or state_with.filter(info, node_with)


@attrs.frozen
class Nominated:
    """What a scheduling cycle needs for RunFilterPluginsWithNominatedPods: the pods nominated to a node that the pod
    must leave room for (those of priority at least its own, by node name; empty for most nodes) and, for a pod with
    claims, the volume plugins' part of its PreFilter state (VolumeRestrictions counts the nominated pods' claims)."""

    ahead: Callable[[str], Sequence[Obj]]
    volumes: VolumeChecks | None = None

    def state(self, spread: SpreadState | None, affinity: AffinityState | None) -> DryRunState:
        """The cycle's PreFilter state of the plugins with PreFilterExtensions, which the first pass copies per node."""
        volumes = self.volumes
        return DryRunState(spread, affinity, volumes, volumes.rwop_in_use if volumes is not None else 0)
