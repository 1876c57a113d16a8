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

from .filters import FilterFailure
from .pod_index import Condition, PodIndex
from .pod_terms import AffinityTerm, PodTerms
from .scores import MAX_NODE_SCORE

if TYPE_CHECKING:
    from .node_info import NodeInfo

__all__ = [
    "ERR_AFFINITY_RULES",
    "ERR_ANTI_AFFINITY_RULES",
    "ERR_EXISTING_ANTI_AFFINITY_RULES",
    "INTER_POD_AFFINITY",
    "affinity_filter",
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


def affinity_filter(
    terms: PodTerms | None,
    labels: Mapping[str, str],
    namespace: str,
    index: PodIndex,
    namespaces: NamespaceLabels | None,
) -> Callable[[NodeInfo], FilterFailure | None] | None:
    """PreFilter: the counts Filter reads, as a Filter for this cycle; None when the plugin has nothing to check."""
    existing = existing_anti_affinity_counts(namespace, labels, index, namespaces)
    required = terms.required_affinity if terms is not None else ()
    anti = terms.required_anti_affinity if terms is not None else ()
    if not existing and not required and not anti:
        return None  # PreFilter returns Skip

    affinity_counts: TopologyCounts = {}
    self_match = False
    if required:
        conditions = tuple(merge_namespaces(t, namespaces) for t in required)
        # An existing pod counts for every required term only when it matches them all.
        for node, count in index.tracker(conditions).by_node.items():
            for term in required:
                _add(affinity_counts, node, term.topology_key, count)
        self_match = all(c.matches_pod(namespace, labels) for c in conditions)
    anti_counts: TopologyCounts = {}
    for term in anti:
        for node, count in index.tracker((merge_namespaces(term, namespaces),)).by_node.items():
            _add(anti_counts, node, term.topology_key, count)
    # Anti-affinity verdicts per domain, turned into their nodes' (the incoming pod's terms win over the
    # existing pods' where both reject a node, as Filter checks them in that order).
    failures: dict[NodeInfo, FilterFailure] = {}
    for counts, failure in ((existing, _EXISTING_ANTI_AFFINITY), (anti_counts, _ANTI_AFFINITY)):
        for key, value in counts:
            failures.update(dict.fromkeys(index.nodes_by_domain(key).get(value, ()), failure))
    if not required:
        return failures.get
    required_keys = tuple(t.topology_key for t in required)
    # "The first pod in a series with affinity to themselves": no pod matches yet, and it matches its own terms.
    first_of_series = not affinity_counts and self_match

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
