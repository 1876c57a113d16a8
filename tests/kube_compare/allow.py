"""The differences the comparison accepts, each with its reason. Anything else fails the test.

An entry names the commands it applies to (a regex searched in the step's title, e.g. `kubectl describe pod`) and
either a regex searched in each normalised output line (matching lines are dropped on both sides, or, with
`replace`, the matched text is rewritten on both sides, for a value that differs inside an otherwise equal line),
or a field of a YAML answer (`kubectl get -o yaml`), removed on both sides: `status.conditions[type=X]` (the list
items whose `type` is X), `status.containerStatuses[].started` (that field of every item).
Keep this list short: a difference that can be fixed should be fixed, not listed.
"""

from __future__ import annotations

import re
from typing import Any

import attrs


@attrs.frozen
class Allowed:
    command: str
    line: str
    reason: str
    replace: str | None = None
    field: str | None = None


KWOK = "kwok's pods run nothing: no image pull, no container start, no probes (k9py's kubelet runs them)"

ALLOWED: tuple[Allowed, ...] = (
    Allowed(".", r"^stderr: Warning: v1 Endpoints is deprecated in v1\.33\+",
            "a real 1.36 server warns on every v1 Endpoints request; k9py serves no EndpointSlices to move to"),
    Allowed(r"kubectl rollout status", r"^Waiting for deployment .* (rollout to finish|to be observed)",
            "progress lines depend on timing: kwok's pods are Running at once, k9py's pull and start"),
    # --- kwok runs nothing ---
    Allowed(r"kubectl (describe|get events)", r"Normal  (Pulling|Pulled|Created|Started|Killing)  ", KWOK),
    Allowed(r"kubectl describe pod", r"^(\s+(Container|Image) ID:).*", KWOK, replace=r"\1"),
    Allowed(r"kubectl describe pod", r"^  PodReadyToStartContainers  ", KWOK + " (the kubelet sets this condition)"),
    Allowed(r"kubectl get pod", "", KWOK + " (the kubelet sets this condition)",
            field="status.conditions[type=PodReadyToStartContainers]"),
    Allowed(r"kubectl get pod", "", KWOK, field="status.containerStatuses[].containerID"),
    Allowed(r"kubectl get pod", "", KWOK, field="status.containerStatuses[].imageID"),
    Allowed(r"kubectl get pod", "", KWOK + " (kwok does not report `started`)",
            field="status.containerStatuses[].started"),
    Allowed(r"kubectl logs", r".", KWOK + " (kwok has no logs to serve)"),
    # --- k9py, to fix ---
    Allowed(r"kubectl get deploy", "",
            "k9py defaults enableServiceLinks in every pod spec; kube-apiserver only in Pods (SetDefaults_Pod), "
            "not in templates (engine/kinds/podspec.py)", field="spec.template.spec.enableServiceLinks"),
    Allowed(r"kubectl get deploy", "",
            "terminatingReplicas is a pointer in v1.36: a real ReplicaSet reports 0 and the Deployment sums it; "
            "k9py's ReplicaSet controller omits a 0 (engine/controllers/replicaset.py), so its Deployment does not "
            "know the sum and omits it too", field="status.terminatingReplicas"),
    Allowed(r"kubectl describe (svc|service)", r"^(Endpoints:).*",
            "kubectl 1.32's describe service reads EndpointSlices, which k9py does not serve", replace=r"\1"),
)


def apply_allowed(title: str, lines: list[str], used: set[int]) -> list[str]:
    """`lines` with every allowance for this command applied; the indexes of those that changed a line go to
    `used`."""
    for index, allowed in enumerate(ALLOWED):
        if allowed.field is not None or not re.search(allowed.command, title):
            continue
        pattern = re.compile(allowed.line)
        kept: list[str] = []
        for line in lines:
            if not pattern.search(line):
                kept.append(line)
                continue
            used.add(index)
            if allowed.replace is not None:
                kept.append(pattern.sub(allowed.replace, line))
        lines = kept
    return lines


def _drop(node: Any, path: list[str]) -> bool:
    """Remove the field at `path` under `node`; whether anything was there."""
    if not path or not isinstance(node, dict):
        return False
    name, _, selector = path[0].partition("[")
    if name not in node:
        return False
    if not selector:
        if len(path) == 1:
            del node[name]
            return True
        return _drop(node[name], path[1:])
    items = node[name] if isinstance(node[name], list) else []
    key, _, value = selector.rstrip("]").partition("=")
    chosen = [item for item in items if not key or (isinstance(item, dict) and str(item.get(key)) == value)]
    if len(path) == 1:
        node[name] = [item for item in items if item not in chosen]
        return bool(chosen)
    return any([_drop(item, path[1:]) for item in chosen])


def drop_fields(title: str, document: Any, used: set[int]) -> None:
    """The allowed fields removed from a parsed YAML answer, in place."""
    for index, allowed in enumerate(ALLOWED):
        if allowed.field is not None and re.search(allowed.command, title) and _drop(document,
                                                                                      allowed.field.split(".")):
            used.add(index)
