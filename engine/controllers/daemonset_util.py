"""What the DaemonSet controller, `kubectl rollout` and the printers share about daemon sets
(`k/k pkg/controller/daemon/util/daemonset_util.go`, and the pure parts of `daemon_controller.go` and `update.go`).

Nothing here writes: these are the questions "should this node run a daemon pod", "what does a daemon pod look
like", "is this pod up to date", "how many may be unavailable or surge", and "which ControllerRevision matches".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..kinds.daemonset import ON_DELETE, ROLLING_UPDATE, TEMPLATE_GENERATION_ANNOTATION
from ..scheduler.affinity import RequiredNodeAffinity, parse_required_affinity
from ..scheduler.taints import NO_EXECUTE, NO_SCHEDULE, find_untolerated_taint, parse_taints, parse_tolerations
from ..store import deep_copy
from ..timeutil import parse_time
from .deployment.util import compute_hash, scaled_value_from_int_or_percent

# The revision helpers are shared with the StatefulSet controller; re-exported for the controller and kubectl rollout.
from .history import matches_revision, revision_data, revision_number, revision_template

Obj = dict[str, Any]
__all__ = ["ON_DELETE", "ROLLING_UPDATE", "TEMPLATE_GENERATION_ANNOTATION", "matches_revision", "revision_data",
           "revision_number", "revision_template"]  # re-exported for the controller

# apps/v1 names.
CONTROLLER_REVISION_HASH = "controller-revision-hash"  # DefaultDaemonSetUniqueLabelKey
TEMPLATE_GENERATION_LABEL = "pod-template-generation"  # DaemonSetTemplateGenerationKey
NODE_NAME_FIELD = "metadata.name"  # NodeFieldSelectorKeyNodeName

# AddOrUpdateDaemonPodTolerations, in the order upstream adds them: daemon pods survive node problems (NoExecute
# without tolerationSeconds, so taint-based eviction never removes them) and land on nodes under pressure or
# cordoned. The network-unavailable one is only for hostNetwork pods.
DAEMON_TOLERATIONS: tuple[Obj, ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": NO_EXECUTE},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": NO_EXECUTE},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": NO_SCHEDULE},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": NO_SCHEDULE},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": NO_SCHEDULE},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": NO_SCHEDULE},
)
HOST_NETWORK_TOLERATION: Obj = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                                "effect": NO_SCHEDULE}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _template(ds: Mapping[str, Any]) -> Mapping[str, Any]:
    return _spec(ds).get("template") or {}


# --- tolerations and affinity ----------------------------------------------------------------------------------


def _matches(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Toleration.MatchToleration: same key, operator, value and effect."""
    return all((a.get(f) or "") == (b.get(f) or "") for f in ("key", "operator", "value", "effect"))


def add_or_update_toleration(tolerations: list[Obj], toleration: Obj) -> list[Obj]:
    """v1helper.AddOrUpdateTolerationInPodSpec: a matching toleration is replaced (kept when equal), else added."""
    out: list[Obj] = []
    updated = False
    for existing in tolerations:
        if _matches(toleration, existing):
            if existing == toleration:
                return tolerations
            out.append(dict(toleration))
            updated = True
            continue
        out.append(existing)
    if not updated:
        out.append(dict(toleration))
    return out


def add_daemon_tolerations(spec: Obj) -> None:
    """AddOrUpdateDaemonPodTolerations, in place on a pod spec."""
    tolerations: list[Obj] = list(spec.get("tolerations") or ())
    wanted = [*DAEMON_TOLERATIONS, HOST_NETWORK_TOLERATION] if spec.get("hostNetwork") else DAEMON_TOLERATIONS
    for toleration in wanted:
        tolerations = add_or_update_toleration(tolerations, toleration)
    spec["tolerations"] = tolerations


