"""Pod (v1)."""

from __future__ import annotations

import copy

from ..printers.describe import describe_pod
from ..printers.tables import POD_COLUMNS, POD_WIDE_COLUMNS, pod_row, pod_row_wide
from ..resources import compute_pod_qos
from . import validation as v
from .podspec import default_pod_spec, validate_pod_spec
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .serviceaccount import admit_pod

# DefaultTolerationSeconds admission: pods ride out a not-ready/unreachable node for 5 minutes.
DEFAULT_TOLERATION_SECONDS = 300
DEFAULT_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": DEFAULT_TOLERATION_SECONDS},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": DEFAULT_TOLERATION_SECONDS},
)

IMMUTABLE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _default(pod: Obj) -> None:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    default_pod_spec(spec)
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and not isinstance(grace, bool) and grace < 0:
        # The pod strategy's PrepareForCreate: a negative grace period becomes 1 (the smallest that still lets the
        # container stop), rather than a refusal.
        spec["terminationGracePeriodSeconds"] = 1
    # SetDefaults_Pod, not SetDefaults_PodSpec: a pod template never gains it, a pod always does.
    spec.setdefault("enableServiceLinks", True)
    # SetDefaults_Pod: a container with limits but no requests requests its limits.
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if not isinstance(c, dict) or not isinstance(c.get("resources"), dict):
                continue
            limits = c["resources"].get("limits")
            if isinstance(limits, dict) and limits:
                requests = c["resources"].setdefault("requests", {})
                if isinstance(requests, dict):
                    for name, value in limits.items():
                        requests.setdefault(name, value)
    # Admission plugins: the service account (its lookup and token volume: `admit_pod`, run as the kind's
    # allocate hook, which has the store) and the default NoExecute tolerations.
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    tolerations = spec.setdefault("tolerations", [])
    if isinstance(tolerations, list):
        present = {(t.get("key"), t.get("effect")) for t in tolerations if isinstance(t, dict)}
        for tol in DEFAULT_TOLERATIONS:
            if (tol["key"], "NoExecute") not in present:
                tolerations.append(dict(tol))
    status = pod.setdefault("status", {})
    status.setdefault("phase", "Pending")
    # The API server sets the QoS class once, at creation (PrepareForCreate).
    if "qosClass" not in status:  # an update keeps the stored one: not computed again only to be dropped
        status["qosClass"] = compute_pod_qos(pod)


def _mutable_view(spec: Obj) -> Obj:
    """The spec with the fields a pod update may change blanked out."""
    view = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for c in view.get(key) or []:
            if isinstance(c, dict):
                c.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "nodeName"):
        view.pop(key, None)
    return view


def _prepare_update(pod: Obj, old: Obj) -> None:
    """The Priority admission plugin on update (`engine/admission/priority.py` does create): an update that leaves
    out priority or preemptionPolicy keeps the stored ones, which validation then forbids changing."""
    spec, old_spec = pod.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    for field in ("priority", "preemptionPolicy"):
        if spec.get(field) is None and old_spec.get(field) is not None:
            spec[field] = old_spec[field]


def _validate(pod: Obj, old: Obj | None) -> FieldErrors:
    errors = validate_pod_spec("spec", pod.get("spec"))
    if old is not None and not errors:
        new_spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
        # Most updates leave the spec as it was (a label, an annotation): equal specs have equal views, and the
        # views are deep copies, so they are built only for a spec that changed.
        if new_spec != old_spec and _mutable_view(new_spec) != _mutable_view(old_spec):
            errors.append(v.forbidden("spec", IMMUTABLE_MESSAGE))
        if old_spec.get("nodeName") and new_spec.get("nodeName") != old_spec.get("nodeName"):
            errors.append(v.invalid("spec.nodeName", new_spec.get("nodeName"), "field is immutable"))
    return errors


def _waiting_problem(pod: Obj) -> str | None:
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason", "")
        if reason.startswith("Err") or reason.endswith("BackOff") or reason in (
            "CreateContainerConfigError", "InvalidImageName", "CreateContainerError",
        ):
            return waiting.get("message") or reason
    return None


def pod_health(pod: Obj) -> Health:
    """gitops-engine health_pod.go."""
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    if phase == "Succeeded":
        return Health("Healthy", status.get("message", ""))
    if phase == "Failed":
        return Health("Degraded", status.get("message") or status.get("reason") or "Pod failed")
    problem = _waiting_problem(pod)
    if problem:
        return Health("Degraded", problem)
    if phase == "Pending":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                return Health("Progressing", cond.get("message", ""))
        return Health("Progressing", status.get("message", ""))
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return Health("Progressing", "Pod is terminating")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return Health("Healthy")
    return Health("Progressing", "Pod is not ready")


def _describe(pod: Obj, ctx: DescribeContext) -> str:
    pending = not (pod.get("spec") or {}).get("nodeName")
    return describe_pod(pod, ctx.events(pod), ctx.now(), ctx.explain_pod(pod) if pending else None)


POD = REGISTRY.register(KindInfo(
    kind="Pod", group="", version="v1", plural="pods", namespaced=True, short_names=("po",),
    default=_default, validate=_validate, columns=POD_COLUMNS, row=pod_row,
    wide_columns=POD_WIDE_COLUMNS, wide_row=pod_row_wide, describe=_describe, health=pod_health, adoptable=True,
    allocate=admit_pod,  # the ServiceAccount admission plugin: it reads the store and may refuse the pod
    prepare_update=_prepare_update,
))
