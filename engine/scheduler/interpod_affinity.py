"""InterPodAffinity (`pkg/scheduler/framework/plugins/interpodaffinity`): PreFilter/Filter and PreScore/Score/
NormalizeScore over the counts a `PodIndex` keeps.

Filter, in upstream's order: the incoming pod's required affinity (UnschedulableAndUnresolvable), its required
anti-affinity, then the required anti-affinity of the pods already placed (symmetry), both Unschedulable.
Score: the incoming pod's preferred terms against existing pods, and existing pods' required affinity
(hardPodAffinityWeight 1) and preferred terms against the incoming pod, summed per topology domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .filters import FilterFailure
from .pod_index import Condition, PodIndex, PodRef
from .pod_terms import AffinityTerm, PodTerms
from .scores import MAX_NODE_SCORE

if TYPE_CHECKING:
    from .node_info import NodeInfo

__all__ = [
    "ERR_AFFINITY_RULES",
    "ERR_ANTI_AFFINITY_RULES",
    "ERR_EXISTING_ANTI_AFFINITY_RULES",
    "INTER_POD_AFFINITY",
    "AffinityState",
    "affinity_filter",
    "affinity_prefilter",
    "affinity_scores",
]

INTER_POD_AFFINITY = "InterPodAffinity"
ERR_AFFINITY_RULES = "node(s) didn't match pod affinity rules"
ERR_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules"
ERR_EXISTING_ANTI_AFFINITY_RULES = "node(s) didn't satisfy existing pods anti-affinity rules"

_AFFINITY = FilterFailure(INTER_POD_AFFINITY, (ERR_AFFINITY_RULES,), unresolvable=True)
_ANTI_AFFINITY = FilterFailure(INTER_POD_AFFINITY, (ERR_ANTI_AFFINITY_RULES,))
_EXISTING_ANTI_AFFINITY = FilterFailure(INTER_POD_AFFINITY, (ERR_EXISTING_ANTI_AFFINITY_RULES,))

NamespaceLabels = Callable[[], Mapping[str, Mapping[str, str]]]
TopologyCounts = dict[tuple[str, str], int]


def merge_namespaces(term: AffinityTerm, namespaces: NamespaceLabels | None) -> Condition:
    """mergeAffinityTermNamespacesIfNotEmpty: a non-empty namespaceSelector becomes the namespaces it selects."""
    ns_selector = term.namespace_selector
    if ns_selector is None or ns_selector.nothing:
        return Condition(term.namespaces, term.selector)
    if ns_selector.empty:
        return Condition(None, term.selector)  # every namespace
    selected = {name for name, labels in (namespaces() if namespaces else {}).items() if ns_selector.matches(labels)}
    return Condition(term.namespaces | selected, term.selector)


def _add(counts: TopologyCounts, node: NodeInfo, key: str, value: int) -> None:
    topology = node.labels.get(key)
    if topology is not None:
        pair = (key, topology)
        total = counts.get(pair, 0) + value
        if total:
            counts[pair] = total
        else:
            counts.pop(pair, None)


def _ns_labels(namespace: str, namespaces: NamespaceLabels | None) -> Mapping[str, str]:
    return (namespaces() if namespaces else {}).get(namespace) or {}


def existing_anti_affinity_counts(
    namespace: str, labels: Mapping[str, str], index: PodIndex, namespaces: NamespaceLabels | None
) -> TopologyCounts:
    """Topology pairs holding pods whose required anti-affinity selects the incoming pod."""
    counts: TopologyCounts = {}
    for term, _, by_node in index.anti.matching(namespace, labels, lambda: _ns_labels(namespace, namespaces)):
        for node, count in by_node.items():
            _add(counts, node, term.topology_key, count)
    return counts


@attrs.define
class AffinityState:
    """InterPodAffinity's preFilterState: per topology pair, the existing pods whose required anti-affinity selects
    the incoming pod, those matching all its required affinity terms, and those matching each of its anti-affinity
    terms. Preemption's dry run copies it per node and adds or removes pods (AddPod/RemovePod)."""

    namespace: str
    labels: Mapping[str, str]
    namespaces: NamespaceLabels | None
    existing: TopologyCounts
    affinity_counts: TopologyCounts
    anti_counts: TopologyCounts
    required: tuple[AffinityTerm, ...]
    required_conditions: tuple[Condition, ...]
    anti: tuple[AffinityTerm, ...]
    anti_conditions: tuple[Condition, ...]
    self_match: bool

    def copy(self) -> AffinityState:
        """preFilterState.Clone: the counts copied, the rest shared."""
        return attrs.evolve(
            self,
            existing=dict(self.existing),
            affinity_counts=dict(self.affinity_counts),
            anti_counts=dict(self.anti_counts),
        )

    def update_with_pod(self, ref: PodRef, node: NodeInfo, sign: int) -> None:
        """updateWithPod: `ref` added to (1) or removed from (-1) `node`."""
        if ref.terms is not None:
            ns_labels = _ns_labels(self.namespace, self.namespaces)
            for term in ref.terms.required_anti_affinity:
                if term.matches(self.namespace, self.labels, ns_labels):
                    _add(self.existing, node, term.topology_key, sign)
        if self.required and all(c.matches(ref) for c in self.required_conditions):
            for term in self.required:
                _add(self.affinity_counts, node, term.topology_key, sign)
        for term, condition in zip(self.anti, self.anti_conditions, strict=True):
            if condition.matches(ref):
                _add(self.anti_counts, node, term.topology_key, sign)

    def filter(self, node: NodeInfo) -> FilterFailure | None:
        """Filter, in upstream's order, for one node (the cycle's own Filter works per domain instead)."""
        node_labels = node.labels
        if self.required:
            pods_exist = True
            for term in self.required:
                value = node_labels.get(term.topology_key)
                if value is None:
                    return _AFFINITY
                if self.affinity_counts.get((term.topology_key, value), 0) <= 0:
                    pods_exist = False
            # "The first pod in a series with affinity to themselves": no pod matches, and it matches its own terms.
            if not pods_exist and not (not self.affinity_counts and self.self_match):
                return _AFFINITY
        for counts, failure in ((self.anti_counts, _ANTI_AFFINITY), (self.existing, _EXISTING_ANTI_AFFINITY)):
            for key, value in node_labels.items():
                if counts.get((key, value), 0) > 0:
                    return failure
        return None