def node_name_affinity(affinity: Obj | None, node_name: str) -> Obj:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one term that matches the node's
    name, so the default scheduler can only bind the pod there. Preferred terms and pod (anti-)affinity stay."""
    term = {"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node_name]}]}
    out = deep_copy(affinity) if affinity else {}
    node_affinity = out.setdefault("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    else:
        required["nodeSelectorTerms"] = [term]
    return out


def target_node_name(pod: Mapping[str, Any]) -> str | None:
    """GetTargetNodeName: spec.nodeName once bound, else the node the affinity pins the pending pod to."""
    spec = _spec(pod)
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or ():
        for expr in term.get("matchFields") or ():
            if expr.get("key") == NODE_NAME_FIELD and expr.get("operator") == "In":
                values = expr.get("values") or ()
                return str(values[0]) if len(values) == 1 else None
    return None


# --- which nodes run a daemon pod -------------------------------------------------------------------------------


class Placement:
    """NodeShouldRunDaemonPod for one DaemonSet template, parsed once (`NewPod`: the template with the daemon
    tolerations added)."""

    def __init__(self, ds: Mapping[str, Any]) -> None:
        spec = deep_copy(_spec(_template(ds)))
        add_daemon_tolerations(spec)
        pod = {"spec": spec}
        self.node_name: str = str(spec.get("nodeName") or "")
        self.affinity: RequiredNodeAffinity | None = parse_required_affinity(pod)
        self.tolerations = parse_tolerations(pod)

    def should_run(self, node: Mapping[str, Any]) -> tuple[bool, bool]:
        """(shouldRun, shouldContinueRunning): whether a node without a daemon pod should get one, and whether
        one already there should stay (it may, on a node whose NoSchedule taints it does not tolerate)."""
        meta = node.get("metadata") or {}
        name = str(meta.get("name") or "")
        if self.node_name and self.node_name != name:
            return False, False
        if self.affinity is not None and not self.affinity.matches(meta.get("labels") or {}, name):
            return False, False
        taints = parse_taints(node)
        if find_untolerated_taint((t for t in taints if t.effect in (NO_SCHEDULE, NO_EXECUTE)),
                                  self.tolerations) is None:
            return True, True
        no_execute = find_untolerated_taint((t for t in taints if t.effect == NO_EXECUTE), self.tolerations)
        return False, no_execute is None


# --- revisions, hashes and rolling-update parameters -----------------------------------------------------------


def template_generation(ds: Mapping[str, Any]) -> int | None:
    """GetTemplateGeneration: the deprecated annotation, None when absent or unparsable."""
    value = ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def is_pod_updated(pod: Mapping[str, Any], hash_: str, generation: int | None) -> bool:
    """IsPodUpdated: the pod carries the current revision's hash (or, for pods made before hashes, the
    template generation)."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    by_generation = generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == str(generation)
    return (bool(hash_) and labels.get(CONTROLLER_REVISION_HASH) == hash_) or by_generation


def template_hash(ds: Mapping[str, Any]) -> str:
    """controller.ComputeHash over the template and status.collisionCount: the revision name's suffix."""
    return compute_hash(_template(ds), (ds.get("status") or {}).get("collisionCount"))


def _rolling(ds: Mapping[str, Any]) -> Mapping[str, Any] | None:
    strategy = _spec(ds).get("updateStrategy") or {}
    if (strategy.get("type") or ROLLING_UPDATE) != ROLLING_UPDATE:
        return None
    return strategy.get("rollingUpdate")


def _scaled(ds: Mapping[str, Any], field: str, desired: int) -> int:
    """A rolling-update bound scaled against the nodes that should run a pod, rounded up; 0 when the strategy is
    not RollingUpdate or the bound is unset."""
    rolling = _rolling(ds)
    if rolling is None or rolling.get(field) is None:
        return 0
    try:
        return scaled_value_from_int_or_percent(rolling[field], desired, True)
    except ValueError:
        return 0


def surge_count(ds: Mapping[str, Any], desired: int) -> int:
    """SurgeCount."""
    return _scaled(ds, "maxSurge", desired)


def unavailable_count(ds: Mapping[str, Any], desired: int) -> int:
    """UnavailableCount."""
    return _scaled(ds, "maxUnavailable", desired)


def allows_surge(ds: Mapping[str, Any]) -> bool:
    """AllowsSurge: more than one pod per node is allowed during an update."""
    return surge_count(ds, 1) > 0


def rolling_counts(ds: Mapping[str, Any], desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as updatedDesiredNodeCounts resolves them: a 0/0 that rounding produced
    (validation forbids it as written) accepts one unavailable node, so the update still progresses."""
    surge, unavailable = surge_count(ds, desired), unavailable_count(ds, desired)
    if desired > 0 and surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _created(pod: Mapping[str, Any]) -> float:
    stamp = (pod.get("metadata") or {}).get("creationTimestamp")
    return parse_time(stamp) if stamp else 0.0


def by_creation(pods: Iterable[Obj]) -> list[Obj]:
    """podByCreationTimestampAndPhase: bound pods first, then oldest first, then by name."""
    return sorted(pods, key=lambda p: (not _spec(p).get("nodeName"), _created(p), p["metadata"]["name"]))
