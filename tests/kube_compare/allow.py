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

from engine.kinds import REGISTRY


@attrs.frozen
class Allowed:
    command: str
    line: str
    reason: str
    replace: str | None = None
    field: str | None = None


_PLURALS = "|".join(sorted({info.plural for info in REGISTRY.kinds()}))
_GROUPS = "|".join(sorted(re.escape(info.group) for info in REGISTRY.kinds() if info.group))
NOT_SIMULATED = "a kind (or API group) k9py does not simulate yet: the README lists what is served"
KWOK = "kwok's pods run nothing: no image pull, no container start, no probes (k9py's kubelet runs them)"

ALLOWED: tuple[Allowed, ...] = (
    Allowed(".", r"^stderr: Warning: v1 Endpoints is deprecated in v1\.33\+",
            "a real 1.36 server warns on every v1 Endpoints request (deprecated for EndpointSlices); k9py's API "
            "server sends no deprecation warnings yet"),
    Allowed(r"^kubectl rollout status|^watch ", r"^Waiting for deployment (\S+ rollout to finish|spec update)",
            "progress lines depend on timing: kwok's pods are Running at once, k9py's pull and start"),
    # --- what k9py does not serve (a served kind missing from discovery still fails) ---
    Allowed(r"^GET /apis?(/[^/]+)?/v1$", rf"^(?!({_PLURALS})(/\S+)? )\S+ [A-Z]", NOT_SIMULATED),
    Allowed(r"^GET /apis$", rf"^(?!({_GROUPS}) )\S+ \S+/", NOT_SIMULATED),
    Allowed(r"^GET /api/v1$", r"^nodes/proxy ",
            "the kubelet's own API through the API server (nodes/proxy) is not served (README: not yet served)"),
    Allowed(r"^GET /api/v1$", r"^serviceaccounts/token ", "TokenRequest (serviceaccounts/token) is not served"),
    Allowed(r"^GET /api/v1$", r"^pods/(ephemeralcontainers|resize) ",
            "ephemeral containers (kubectl debug) and in-place pod resize are not simulated"),
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
    # --- the kit's fork of kube-controller-manager ---
    Allowed(r"kubectl get .*\bcm\b|kubectl get (cm|configmaps?)\b",
            r"^configmap/openshift-service-ca\.crt |^openshift-service-ca\.crt ",
            "the kit's controller-manager (OpenShift's fork, as vendored by microshift) also publishes "
            "openshift-service-ca.crt in every namespace; upstream publishes only kube-root-ca.crt"),
    # --- k9py, to fix ---
    Allowed(r"--show-managed-fields", "",
            "the Deployment controller's field manager entries: upstream writes the revision annotation through "
            "UpdateStatus (the status strategy keeps annotations), so one `subresource: status` entry owns it; "
            "k9py's controller writes it with a plain Update (a second entry) (engine/controllers/deployment)",
            field="metadata.managedFields[manager=kube-controller-manager]"),
    Allowed(r"^kubectl get (hpa|horizontalpodautoscalers)\S* \S+ -o yaml", "",
            "k9py gives a HorizontalPodAutoscaler metadata.generation; upstream's HPA strategy sets none "
            "(engine/kinds/horizontalpodautoscaler.py)", field="metadata.generation"),
    Allowed(r"^kubectl get (hpa(\.v1\.autoscaling)?|horizontalpodautoscalers(\.v2\.autoscaling)?) \S+ -o yaml", "",
            "the autoscaling/v2 status (kubectl reads `hpa.v1.autoscaling` in v2) of an HPA that never read its "
            "target: upstream writes `currentMetrics: null` "
            "and omits currentReplicas 0 (omitempty in v2); k9py the other way round (engine/controllers/horizontal)",
            field="status.currentMetrics"),
    Allowed(r"^kubectl get (hpa(\.v1\.autoscaling)?|horizontalpodautoscalers(\.v2\.autoscaling)?) \S+ -o yaml", "",
            "(the same)", field="status.currentReplicas"),
    Allowed(r"^kubectl apply --prune -l \S+ -f", r"^stderr: error: error retrieving RESTMappings to prune: |^exit: 1$",
            "kubectl's default prune list names kinds k9py does not serve (ReplicationController), so a "
            "prune without --prune-allowlist applies, then fails; with an allowlist it prunes as upstream"),
    Allowed(r"^POST ", r'^ "message": "the object provided is unrecognized \(must be of type \w+\): couldn\'t get '
            r'version/kind; json parse error: |^ "message": "error decoding request body: ',
            "a body that is not JSON is refused with the same code and reason, but the message quotes Go's JSON "
            "decoder (k9py's says what Python's found)"),
    Allowed(r"labelSelector=", r"unable to parse requirement: found '', expected: '\('",
            "k9py's selector parser words this one error with a comma that upstream's parseValues lacks "
            "(engine/selectors.py)", replace="unable to parse requirement: found '' expected: '('"),
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
