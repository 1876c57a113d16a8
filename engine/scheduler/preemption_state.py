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

__all__ = [
    "DryRunState",
    "Nominated",
    "NominatedMemo",
    "VolumeChecks",
    "nominated_pass",
    "rwop_references",
]

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


def nominated_pass(
    info: PodInfo,
    node: NodeInfo,
    ahead: Sequence[Obj],
    checks: tuple[FilterFn, ...],
    state: DryRunState,
    memo: NominatedMemo | None = None,
    signature: int = 0,
) -> FilterFailure | None:
    """RunFilterPluginsWithNominatedPods' first pass: every filter, on copies of the node and of the PreFilter state
    with the nominated pods that go first added. The caller runs the second pass (without them) only if this one
    passed, and reports this pass's failure otherwise, as upstream does. `memo` (with the pod template's
    `signature`) remembers the node-local filters' verdict across cycles: on a node full of victims and nominated
    pods every pod tried meets it."""
    if memo is not None:
        failure = memo.node_local(info, node, ahead, checks, signature)
    else:
        failure = _node_local(info, node, ahead, checks)
    if failure is not None or not state.needed:
        return failure
    # The plugins with state read only the node's labels and taints: the node itself stands for its copy here.
    state = state.copy()
    for pod in ahead:
        state.update_with_pod(pod, None, node, 1)
    return state.filter(info, node)


def _node_local(
    info: PodInfo, node: NodeInfo, ahead: Sequence[Obj], checks: tuple[FilterFn, ...]
) -> FilterFailure | None:
    simulated = node.snapshot()
    for pod in ahead:
        simulated.simulate(pod, 1)
    return run_filters(info, simulated, checks)


_MEMO_LIMIT = 4096


class NominatedMemo:
    """The first pass's node-local verdicts by (node, pod template), each valid while the node is unchanged (its
    generation) and the pods ahead are the same sequence object: NominatedPods.ahead_of hands out one list per node
    and priority until that node's nominated pods change, and nobody changes it."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[NodeInfo, int], tuple[int, Sequence[Obj], FilterFailure | None]] = {}

    def node_local(
        self, info: PodInfo, node: NodeInfo, ahead: Sequence[Obj], checks: tuple[FilterFn, ...], signature: int
    ) -> FilterFailure | None:
        key = (node, signature)
        hit = self._verdicts.get(key)
        if hit is not None and hit[0] == node.generation and hit[1] is ahead:
            return hit[2]
        failure = _node_local(info, node, ahead, checks)
        if len(self._verdicts) >= _MEMO_LIMIT:
            self._verdicts.clear()
        self._verdicts[key] = (node.generation, ahead, failure)
        return failure


@attrs.frozen
class Nominated:
    """What a scheduling cycle needs for RunFilterPluginsWithNominatedPods: the pods nominated to a node that the pod
    must leave room for (those of priority at least its own, by node name; empty for most nodes) and, for a pod with
    claims, the volume plugins' part of its PreFilter state (VolumeRestrictions counts the nominated pods' claims)."""

    ahead: Callable[[str], Sequence[Obj]]
    volumes: VolumeChecks | None = None
    memo: NominatedMemo | None = None

    def state(self, spread: SpreadState | None, affinity: AffinityState | None) -> DryRunState:
        """The cycle's PreFilter state of the plugins with PreFilterExtensions, which the first pass copies per node."""
        volumes = self.volumes
        return DryRunState(spread, affinity, volumes, volumes.rwop_in_use if volumes is not None else 0)
