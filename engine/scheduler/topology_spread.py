"""PodTopologySpread (`pkg/scheduler/framework/plugins/podtopologyspread`): PreFilter/Filter for the DoNotSchedule
constraints and PreScore/Score/NormalizeScore for the ScheduleAnyway ones, over a `PodIndex`'s counts.

Pods count in a domain when they are in the incoming pod's namespace, match the constraint's selector and are
not terminating, and their node is eligible: it carries every constraint's topology key and passes the
nodeAffinityPolicy (default Honor: the pod's nodeSelector and required node affinity) and nodeTaintsPolicy
(default Ignore) of the constraint.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .filters import FilterFailure
from .pod_index import Condition, PodIndex, PodRef
from .pod_info import PodInfo
from .pod_terms import DO_NOT_SCHEDULE, HOSTNAME, SCHEDULE_ANYWAY, SpreadConstraint
from .scores import MAX_NODE_SCORE
from .taints import find_untolerated_taint

if TYPE_CHECKING:
    from .node_info import NodeInfo

__all__ = [
    "ERR_CONSTRAINTS_NOT_MATCH",
    "ERR_NODE_LABEL_NOT_MATCH",
    "POD_TOPOLOGY_SPREAD",
    "SpreadState",
    "spread_filter",
    "spread_prefilter",
    "spread_scores",
]

POD_TOPOLOGY_SPREAD = "PodTopologySpread"
ERR_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_NODE_LABEL_NOT_MATCH = ERR_CONSTRAINTS_NOT_MATCH + " (missing required label)"

_NOT_MATCH = FilterFailure(POD_TOPOLOGY_SPREAD, (ERR_CONSTRAINTS_NOT_MATCH,))
_LABEL_MISSING = FilterFailure(POD_TOPOLOGY_SPREAD, (ERR_NODE_LABEL_NOT_MATCH,), unresolvable=True)
_MAX_INT32 = 2**31 - 1


def _included(constraint: SpreadConstraint, info: PodInfo, node: NodeInfo) -> bool:
    """matchNodeInclusionPolicies."""
    if constraint.honor_node_affinity:
        required = info.required_affinity
        if required is not None and not required.matches(node.labels, node.name):
            return False
    return not (
        constraint.honor_node_taints
        and node.filter_taints
        and find_untolerated_taint(node.filter_taints, info.tolerations) is not None
    )


def _has_keys(node: NodeInfo, keys: tuple[str, ...]) -> bool:
    labels = node.labels
    return all(key in labels for key in keys)


def _trackers(constraints: Sequence[SpreadConstraint], namespace: str, index: PodIndex) -> list[dict[NodeInfo, int]]:
    namespaces = frozenset({namespace})
    return [index.tracker((Condition(namespaces, c.selector),), skip_terminating=True).by_node for c in constraints]


def _domains(
    constraints: tuple[SpreadConstraint, ...], info: PodInfo, nodes: Sequence[NodeInfo], index: PodIndex
) -> list[frozenset[str]]:
    """Per constraint, the topology values of the eligible nodes (cached until node labels or taints change)."""
    keys = tuple(c.topology_key for c in constraints)
    cache_key = (
        keys,
        tuple(
            (c.honor_node_affinity and info.required_affinity, c.honor_node_taints and info.tolerations)
            for c in constraints
        ),
    )
    cached = index.domain_cache.get(cache_key)
    if cached is not None:
        return cached
    values: list[set[str]] = [set() for _ in constraints]
    for node in nodes:
        if not _has_keys(node, keys):
            continue
        for i, constraint in enumerate(constraints):
            if _included(constraint, info, node):
                values[i].add(node.labels[constraint.topology_key])
    result = [frozenset(v) for v in values]
    index.domain_cache[cache_key] = result
    return result


@attrs.define
class SpreadRow:
    """One DoNotSchedule constraint's part of the preFilterState: matching pods per eligible domain."""

    constraint: SpreadConstraint
    counts: dict[str, int]
    self_match: int

    def minimum(self) -> int:
        """minMatchNum: the global minimum, 0 while fewer domains than minDomains are eligible."""
        if len(self.counts) < self.constraint.min_domains:
            return 0
        return min(self.counts.values(), default=_MAX_INT32)


