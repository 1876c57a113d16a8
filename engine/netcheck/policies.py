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

from collections.abc import Iterable
from typing import Any

from ..network.policy import Policy, compile_policies
from .finding import IGNORE_ANNOTATION, Finding
from .pods import PodIndex, PodShape

Obj = dict[str, Any]
REASONS = {"ingress": "DefaultDenyIngress", "egress": "DefaultDenyEgress"}


def _isolated(policies: tuple[Policy, ...], shape: PodShape, direction: str) -> list[Policy]:
    """The policies that cut the pod off from all traffic in `direction`; empty when it is not cut off."""
    if (shape.pod.get("spec") or {}).get("hostNetwork"):
        return []
    selecting = [p for p in policies if getattr(p, direction) is not None and p.selector.matches(shape.labels)]
    if any(getattr(p, direction) for p in selecting):
        return []  # some rule of some selecting policy admits traffic
    return selecting


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
    cut_off: dict[tuple[str, str, int, str], list[PodShape]] = {}
    for namespace, policies in compiled.items():
        for shape in index.by_namespace.get(namespace, ()):
            for rank, direction in enumerate(REASONS):
                for policy in _isolated(policies, shape, direction):
                    cut_off.setdefault((namespace, policy.name, rank, direction), []).append(shape)
    by_name = {(p.namespace, p.name): p for policies in compiled.values() for p in policies}
    out = []
    for (namespace, name, _, direction), shapes in sorted(cut_off.items()):
        if (namespace, name) not in declared:
            continue
        message = _message(by_name[(namespace, name)], direction, shapes, index)
        out.append(Finding("NetworkPolicy", namespace, name, REASONS[direction], message,
                           _field(declared[(namespace, name)])))
    return out
