"""The plugins whose verdicts depend on other pods, PodTopologySpread and InterPodAffinity, for one cycle.

Their Filter and Score can't be memoised per node like the others', so `prepare` builds them per cycle (their
PreFilter/PreScore) and the scheduler layers them on the memoised verdicts. A pod with no constraints of its
own, that no existing pod's terms select and that the default spreading leaves alone, gets None and the
memoised fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .filters import FilterFailure
from .interpod_affinity import INTER_POD_AFFINITY, affinity_filter, affinity_scores, topology_score
from .pod_index import PodIndex
from .pod_info import PodInfo
from .pod_terms import pod_terms
from .topology_spread import POD_TOPOLOGY_SPREAD, spread_filter, spread_scores

if TYPE_CHECKING:
    from .node_info import NodeInfo

__all__ = ["PodCycle", "prepare"]

NodeFilter = Callable[["NodeInfo"], "FilterFailure | None"]


@attrs.frozen
class PodCycle:
    """This cycle's Filter (PodTopologySpread, then InterPodAffinity) and Score for those two plugins."""

    filter: NodeFilter | None
    _score: Callable[[Sequence[NodeInfo]], dict[str, list[int]]] | None = attrs.field(alias="score")

    def scores(self, feasible: Sequence[NodeInfo]) -> dict[str, list[int]]:
        """Normalised scores per plugin (only the plugins that didn't skip), in `feasible` order."""
        return self._score(feasible) if self._score is not None else {}


def _chain(first: NodeFilter | None, second: NodeFilter | None) -> NodeFilter | None:
    if first is None or second is None:
        return first or second

    def check(node: NodeInfo) -> FilterFailure | None:
        return first(node) or second(node)

    return check


def prepare(pod: Mapping[str, Any], info: PodInfo, nodes: Sequence[NodeInfo]) -> PodCycle | None:
    """PreFilter and PreScore of both plugins; None when both skip every step."""
    if not nodes:
        return None
    changes = nodes[0].changes
    if changes is not None and changes.pods.sync(nodes):
        index = changes.pods
        if not info.has_pod_terms and index.idle:
            return None  # the common case: nothing to do, at the cost of a few attribute reads
    elif not info.has_pod_terms and not any(node.term_pods for node in nodes):
        return None
    else:
        index = PodIndex.build(nodes)
    meta = pod.get("metadata") or {}
    namespace = str(meta.get("namespace") or "default")
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    terms = pod_terms(pod) if info.has_pod_terms else None
    namespaces = index.namespace_labels

    spread = None
    if terms is not None and terms.spread:
        spread = spread_filter(info, terms.spread, namespace, labels, nodes, index)
    node_filter = _chain(spread, affinity_filter(terms, labels, namespace, index, namespaces))

    topology = topology_score(terms, labels, namespace, index, namespaces)
    constraints, require_all = (), True
    if terms is not None and terms.explicit_spread:
        constraints = terms.spread
    elif index.default_constraints is not None:
        constraints, require_all = index.default_constraints(pod, namespace, labels), False
    scored_spread = any(c.when_unsatisfiable != "DoNotSchedule" for c in constraints)
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

    return PodCycle(node_filter, score if topology or scored_spread else None)