@attrs.define
class SpreadState:
    """PodTopologySpread's preFilterState for the DoNotSchedule constraints. Preemption's dry run copies it per node
    and adds or removes pods (AddPod/RemovePod)."""

    info: PodInfo
    namespace: str
    keys: tuple[str, ...]
    rows: list[SpreadRow]

    def copy(self) -> SpreadState:
        """preFilterState.Clone: the counts copied, the constraints shared."""
        rows = [SpreadRow(r.constraint, dict(r.counts), r.self_match) for r in self.rows]
        return attrs.evolve(self, rows=rows)

    def update_with_pod(self, ref: PodRef, node: NodeInfo, sign: int) -> None:
        """updateWithPod: `ref` added to (1) or removed from (-1) `node`. Like upstream it does not look at whether
        the pod is terminating, although PreFilter did not count terminating pods."""
        if ref.namespace != self.namespace or not _has_keys(node, self.keys):
            return
        for row in self.rows:
            constraint = row.constraint
            if not constraint.selector.matches(ref.labels) or not _included(constraint, self.info, node):
                continue
            value = node.labels[constraint.topology_key]
            row.counts[value] = row.counts.get(value, 0) + sign

    def filter(self, node: NodeInfo) -> FilterFailure | None:
        """Filter for one node: 'existing matching num' + 'if self-match (1 or 0)' - 'global minimum' <= 'maxSkew'."""
        for row in self.rows:
            value = node.labels.get(row.constraint.topology_key)
            if value is None:
                return _LABEL_MISSING
            if row.counts.get(value, 0) + row.self_match - row.minimum() > row.constraint.max_skew:
                return _NOT_MATCH
        return None


def spread_prefilter(
    info: PodInfo,
    constraints: tuple[SpreadConstraint, ...],
    namespace: str,
    labels: Mapping[str, str],
    nodes: Sequence[NodeInfo],
    index: PodIndex,
) -> SpreadState | None:
    """PreFilter: match counts per eligible domain of each DoNotSchedule constraint; None to skip."""
    constraints = tuple(c for c in constraints if c.when_unsatisfiable == DO_NOT_SCHEDULE)
    if not constraints:
        return None
    keys = tuple(c.topology_key for c in constraints)
    domains = _domains(constraints, info, nodes, index)
    rows = []
    for constraint, domain, by_node in zip(constraints, domains, _trackers(constraints, namespace, index), strict=True):
        key = constraint.topology_key
        counts = dict.fromkeys(domain, 0)
        for node, count in by_node.items():
            if _has_keys(node, keys) and _included(constraint, info, node):
                counts[node.labels[key]] += count
        rows.append(SpreadRow(constraint, counts, 1 if constraint.selector.matches(labels) else 0))
    return SpreadState(info, namespace, keys, rows)


def spread_filter(state: SpreadState | None, index: PodIndex) -> Callable[[NodeInfo], FilterFailure | None] | None:
    """PreFilter's counts as a Filter for this cycle, per domain; None to skip."""
    if state is None:
        return None
    # Filter, per domain rather than per node. Later constraints go first so that each node keeps its first failure.
    failures: dict[NodeInfo, FilterFailure] = {}
    for row in reversed(state.rows):
        offset = row.self_match - row.minimum()
        max_skew, counts = row.constraint.max_skew, row.counts
        for value, members in index.nodes_by_domain(row.constraint.topology_key).items():
            if value is None:
                failures.update(dict.fromkeys(members, _LABEL_MISSING))
            elif counts.get(value, 0) + offset > max_skew:
                failures.update(dict.fromkeys(members, _NOT_MATCH))
    return failures.get


def _round(value: float) -> int:
    """Go's math.Round (half away from zero) for the non-negative scores here."""
    return math.floor(value + 0.5)


def _groups(
    keys: tuple[str, ...], nodes: Sequence[NodeInfo], index: PodIndex
) -> tuple[dict[NodeInfo, tuple[str | None, ...]], frozenset[tuple[str | None, ...]]]:
    """Each node's values of the topology keys (None: the label is missing; a hostname only "": present), cached
    until node labels change: nodes alike in them score alike but for their own pods, so a cycle works out one score
    per group."""
    cache_key = ("groups", keys)
    cached = index.domain_cache.get(cache_key)
    if cached is None:
        by_node = {node: _group(keys, node) for node in nodes}
        cached = index.domain_cache[cache_key] = (by_node, frozenset(by_node.values()))
    return cached


def _group(keys: tuple[str, ...], node: NodeInfo) -> tuple[str | None, ...]:
    labels = node.labels
    return tuple(("" if key in labels else None) if key == HOSTNAME else labels.get(key) for key in keys)


