"""NetworkPolicies that cut pods off from all traffic in a direction (a default deny).

A pod is isolated for ingress (egress) when a policy of that type selects it, and then receives (sends) only
what some rule of some policy selecting it allows (`engine/network/policy.py`). When every policy that isolates a
pod has no rule in that direction, nothing can reach (leave) it. That is often exactly what was meant - a
namespace-wide default deny, with allow policies for the pods that need traffic - so the warning is only given
for pods no other policy opens in that direction, and says that a default deny may be intended.

A rule counts as admitting something as soon as it exists, even one whose peers match no pod today: the rule
says who the author meant to let in, and pods may come later. Host-network pods are never isolated (policies do
not apply to them), and the kubelet's probes from a pod's own node always pass, so an isolated pod stays Ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..network.policy import Policy, compile_policies
from .finding import IGNORE_ANNOTATION, Finding
from .pods import PodIndex, PodShape

Obj = dict[str, Any]
REASONS = {"ingress": "DefaultDenyIngress", "egress": "DefaultDenyEgress"}


class _Selecting:
    """The policies of one namespace by a label pair their podSelector requires, so a pod is matched only
    against policies that can select it: a few selector matches per pod, not one per policy."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self._by_pair: dict[tuple[str, str], list[Policy]] = {}
        self._others: list[Policy] = []  # selectors with no equality to index them by ({}, Exists, NotIn, ...)
        for policy in policies:
            pairs = next(([(r.key, v) for v in r.values] for r in policy.selector.requirements
                          if r.operator in ("=", "in") and r.values), None)
            if pairs is None or policy.selector.nothing:
                self._others.append(policy)
            for pair in pairs or ():
                self._by_pair.setdefault(pair, []).append(policy)

    def selecting(self, labels: Mapping[str, str]) -> list[Policy]:
        found = {id(p): p for pair in labels.items() for p in self._by_pair.get(pair, ())}
        found.update((id(p), p) for p in self._others)
        return sorted((p for p in found.values() if p.selector.matches(labels)), key=lambda p: p.name)


def _isolated(selecting: list[Policy], direction: str) -> list[Policy]:
    """The policies that cut pods off from all traffic in `direction`, given all the policies selecting them;
    empty when none does."""
    isolating = [p for p in selecting if getattr(p, direction) is not None]
    if any(getattr(p, direction) for p in isolating):
        return []  # some rule of some selecting policy admits traffic
    return isolating


def _cut_off(policies: tuple[Policy, ...], shapes: Iterable[PodShape]
             ) -> dict[tuple[str, int, str], list[PodShape]]:
    """(policy, rank, direction) -> the pods it cuts off, for one namespace. Only directions some policy denies
    outright are looked at, and each label set once: a Deployment's pods share theirs."""
    directions = [(rank, d) for rank, d in enumerate(REASONS)
                  if any(getattr(p, d) == () for p in policies)]  # a policy isolating with no rule at all
    if not directions:
        return {}
    index = _Selecting(policies)
    verdicts: dict[frozenset[tuple[str, str]], list[tuple[Policy, int, str]]] = {}
    out: dict[tuple[str, int, str], list[PodShape]] = {}
    for shape in shapes:
        if (shape.pod.get("spec") or {}).get("hostNetwork"):
            continue  # policies do not apply to pods in their node's network namespace
        labels = frozenset(shape.labels.items())
        if labels not in verdicts:
            selecting = index.selecting(shape.labels)
            verdicts[labels] = [(policy, rank, d) for rank, d in directions for policy in _isolated(selecting, d)]
        for policy, rank, direction in verdicts[labels]:
            out.setdefault((policy.name, rank, direction), []).append(shape)
    return out


def _message(policy: Policy, direction: str, shapes: list[PodShape], index: PodIndex) -> str:
    selected = f"podSelector: {policy.selector}" if not policy.selector.empty else "every pod in the namespace"
    if direction == "ingress":
        effect = ("no NetworkPolicy allows any connection to these pods (only the kubelet's probes from their own "
                  "node get through)")
        fix = "add an ingress rule (here or in another policy selecting them) that admits their clients"
    else:
        effect = ("no NetworkPolicy allows any connection from these pods, DNS lookups included, so they cannot "
                  "even resolve a Service name")
        fix = ("add an egress rule (here or in another policy selecting them) for what they must reach, at least "
               "UDP and TCP port 53 to the kube-dns pods in kube-system")
    return (f"isolates {index.owners(shapes)} ({selected}) from all {direction} traffic, a default deny: {effect}. "
            f"If that is intended, say so with the annotation {IGNORE_ANNOTATION}: {REASONS[direction]}; "
            f"otherwise {fix}.")


def _field(declared: Obj | None) -> str:
    """policyTypes says which directions are isolated; without it, the podSelector says which pods."""
    spec = (declared or {}).get("spec")
    return "spec.policyTypes" if isinstance(spec, dict) and "policyTypes" in spec else "spec.podSelector"


def policy_findings(objects: Iterable[Obj], index: PodIndex, declared: dict[tuple[str, str], Obj | None]
                    ) -> list[Finding]:
    """Warnings for the policies of `declared` ((namespace, name) -> the policy as its file writes it), judged
    against every policy in `objects` (all the cluster's NetworkPolicies)."""
    compiled = compile_policies(objects)
    # (namespace, policy, rank, direction) -> the pods it cuts off; ranked so that ingress is reported first
    cut_off = {(namespace, *key): shapes for namespace, policies in compiled.items()
               for key, shapes in _cut_off(policies, index.by_namespace.get(namespace, ())).items()}
    by_name = {(p.namespace, p.name): p for policies in compiled.values() for p in policies}
    out = []
    for (namespace, name, _, direction), shapes in sorted(cut_off.items()):
        if (namespace, name) not in declared:
            continue
        message = _message(by_name[(namespace, name)], direction, shapes, index)
        out.append(Finding("NetworkPolicy", namespace, name, REASONS[direction], message,
                           _field(declared[(namespace, name)])))
    return out
