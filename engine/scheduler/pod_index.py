"""Which bound pods match which selectors, per node, kept up to date as pods come and go.

InterPodAffinity and PodTopologySpread count existing pods matching a selector by topology domain. Upstream
walks every pod of every node in each cycle; here a `Tracker` per (namespaces, selectors) keeps those counts
per node as the NodeInfos report their pods, so a cycle reads a few counts. The terms of existing pods that
reach out to incoming pods (anti-affinity symmetry, preferred terms) are kept the same way, indexed by a label
pair of their selector so that an incoming pod only looks at the terms that could select it: pods without any
constraints pay a couple of dict lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..selectors import LabelSelector
from .pod_terms import AffinityTerm, PodTerms, pod_terms

if TYPE_CHECKING:
    from .default_spread import DefaultSpreading
    from .node_info import NodeInfo
    from .profiles import Profile

__all__ = ["PodIndex", "PodRef", "Tracker", "pod_ref"]

Pair = tuple[str, str]
# Trackers kept at once; past that the least recently used one is dropped (and rebuilt on its next use).
_TRACKER_LIMIT = 8192
# What the existing pods' terms contribute to scores: (term, weight); required affinity weighs
# hardPodAffinityWeight (1), preferred anti-affinity the negated weight.
HARD_POD_AFFINITY_WEIGHT = 1


class PodRef(NamedTuple):
    namespace: str
    labels: Mapping[str, str]
    terminating: bool
    terms: PodTerms | None


def pod_ref(pod: Mapping[str, Any]) -> PodRef:
    meta = pod.get("metadata") or {}
    return PodRef(
        str(meta.get("namespace") or "default"),
        meta.get("labels") or {},
        bool(meta.get("deletionTimestamp")),
        pod_terms(pod),
    )


class Condition(NamedTuple):
    """Pods in `namespaces` (None: any namespace) whose labels match `selector`."""

    namespaces: frozenset[str] | None
    selector: LabelSelector

    def matches(self, ref: PodRef) -> bool:
        if self.namespaces is not None and ref.namespace not in self.namespaces:
            return False
        return self.selector.matches(ref.labels)

    def matches_pod(self, namespace: str, labels: Mapping[str, str]) -> bool:
        if self.namespaces is not None and namespace not in self.namespaces:
            return False
        return self.selector.matches(labels)


def _pairs(selector: LabelSelector) -> list[Pair] | None:
    """Label pairs one of which every matching pod must carry (from the first `=`/`in`), or None if none do."""
    for req in selector.requirements:
        if req.operator in ("=", "in"):
            return [(req.key, value) for value in req.values]
    return None


class Tracker:
    """Per node, how many bound pods match all the conditions (and aren't terminating, when asked)."""

    __slots__ = ("by_node", "conditions", "skip_terminating")

    def __init__(self, conditions: tuple[Condition, ...], skip_terminating: bool) -> None:
        self.conditions = conditions
        self.skip_terminating = skip_terminating
        self.by_node: dict[NodeInfo, int] = {}

    def matches(self, ref: PodRef) -> bool:
        if self.skip_terminating and ref.terminating:
            return False
        return all(c.matches(ref) for c in self.conditions)

    def update(self, node: NodeInfo, sign: int) -> None:
        count = self.by_node.get(node, 0) + sign
        if count > 0:
            self.by_node[node] = count
        else:
            self.by_node.pop(node, None)


class _TermTable:
    """Existing pods' terms, with per node the number of pods carrying each, indexed by a label pair."""

    def __init__(self) -> None:
        self.by_term: dict[tuple[AffinityTerm, int], dict[NodeInfo, int]] = {}
        self._by_pair: dict[Pair, set[tuple[AffinityTerm, int]]] = {}
        self._unindexed: set[tuple[AffinityTerm, int]] = set()

    def update(self, node: NodeInfo, entries: Iterable[tuple[AffinityTerm, int]], sign: int) -> None:
        for entry in entries:
            nodes = self.by_term.get(entry)
            if nodes is None:
                if sign < 0:
                    continue
                nodes = self.by_term[entry] = {}
                pairs = _pairs(entry[0].selector)
                if pairs is None:
                    self._unindexed.add(entry)
                for pair in pairs or ():
                    self._by_pair.setdefault(pair, set()).add(entry)
            count = nodes.get(node, 0) + sign
            if count > 0:
                nodes[node] = count
                continue
            nodes.pop(node, None)
            if not nodes:
                del self.by_term[entry]
                self._unindexed.discard(entry)
                for pair in _pairs(entry[0].selector) or ():
                    bucket = self._by_pair.get(pair)
                    if bucket is not None:
                        bucket.discard(entry)
                        if not bucket:
                            del self._by_pair[pair]

    def matching(
        self, namespace: str, labels: Mapping[str, str], ns_labels: Callable[[], Mapping[str, str]]
    ) -> Iterator[tuple[AffinityTerm, int, dict[NodeInfo, int]]]:
        """The terms that select a pod with these namespace and labels, with their pods' nodes.

        `ns_labels` gives the labels of the pod's namespace, asked only for terms with a namespaceSelector."""
        if not self.by_term:
            return
        candidates: set[tuple[AffinityTerm, int]] = set(self._unindexed)
        by_pair = self._by_pair
        if by_pair:
            for pair in labels.items():
                bucket = by_pair.get(pair)
                if bucket:
                    candidates |= bucket
        for entry in candidates:
            term = entry[0]
            if namespace not in term.namespaces:
                ns_selector = term.namespace_selector
                if ns_selector is None or not ns_selector.matches(ns_labels()):
                    continue
            if term.selector.matches(labels):
                yield term, entry[1], self.by_term[entry]


def _anti_entries(terms: PodTerms) -> list[tuple[AffinityTerm, int]]:
    return [(t, 0) for t in terms.required_anti_affinity]


def _score_entries(terms: PodTerms) -> list[tuple[AffinityTerm, int]]:
    out = [(t, HARD_POD_AFFINITY_WEIGHT) for t in terms.required_affinity]
    out += [(w.term, w.weight) for w in terms.preferred_affinity]
    out += [(w.term, -w.weight) for w in terms.preferred_anti_affinity]
    return out


class PodIndex:
    """The pods bound to one scheduler's NodeInfos, as the trackers and term tables need them.

    NodeInfos made with a `ChangeLog` report every pod they add or remove here. When the node list changes
    (`sync` sees another list) everything is rebuilt from the NodeInfos, which forgets deleted nodes.
    """

    def __init__(self) -> None:
        # Set by the scheduler controller: namespace name -> labels (for namespaceSelectors), the profile that
        # schedules a pod (by its schedulerName), and PodTopologySpread's default constraints (which need Services
        # and workloads). Without them no namespace has labels, every pod gets the default profile and no default
        # constraints apply.
        self.namespace_labels: Callable[[], Mapping[str, Mapping[str, str]]] | None = None
        self.profile_for: Callable[[Mapping[str, Any]], Profile | None] | None = None
        self.default_spreading: DefaultSpreading | None = None
        self._reset()

    def _reset(self) -> None:
        self._nodes: Sequence[NodeInfo] | None = None
        self.anti = _TermTable()
        self.soft = _TermTable()
        self._trackers: dict[tuple[tuple[Condition, ...], bool], Tracker] = {}
        self._trackers_by_pair: dict[Pair, list[Tracker]] = {}
        self._trackers_unindexed: list[Tracker] = []
        # (node, pod key) -> ref per label pair, kept only once a tracker has been asked for.
        self._by_pair: dict[Pair, dict[tuple[NodeInfo, str], PodRef]] | None = None
        self.label_epoch = 0  # bumped when a node's labels or taints change: cached domain sets are stale
        self.domain_cache: dict[Any, Any] = {}

    @classmethod
    def build(cls, nodes: Sequence[NodeInfo]) -> PodIndex:
        index = cls()
        index._fill(nodes)
        return index

    def _fill(self, nodes: Sequence[NodeInfo]) -> None:
        # Only the pods with terms matter until a tracker is asked for (which indexes the rest then).
        self._nodes = nodes
        for node in nodes:
            for key, ref in node.term_pods.items():
                self.pod_changed(node, key, ref, 1)

    def sync(self, nodes: Sequence[NodeInfo]) -> bool:
        """Follow this node list, starting afresh when it is a new one (nodes were added or deleted); False when
        some of its NodeInfos don't report to this index."""
        if nodes is self._nodes:
            return True
        changes = nodes[0].changes if nodes else None
        if changes is None or changes.pods is not self or any(node.changes is not changes for node in nodes):
            return False
        self._reset()
        self._fill(nodes)
        return True

    @property
    def idle(self) -> bool:
        """No existing pod has terms: a pod without terms of its own (nor default constraints) has nothing to
        check."""
        return not self.anti.by_term and not self.soft.by_term

    def nodes_by_domain(self, key: str) -> dict[str | None, list[NodeInfo]]:
        """The nodes of each value of a topology key (None: nodes without the label), cached until node labels
        change: a cycle turns a domain's verdict into its nodes' verdicts at C speed."""
        cache_key = ("nodes", key)
        cached = self.domain_cache.get(cache_key)
        if cached is None:
            cached = {}
            for node in self._nodes or ():
                cached.setdefault(node.labels.get(key), []).append(node)
            self.domain_cache[cache_key] = cached
        return cached

    def nodes_changed(self) -> None:
        self.label_epoch += 1
        self.domain_cache.clear()

    # --- pods ----------------------------------------------------------------------------------------------

    def pod_changed(self, node: NodeInfo, key: str, ref: PodRef, sign: int) -> None:
        terms = ref.terms
        if terms is not None and terms.has_affinity:
            self.anti.update(node, _anti_entries(terms), sign)
            self.soft.update(node, _score_entries(terms), sign)
        by_pair = self._by_pair
        if by_pair is None:
            return
        refs_key = (node, key)
        seen: set[int] = set()
        for pair in ref.labels.items():
            if sign > 0:
                by_pair.setdefault(pair, {})[refs_key] = ref
            else:
                bucket = by_pair.get(pair)
                if bucket is not None:
                    bucket.pop(refs_key, None)
                    if not bucket:
                        del by_pair[pair]
            for tracker in self._trackers_by_pair.get(pair, ()):
                if id(tracker) not in seen:
                    seen.add(id(tracker))
                    if tracker.matches(ref):
                        tracker.update(node, sign)
        for tracker in self._trackers_unindexed:
            if tracker.matches(ref):
                tracker.update(node, sign)

    # --- trackers ------------------------------------------------------------------------------------------

    def tracker(self, conditions: tuple[Condition, ...], skip_terminating: bool = False) -> Tracker:
        """Per-node counts of the pods matching every condition; built on first use, then kept current."""
        key = (conditions, skip_terminating)
        tracker = self._trackers.pop(key, None)
        if tracker is None:
            tracker = self._new_tracker(conditions, skip_terminating)
        self._trackers[key] = tracker  # reinserted last: least recently used first
        return tracker

    def _new_tracker(self, conditions: tuple[Condition, ...], skip_terminating: bool) -> Tracker:
        if self._by_pair is None:
            self._by_pair = {}
            for node in self._nodes or ():
                for key, ref in node.pod_refs.items():
                    for pair in ref.labels.items():
                        self._by_pair.setdefault(pair, {})[(node, key)] = ref
        if len(self._trackers) >= _TRACKER_LIMIT:
            self._drop(next(iter(self._trackers)))
        tracker = Tracker(conditions, skip_terminating)
        pairs = next((p for c in conditions if (p := _pairs(c.selector)) is not None), None)
        if pairs is None:
            self._trackers_unindexed.append(tracker)
            candidates: Iterable[tuple[tuple[NodeInfo, str], PodRef]] = (
                ((node, key), ref) for node in self._nodes or () for key, ref in node.pod_refs.items()
            )
        else:
            found: dict[tuple[NodeInfo, str], PodRef] = {}
            for pair in pairs:
                self._trackers_by_pair.setdefault(pair, []).append(tracker)
                found.update(self._by_pair.get(pair, {}))
            candidates = found.items()
        for (node, _), ref in candidates:
            if tracker.matches(ref):
                tracker.update(node, 1)
        return tracker

    def _drop(self, key: tuple[tuple[Condition, ...], bool]) -> None:
        tracker = self._trackers.pop(key)
        if tracker in self._trackers_unindexed:
            self._trackers_unindexed.remove(tracker)
        for bucket in self._trackers_by_pair.values():
            if tracker in bucket:
                bucket.remove(tracker)

