"""Pod (anti-)affinity terms and topology spread constraints, parsed once per (namespace, labels, spec) of a pod.

Unlike `PodInfo`, these depend on the pod's metadata: a term without namespaces means the pod's own namespace,
and `matchLabelKeys` / `mismatchLabelKeys` take the pod's label values. Upstream the API server merges the latter
into the label selector when the pod is created (MatchLabelKeysInPodAffinity,
MatchLabelKeysInPodTopologySpreadSelectorMerge); k9py merges them here, which schedules the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import ApiError
from ..selectors import LabelSelector, Requirement, selector_from_dict

__all__ = [
    "HOSTNAME",
    "ZONE",
    "AffinityTerm",
    "PodTerms",
    "SpreadConstraint",
    "WeightedTerm",
    "has_pod_terms",
    "pod_terms",
]

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
_NOTHING = LabelSelector(nothing=True)


@attrs.frozen
class AffinityTerm:
    """`framework.AffinityTerm`: which pods a term selects, and over which topology."""

    selector: LabelSelector
    topology_key: str
    namespaces: frozenset[str]
    # None: no namespaceSelector (matches no namespace); an empty selector matches every namespace.
    namespace_selector: LabelSelector | None = None

    @property
    def all_namespaces(self) -> bool:
        return self.namespace_selector is not None and self.namespace_selector.empty

    def matches(self, namespace: str, labels: Mapping[str, str], ns_labels: Mapping[str, str] | None) -> bool:
        """`AffinityTerm.Matches`: the pod's namespace is listed or selected, and its labels match."""
        if namespace not in self.namespaces:
            ns_selector = self.namespace_selector
            if ns_selector is None or not ns_selector.matches(ns_labels):
                return False
        return self.selector.matches(labels)


@attrs.frozen
class WeightedTerm:
    weight: int
    term: AffinityTerm


@attrs.frozen
class SpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    selector: LabelSelector
    min_domains: int = 1
    honor_node_affinity: bool = True  # nodeAffinityPolicy, default Honor
    honor_node_taints: bool = False  # nodeTaintsPolicy, default Ignore


@attrs.frozen
class PodTerms:
    """Everything InterPodAffinity and PodTopologySpread read of one pod."""

    namespace: str
    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedTerm, ...] = ()
    spread: tuple[SpreadConstraint, ...] = ()
    # The pod has a `topologySpreadConstraints` list of its own (then the system defaults don't apply).
    explicit_spread: bool = False

    @property
    def has_affinity(self) -> bool:
        return bool(
            self.required_affinity or self.required_anti_affinity or self.preferred_affinity
            or self.preferred_anti_affinity
        )


def has_pod_terms(spec: Mapping[str, Any]) -> bool:
    """Whether the spec asks for pod (anti-)affinity or topology spreading: the only pods that pay for them."""
    if spec.get("topologySpreadConstraints"):
        return True
    affinity = spec.get("affinity")
    return bool(affinity) and bool(affinity.get("podAffinity") or affinity.get("podAntiAffinity"))


def _selector(raw: Any, labels: Mapping[str, str], match_keys: Any, mismatch_keys: Any = ()) -> LabelSelector:
    """The term's selector with `matchLabelKeys` (In) and `mismatchLabelKeys` (NotIn) merged from the pod's labels.

    An invalid selector selects nothing (upstream the API server refuses it).
    """
    try:
        selector = selector_from_dict(raw)
    except ApiError:
        return _NOTHING
    if selector.nothing:
        return selector
    extra = [Requirement(str(k), "in", (labels[k],)) for k in match_keys or () if k in labels]
    extra += [Requirement(str(k), "notin", (labels[k],)) for k in mismatch_keys or () if k in labels]
    return LabelSelector((*selector.requirements, *extra)) if extra else selector


def _affinity_term(raw: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> AffinityTerm:
    names = frozenset(str(n) for n in raw.get("namespaces") or ())
    ns_raw = raw.get("namespaceSelector")
    ns_selector = None
    if ns_raw is not None:
        try:
            ns_selector = selector_from_dict(ns_raw)
        except ApiError:
            ns_selector = None
    if not names and ns_raw is None:
        names = frozenset({namespace})  # getNamespacesFromPodAffinityTerm: the pod's own namespace
    selector = (
        _selector(raw.get("labelSelector"), labels, raw.get("matchLabelKeys"), raw.get("mismatchLabelKeys"))
        if raw.get("labelSelector") is not None
        else _NOTHING
    )
    return AffinityTerm(selector, str(raw.get("topologyKey") or ""), names, ns_selector)


def _required(section: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> tuple[AffinityTerm, ...]:
    raw = section.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
    return tuple(_affinity_term(t, namespace, labels) for t in raw if isinstance(t, Mapping))


def _preferred(section: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> tuple[WeightedTerm, ...]:
    out = []
    for item in section.get("preferredDuringSchedulingIgnoredDuringExecution") or ():
        if not isinstance(item, Mapping):
            continue
        weight = _int(item.get("weight"), 0)
        term = item.get("podAffinityTerm")
        if weight and isinstance(term, Mapping):
            out.append(WeightedTerm(weight, _affinity_term(term, namespace, labels)))
    return tuple(out)


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _spread(raw: Mapping[str, Any], labels: Mapping[str, str]) -> SpreadConstraint:
    return SpreadConstraint(
        max_skew=_int(raw.get("maxSkew"), 1),
        topology_key=str(raw.get("topologyKey") or ""),
        when_unsatisfiable=str(raw.get("whenUnsatisfiable") or DO_NOT_SCHEDULE),
        selector=_selector(raw.get("labelSelector"), labels, raw.get("matchLabelKeys")),
        min_domains=_int(raw.get("minDomains"), 1),
        honor_node_affinity=raw.get("nodeAffinityPolicy") != "Ignore",
        honor_node_taints=raw.get("nodeTaintsPolicy") == "Honor",
    )


def _build(namespace: str, labels: Mapping[str, str], spec: Mapping[str, Any]) -> PodTerms:
    affinity = spec.get("affinity") or {}
    pod_affinity = affinity.get("podAffinity") or {}
    anti = affinity.get("podAntiAffinity") or {}
    raw_spread = spec.get("topologySpreadConstraints") or ()
    return PodTerms(
        namespace=namespace,
        required_affinity=_required(pod_affinity, namespace, labels),
        required_anti_affinity=_required(anti, namespace, labels),
        preferred_affinity=_preferred(pod_affinity, namespace, labels),
        preferred_anti_affinity=_preferred(anti, namespace, labels),
        spread=tuple(_spread(c, labels) for c in raw_spread if isinstance(c, Mapping)),
        explicit_spread=bool(raw_spread),
    )


# Replicas share namespace, labels (but for their own) and spec: parse each combination once.
_CACHE: dict[tuple[str, str, tuple[tuple[str, str], ...]], PodTerms] = {}
_CACHE_LIMIT = 16384


def pod_terms(pod: Mapping[str, Any]) -> PodTerms | None:
    """The pod's parsed terms, or None when it has neither pod (anti-)affinity nor spread constraints."""
    spec = pod.get("spec") or {}
    if not has_pod_terms(spec):
        return None
    meta = pod.get("metadata") or {}
    namespace = str(meta.get("namespace") or "default")
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    affinity = spec.get("affinity") or {}
    key = (
        namespace,
        repr((affinity.get("podAffinity"), affinity.get("podAntiAffinity"), spec.get("topologySpreadConstraints"))),
        tuple(sorted(labels.items())),
    )
    terms = _CACHE.get(key)
    if terms is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        terms = _CACHE[key] = _build(namespace, labels, spec)
    return terms