def affinity_prefilter(
    terms: PodTerms | None,
    labels: Mapping[str, str],
    namespace: str,
    index: PodIndex,
    namespaces: NamespaceLabels | None,
) -> AffinityState | None:
    """PreFilter: the counts Filter reads; None when the plugin has nothing to check (Skip)."""
    existing = existing_anti_affinity_counts(namespace, labels, index, namespaces)
    required = terms.required_affinity if terms is not None else ()
    anti = terms.required_anti_affinity if terms is not None else ()
    if not existing and not required and not anti:
        return None

    affinity_counts: TopologyCounts = {}
    conditions = tuple(merge_namespaces(t, namespaces) for t in required)
    self_match = False
    if required:
        # An existing pod counts for every required term only when it matches them all.
        for node, count in index.tracker(conditions).by_node.items():
            for term in required:
                _add(affinity_counts, node, term.topology_key, count)
        self_match = all(c.matches_pod(namespace, labels) for c in conditions)
    anti_counts: TopologyCounts = {}
    anti_conditions = tuple(merge_namespaces(t, namespaces) for t in anti)
    for term, condition in zip(anti, anti_conditions, strict=True):
        for node, count in index.tracker((condition,)).by_node.items():
            _add(anti_counts, node, term.topology_key, count)
    return AffinityState(
        namespace,
        labels,
        namespaces,
        existing,
        affinity_counts,
        anti_counts,
        required,
        conditions,
        anti,
        anti_conditions,
        self_match,
    )


def affinity_filter(state: AffinityState | None, index: PodIndex) -> Callable[[NodeInfo], FilterFailure | None] | None:
    """PreFilter's counts as a Filter for this cycle, per domain; None when the plugin has nothing to check."""
    if state is None:
        return None  # PreFilter returned Skip
    # Anti-affinity verdicts per domain, turned into their nodes' (the incoming pod's terms win over the
    # existing pods' where both reject a node, as Filter checks them in that order).
    failures: dict[NodeInfo, FilterFailure] = {}
    for counts, failure in ((state.existing, _EXISTING_ANTI_AFFINITY), (state.anti_counts, _ANTI_AFFINITY)):
        for key, value in counts:
            failures.update(dict.fromkeys(index.nodes_by_domain(key).get(value, ()), failure))
    if not state.required:
        return failures.get
    required_keys = tuple(t.topology_key for t in state.required)
    affinity_counts = state.affinity_counts
    # "The first pod in a series with affinity to themselves": no pod matches yet, and it matches its own terms.
    first_of_series = not affinity_counts and state.self_match

    def check(node: NodeInfo) -> FilterFailure | None:
        node_labels = node.labels
        pods_exist = True
        for key in required_keys:
            value = node_labels.get(key)
            if value is None:
                return _AFFINITY  # all topology labels must exist on the node
            if affinity_counts.get((key, value), 0) <= 0:
                pods_exist = False
        if not pods_exist and not first_of_series:
            return _AFFINITY
        return failures.get(node)

    return check


def topology_score(
    terms: PodTerms | None,
    labels: Mapping[str, str],
    namespace: str,
    index: PodIndex,
    namespaces: NamespaceLabels | None,
) -> dict[str, dict[str, int]]:
    """PreScore's topologyScore: per topology key and value, the summed weights of matching terms."""
    scores: dict[str, dict[str, int]] = {}

    def add(key: str, node: NodeInfo, amount: int) -> None:
        value = node.labels.get(key)
        if value is not None:
            by_value = scores.setdefault(key, {})
            by_value[value] = by_value.get(value, 0) + amount

    if terms is not None:
        weighted = [(w, 1) for w in terms.preferred_affinity] + [(w, -1) for w in terms.preferred_anti_affinity]
        for item, sign in weighted:
            condition = merge_namespaces(item.term, namespaces)
            for node, count in index.tracker((condition,)).by_node.items():
                add(item.term.topology_key, node, sign * item.weight * count)
    for term, weight, by_node in index.soft.matching(namespace, labels, lambda: _ns_labels(namespace, namespaces)):
        for node, count in by_node.items():
            add(term.topology_key, node, weight * count)
    return scores


def affinity_scores(topology: Mapping[str, Mapping[str, int]], feasible: Sequence[NodeInfo]) -> list[int]:
    """Score then NormalizeScore: each node's sum, scaled so the lowest is 0 and the highest 100."""
    raw = []
    for node in feasible:
        score = 0
        node_labels = node.labels
        for key, by_value in topology.items():
            value = node_labels.get(key)
            if value is not None:
                score += by_value.get(value, 0)
        raw.append(score)
    low, high = min(raw), max(raw)
    spread = high - low
    if spread <= 0:
        return [0] * len(raw)
    return [int(float(MAX_NODE_SCORE) * (float(score - low) / float(spread))) for score in raw]
