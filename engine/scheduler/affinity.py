"""Node selectors and node affinity (`component-helpers/scheduling/corev1/nodeaffinity`).

Terms are parsed once per pod. A term that fails to parse never matches, mirroring the
`LazyErrorNodeSelector` the scheduler uses for backwards compatibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..strconv import parse_int

__all__ = [
    "NodeSelectorTerm",
    "PreferredTerm",
    "RequiredNodeAffinity",
    "node_name_candidates",
    "parse_preferred_terms",
    "parse_required_affinity",
]

_NAME_FIELD = "metadata.name"


def _parse_int64(text: str) -> int | None:
    try:
        return parse_int(text)
    except ValueError:
        return None


@attrs.frozen
class _LabelRequirement:
    key: str
    operator: str
    values: frozenset[str]
    bound: int = 0

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        op = self.operator
        if op == "In":
            return value is not None and value in self.values
        if op == "NotIn":
            return value is None or value not in self.values
        if op == "Exists":
            return value is not None
        if op == "DoesNotExist":
            return value is None
        if value is None:
            return False
        actual = _parse_int64(value)
        if actual is None:
            return False
        return actual > self.bound if op == "Gt" else actual < self.bound


@attrs.frozen
class _FieldRequirement:
    key: str
    equal: bool
    value: str

    def matches(self, node_name: str) -> bool:
        actual = node_name if self.key == _NAME_FIELD else ""
        return (actual == self.value) == self.equal


def _label_requirement(expr: Mapping[str, Any]) -> _LabelRequirement | None:
    key = str(expr.get("key") or "")
    op = str(expr.get("operator") or "")
    values = [str(v) for v in expr.get("values") or ()]
    if op in ("In", "NotIn"):
        return _LabelRequirement(key, op, frozenset(values)) if values else None
    if op in ("Exists", "DoesNotExist"):
        return None if values else _LabelRequirement(key, op, frozenset())
    if op in ("Gt", "Lt"):
        bound = _parse_int64(values[0]) if len(values) == 1 else None
        return None if bound is None else _LabelRequirement(key, op, frozenset(values), bound)
    return None


def _field_requirement(expr: Mapping[str, Any]) -> _FieldRequirement | None:
    op = str(expr.get("operator") or "")
    values = [str(v) for v in expr.get("values") or ()]
    if op not in ("In", "NotIn") or len(values) != 1:
        return None
    return _FieldRequirement(str(expr.get("key") or ""), op == "In", values[0])


@attrs.frozen
class NodeSelectorTerm:
    """One `NodeSelectorTerm`: its matchExpressions and matchFields are ANDed."""

    labels: tuple[_LabelRequirement, ...]
    fields: tuple[_FieldRequirement, ...]
    valid: bool = True

    def matches(self, node_labels: Mapping[str, str], node_name: str) -> bool:
        if not self.valid:
            return False
        for req in self.labels:
            if not req.matches(node_labels):
                return False
        # Nodes always have a name, so the field selector always applies.
        return all(req.matches(node_name) for req in self.fields)


def _parse_term(term: Mapping[str, Any]) -> NodeSelectorTerm | None:
    """None for an empty term, which upstream treats as selecting nothing."""
    exprs = term.get("matchExpressions") or ()
    field_exprs = term.get("matchFields") or ()
    if not exprs and not field_exprs:
        return None
    labels = [_label_requirement(e) for e in exprs]
    fields = [_field_requirement(e) for e in field_exprs]
    valid = all(r is not None for r in labels) and all(r is not None for r in fields)
    return NodeSelectorTerm(
        tuple(r for r in labels if r is not None), tuple(r for r in fields if r is not None), valid
    )


@attrs.frozen
class RequiredNodeAffinity:
    """`spec.nodeSelector` ANDed with the ORed required node-affinity terms."""

    node_selector: tuple[tuple[str, str], ...] = ()
    # None when the pod has no required node affinity; () when it has one with no usable term.
    terms: tuple[NodeSelectorTerm, ...] | None = None

    def matches(self, node_labels: Mapping[str, str], node_name: str) -> bool:
        for key, value in self.node_selector:
            if node_labels.get(key) != value:
                return False
        if self.terms is None:
            return True
        return any(term.matches(node_labels, node_name) for term in self.terms)


def _node_affinity(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}


def parse_required_affinity(pod: Mapping[str, Any]) -> RequiredNodeAffinity | None:
    """None when neither a nodeSelector nor required node affinity constrains the pod."""
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    if not selector and required is None:
        return None
    terms = None
    if required is not None:
        parsed = (_parse_term(t) for t in required.get("nodeSelectorTerms") or ())
        terms = tuple(t for t in parsed if t is not None)
    pairs = tuple(sorted((str(k), str(v)) for k, v in selector.items()))
    return RequiredNodeAffinity(pairs, terms)


@attrs.frozen
class PreferredTerm:
    weight: int
    term: NodeSelectorTerm


def parse_preferred_terms(pod: Mapping[str, Any]) -> tuple[PreferredTerm, ...] | None:
    """The weighted preferred terms, or None when the pod has none (the plugin skips scoring).

    Upstream rejects the whole pod when a preferred term fails to parse; here such a term
    just never matches.
    """
    raw = _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution")
    if raw is None:
        return None
    out = []
    for item in raw:
        weight = int(item.get("weight") or 0)
        term = _parse_term(item.get("preference") or {})
        if weight and term is not None:
            out.append(PreferredTerm(weight, term))
    return tuple(out)


def node_name_candidates(pod: Mapping[str, Any]) -> frozenset[str] | None:
    """NodeAffinity PreFilter: the node names the required terms pin the pod to, if any.

    Only when every term carries a `metadata.name In` field requirement (DaemonSet pods);
    an empty set means the terms contradict each other.
    """
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    terms = required.get("nodeSelectorTerms") or ()
    if not terms:
        return None
    names: set[str] = set()
    for term in terms:
        term_names: set[str] | None = None
        for expr in term.get("matchFields") or ():
            if expr.get("key") == _NAME_FIELD and expr.get("operator") == "In":
                values = {str(v) for v in expr.get("values") or ()}
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return None
        names |= term_names
    return frozenset(names)
