"""The plugins whose verdicts depend on other pods, PodTopologySpread and InterPodAffinity, for one cycle.

Their Filter and Score can't be memoised per node like the others', so `prepare` builds them per cycle (their
PreFilter/PreScore) and the scheduler layers them on the memoised verdicts. A pod with no constraints of its
own, that no existing pod's terms select and that the default spreading leaves alone (no Service or workload
selects it), gets None and the memoised fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .filters import FilterFailure
from .interpod_affinity import (
    INTER_POD_AFFINITY,
    AffinityState,
    affinity_filter,
    affinity_prefilter,
    affinity_scores,
    topology_score,
)
from .pod_index import PodIndex
from .pod_info import PodInfo
from .pod_terms import PodTerms, SpreadConstraint, pod_terms
from .profiles import DEFAULT_PROFILE, Profile
from .topology_spread import POD_TOPOLOGY_SPREAD, SpreadState, spread_filter, spread_prefilter, spread_scores

if TYPE_CHECKING:
    from .default_spread import DefaultSpreading
    from .node_info import NodeInfo

__all__ = ["PodCycle", "prefilter_states", "prepare"]

NodeFilter = Callable[["NodeInfo"], "FilterFailure | None"]


@attrs.frozen
class PodCycle:
    """This cycle's Filter (PodTopologySpread, then InterPodAffinity) and Score for those two plugins."""

    filter: NodeFilter | None
    _score: Callable[[Sequence[NodeInfo]], dict[str, list[int]]] | None = attrs.field(alias="score")
    # Both plugins' preFilterState (None: skipped), which RunFilterPluginsWithNominatedPods copies for a node with
    # nominated pods and adds them to.
    spread_state: SpreadState | None = None
    affinity_state: AffinityState | None = None

    def scores(self, feasible: Sequence[NodeInfo]) -> dict[str, list[int]]:
        """Normalised scores per plugin (only the plugins that didn't skip), in `feasible` order."""
        return self._score(feasible) if self._score is not None else {}


def _chain(first: NodeFilter | None, second: NodeFilter | None) -> NodeFilter | None:
    if first is None or second is None:
        return first or second

    def check(node: NodeInfo) -> FilterFailure | None:
        return first(node) or second(node)

    return check


@attrs.frozen
class _Inputs:
    """What both plugins' PreFilter and PreScore read of the pod and the cluster."""

    namespace: str
    labels: dict[str, str]
    explicit: bool
    terms: PodTerms | None
    constraints: tuple[SpreadConstraint, ...]
    index: PodIndex


def _inputs(
    pod: Mapping[str, Any],
    info: PodInfo,
    nodes: Sequence[NodeInfo],
    profile: Profile,
    defaults: DefaultSpreading | None,
) -> _Inputs | None:
    """None when neither plugin has anything to do for this pod (no terms of its own, no default constraints, no
    existing pod with terms)."""
    if not nodes:
        return None
    meta = pod.get("metadata") or {}
    namespace = str(meta.get("namespace") or "default")
    labels = meta.get("labels") or {}
    explicit = bool((pod.get("spec") or {}).get("topologySpreadConstraints"))
    spreading = POD_TOPOLOGY_SPREAD in profile.pre_filters or POD_TOPOLOGY_SPREAD in profile.weights
    defaulted: tuple[SpreadConstraint, ...] = ()
    if defaults is not None and not explicit and spreading:
        defaulted = defaults.constraints(pod, namespace, labels, profile)
    changes = nodes[0].changes
    if changes is not None and changes.pods.sync(nodes):
        index = changes.pods
        if not info.has_pod_terms and not defaulted and index.idle:
            return None  # the common case: nothing to do, at the cost of a few attribute reads
    elif not info.has_pod_terms and not defaulted and not any(node.term_pods for node in nodes):
        return None
    else:
        index = PodIndex.build(nodes)
    terms = pod_terms(pod) if info.has_pod_terms else None
    constraints = terms.spread if terms is not None and explicit else defaulted
    labels = {str(k): str(v) for k, v in labels.items()}
    return _Inputs(namespace, labels, explicit, terms, constraints, index)


def prefilter_states(
    pod: Mapping[str, Any],
    info: PodInfo,
    nodes: Sequence[NodeInfo],
    profile: Profile = DEFAULT_PROFILE,
    defaults: DefaultSpreading | None = None,
) -> tuple[SpreadState | None, AffinityState | None]:
    """Both plugins' preFilterState as `profile` runs them (None: the plugin skips), for preemption's dry run, which
    adds and removes pods on a copy per node."""
    inputs = _inputs(pod, info, nodes, profile, defaults)
    return _states(inputs, info, nodes, profile) if inputs is not None else (None, None)


def _states(
    inputs: _Inputs, info: PodInfo, nodes: Sequence[NodeInfo], profile: Profile
) -> tuple[SpreadState | None, AffinityState | None]:
    spread = None
    if inputs.constraints and POD_TOPOLOGY_SPREAD in profile.pre_filters:
        spread = spread_prefilter(info, inputs.constraints, inputs.namespace, inputs.labels, nodes, inputs.index)
    affinity = None
    # InterPodAffinity has nothing to do when neither this pod nor any existing one has affinity terms.
    if INTER_POD_AFFINITY in profile.pre_filters and not (inputs.terms is None and inputs.index.idle):
        index = inputs.index
        affinity = affinity_prefilter(inputs.terms, inputs.labels, inputs.namespace, index, index.namespace_labels)
    return spread, affinity


def prepare(
    pod: Mapping[str, Any],
    info: PodInfo,
    nodes: Sequence[NodeInfo],
    profile: Profile = DEFAULT_PROFILE,
    defaults: DefaultSpreading | None = None,
) -> PodCycle | None:
    """PreFilter and PreScore of both plugins as `profile` runs them; None when both skip every step.

    `defaults` gives a pod without spread constraints of its own the profile's default ones (None: no defaults)."""
    inputs = _inputs(pod, info, nodes, profile, defaults)
    if inputs is None:
        return None
    namespace, labels, explicit, terms, constraints, index = (
        inputs.namespace,
        inputs.labels,
        inputs.explicit,
        inputs.terms,
        inputs.constraints,
        inputs.index,
    )
    namespaces = index.namespace_labels

    spread_state, affinity_state = _states(inputs, info, nodes, profile)
    node_filter = _chain(spread_filter(spread_state, index), affinity_filter(affinity_state, index))
    affinity_idle = terms is None and index.idle

    topology = None
    if profile.weight(INTER_POD_AFFINITY) and not affinity_idle:
        topology = topology_score(terms, labels, namespace, index, namespaces)
    # requireAllTopologies: only the System defaults score nodes that lack one of the topology keys.
    require_all = explicit or not profile.system_defaulted
    scored_spread = bool(profile.weight(POD_TOPOLOGY_SPREAD)) and any(
        c.when_unsatisfiable != "DoNotSchedule" for c in constraints
    )
    if node_filter is None and not topology and not scored_spread:
        return None

    def score(feasible: Sequence[NodeInfo]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        if scored_spread:
            spread_result = spread_scores(info, constraints, require_all, namespace, feasible, nodes, index)
            if spread_result is not None:
                out[POD_TOPOLOGY_SPREAD] = spread_result
        if topology:
            out[INTER_POD_AFFINITY] = affinity_scores(topology, feasible)
        return out

    return PodCycle(node_filter, score if topology or scored_spread else None, spread_state, affinity_state)