def spread_scores(
    info: PodInfo,
    constraints: tuple[SpreadConstraint, ...],
    require_all: bool,
    namespace: str,
    feasible: Sequence[NodeInfo],
    nodes: Sequence[NodeInfo],
    index: PodIndex,
) -> list[int] | None:
    """PreScore, Score and NormalizeScore over the feasible nodes; None when there is no ScheduleAnyway constraint.

    `require_all`: nodes lacking one of the topology keys are ignored (score 0); false only for the system
    default constraints, so that nodes without a zone label still spread by hostname.

    Scores are worked out per group of nodes with the same topology values, then per node only for the nodes
    holding matching pods (hostname counts): the same floating-point sums in the same order as per node.
    """
    constraints = tuple(c for c in constraints if c.when_unsatisfiable == SCHEDULE_ANYWAY)
    if not constraints:
        return None
    keys = tuple(c.topology_key for c in constraints)
    groups, distinct = _groups(keys, nodes, index)
    alike = len(distinct) == 1 and len(groups) == len(nodes)  # then every feasible node is in that one group
    feasible_groups = [*distinct] * len(feasible) if alike else [groups.get(n) or _group(keys, n) for n in feasible]
    present = set(distinct) if alike else set(feasible_groups)
    ignored_groups = {g for g in present if None in g} if require_all else set()
    ignored = sum(1 for g in feasible_groups if g in ignored_groups) if ignored_groups else 0
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for group in present:
        if group in ignored_groups:
            continue
        for i, constraint in enumerate(constraints):
            if constraint.topology_key != HOSTNAME:
                counts[i].setdefault(group[i] if group[i] is not None else "", 0)
    weights = []
    for i, constraint in enumerate(constraints):
        size = len(feasible) - ignored if constraint.topology_key == HOSTNAME else len(counts[i])
        weights.append(math.log(float(size + 2)))  # topologyNormalizingWeight
    trackers = _trackers(constraints, namespace, index)
    for i, constraint in enumerate(constraints):
        if constraint.topology_key == HOSTNAME:
            continue  # counted per node in Score
        for node, count in trackers[i].items():
            if require_all and not _has_keys(node, keys):
                continue
            if not _included(constraint, info, node):
                continue
            value = node.labels.get(constraint.topology_key, "")
            if value in counts[i]:
                counts[i][value] += count

    def score_for(group: tuple[str | None, ...], node: NodeInfo | None) -> int:
        score = 0.0
        for i, constraint in enumerate(constraints):
            value = group[i]
            if value is None:
                continue
            if constraint.topology_key == HOSTNAME:
                count = trackers[i].get(node, 0) if node is not None else 0
            else:
                count = counts[i][value]
            score += float(count) * weights[i] + float(constraint.max_skew - 1)  # scoreForCount
        return _round(score)

    by_group = {group: score_for(group, None) for group in present if group not in ignored_groups}
    if alike:
        raw: list[int | None] = [by_group.get(feasible_groups[0]) if feasible_groups else None] * len(feasible)
    else:
        raw = [by_group.get(group) for group in feasible_groups]
    hostname_counts = [trackers[i] for i, c in enumerate(constraints) if c.topology_key == HOSTNAME]
    if any(hostname_counts):
        for i in _positions(feasible, {node for tracker in hostname_counts for node in tracker}):
            if raw[i] is not None:
                raw[i] = score_for(feasible_groups[i], feasible[i])
    return _normalize(raw)


def _positions(feasible: Sequence[NodeInfo], wanted: set[NodeInfo]) -> list[int]:
    """Where the few `wanted` nodes are among the feasible ones (a C-level scan each, when they are few)."""
    if len(wanted) * 8 > len(feasible) or not isinstance(feasible, list):
        return [i for i, node in enumerate(feasible) if node in wanted]
    out = []
    for node in wanted:
        try:
            out.append(feasible.index(node))
        except ValueError:
            continue  # not feasible (or not in this window)
    return out


def _normalize(raw: list[int | None]) -> list[int]:
    """NormalizeScore: fewer matching pods is better; ignored nodes score 0."""
    distinct = set(raw)
    distinct.discard(None)
    low = min(distinct, default=0)  # type: ignore[type-var]
    high = max(distinct, default=0)  # type: ignore[type-var]
    # Each distinct raw score normalised once: replicas leave most nodes with one of a handful of scores.
    normal = {
        score: MAX_NODE_SCORE if high == 0 else MAX_NODE_SCORE * (high + low - score) // high for score in distinct
    }
    normal[None] = 0
    return [normal[score] for score in raw]
