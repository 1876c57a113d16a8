"""The LimitRanger admission plugin (`k/k plugin/pkg/admission/limitranger/admission.go`).

Mutating, on pod create: each container (and init container) without a request or limit for a resource some
LimitRange of the namespace defaults gets the default, and the pod says so in its `kubernetes.io/limit-ranger`
annotation. Validating, on pod create and on claim create and update: the min, max and maxLimitRequestRatio of
every LimitRange, refused with its 403 and the plugin's own words. Go ranges over maps in random order; here
resources are taken in name order and LimitRanges in name order, so a refusal naming several is stable.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..kinds import KindInfo, Obj
from ..quantity import Quantity
from ..resources import compute_pod_qos, pod_limits, pod_requests
from .evaluators import ResourceList, parse_list

ANNOTATION = "kubernetes.io/limit-ranger"
# resource.MaxMilliValue: values past it are compared in whole units instead of milli-units.
MAX_MILLI_VALUE = (2**63 - 1) // 1000


def _limit_ranges(api: Any, namespace: str) -> list[Obj]:
    return sorted(api.store.iter("limitranges", namespace), key=lambda lr: lr["metadata"]["name"])


def _items(limit_range: Obj, limit_type: str) -> list[Obj]:
    limits = (limit_range.get("spec") or {}).get("limits") or []
    return [item for item in limits if isinstance(item, dict) and item.get("type") == limit_type]


def aggregate(messages: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message as it is, several bracketed, duplicates once."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- mutation -----------------------------------------------------------------------------------------------------

def _defaults(limit_range: Obj) -> tuple[dict[str, Any], dict[str, Any]]:
    """defaultContainerResourceRequirements: (requests, limits) from the Container items."""
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    for item in _items(limit_range, "Container"):
        requests.update(item.get("defaultRequest") or {})
        limits.update(item.get("default") or {})
    return requests, limits


def _merge(container: Obj, requests: dict[str, Any], limits: dict[str, Any], prefix: str) -> tuple[Obj, list[str]]:
    """mergeContainerResources: the container (a copy when something is set) and what it says was set."""
    resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
    have_requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
    have_limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
    set_requests = sorted(name for name in requests if name not in have_requests)
    set_limits = sorted(name for name in limits if name not in have_limits)
    if not set_requests and not set_limits:
        return container, []
    name = container.get("name", "")
    notes = []
    if set_requests:
        notes.append(f"{', '.join(set_requests)} request for {prefix} {name}")
    if set_limits:
        notes.append(f"{', '.join(set_limits)} limit for {prefix} {name}")
    new_resources = dict(resources)
    if set_requests:
        new_resources["requests"] = {**have_requests, **{n: requests[n] for n in set_requests}}
    if set_limits:
        new_resources["limits"] = {**have_limits, **{n: limits[n] for n in set_limits}}
    return {**container, "resources": new_resources}, notes


def _defaulted(spec: Obj, limit_ranges: list[Obj]) -> tuple[Obj, str | None]:
    """The spec with every LimitRange's defaults merged in (the same object when none applies) and the annotation
    of the last range that set something (each range's PodMutateLimitFunc writes it over the previous one's)."""
    annotation = None
    for limit_range in limit_ranges:
        requests, limits = _defaults(limit_range)
        if not requests and not limits:
            continue
        notes: list[str] = []
        for key, prefix in (("containers", "container"), ("initContainers", "init container")):
            containers = spec.get(key)
            if not isinstance(containers, list):
                continue
            merged = []
            for container in containers:
                if isinstance(container, dict):
                    container, said = _merge(container, requests, limits, prefix)
                    notes.extend(said)
                merged.append(container)
            if notes and merged != containers:
                spec = {**spec, key: merged}  # a copy: the given spec is never edited
        if notes:
            annotation = "LimitRanger plugin set: " + "; ".join(notes)
    return spec, annotation


# A ReplicaSet's pods share one spec object (see the ReplicaSet controller): their defaulted spec is made once and
# shared too, so the scheduler still sees one spec for all of them. Keyed by the spec's identity (the entry keeps
# the spec alive, so the identity cannot be reused) and the ranges' versions.
_SHARED: dict[tuple[int, tuple[str, ...]], tuple[Obj, Obj, str | None]] = {}
_SHARED_LIMIT = 1024


def mutate(api: Any, info: KindInfo, pod: Obj) -> None:
    """PodMutateLimitFunc for each LimitRange of the pod's namespace (pod creates only)."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    limit_ranges = _limit_ranges(api, pod["metadata"].get("namespace", ""))
    key = (id(spec), tuple(f"{lr['metadata'].get('uid')}/{lr['metadata'].get('resourceVersion')}"
                           for lr in limit_ranges))
    shared = _SHARED.get(key)
    if shared is not None and shared[0] is spec:
        new_spec, annotation = shared[1], shared[2]
    else:
        new_spec, annotation = _defaulted(spec, limit_ranges)
        if len(_SHARED) >= _SHARED_LIMIT:
            _SHARED.clear()
        _SHARED[key] = (spec, new_spec, annotation)
    if annotation is not None:
        meta = pod["metadata"]
        meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION: annotation}
    if new_spec is not spec:
        pod["spec"] = new_spec
        if isinstance(pod.get("status"), dict):
            # PrepareForCreate sets the QoS class after mutating admission: it sees the defaulted resources.
            pod["status"]["qosClass"] = compute_pod_qos(pod)


# --- validation ---------------------------------------------------------------------------------------------------

def _compared(request: Quantity | None, limit: Quantity | None, enforced: Quantity) -> tuple[int, int, int]:
    """requestLimitEnforcedValues: milli-units when all three fit, else whole units."""
    zero = Quantity()
    values = [q or zero for q in (request, limit, enforced)]
    if all(q.int_value() <= MAX_MILLI_VALUE for q in values):
        return values[0].milli_value(), values[1].milli_value(), values[2].milli_value()
    return values[0].int_value(), values[1].int_value(), values[2].int_value()


def _min(kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_value, lim_value, enforced_value = _compared(req, lim, enforced)
    if req is None:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if req_value < enforced_value:
        return f"minimum {name} usage per {kind} is {enforced}, but request is {req}"
    if lim is not None and lim_value < enforced_value:
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {lim}"
    return None


def _max(kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_value, lim_value, enforced_value = _compared(req, lim, enforced)
    if lim is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if lim_value > enforced_value:
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {lim}"
    if req is not None and req_value > enforced_value:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _max_request(kind: str, name: str, enforced: Quantity, requests: ResourceList) -> str | None:
    """maxRequestConstraint: for claims, whose limits are not user input."""
    req = requests.get(name)
    req_value, _, enforced_value = _compared(req, None, enforced)
    if req is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No request is specified"
    if req_value > enforced_value:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _ratio(kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_value, lim_value, _ = _compared(req, lim, enforced)
    said = f"{name} max limit to request ratio per {kind} is {enforced}"
    if req is None or req_value == 0:
        return f"{said}, but no request is specified or request is 0"
    if lim is None or lim_value == 0:
        return f"{said}, but no limit is specified or limit is 0"
    observed = lim_value / req_value
    shown, allowed = observed, float(enforced.int_value())
    if enforced.int_value() <= MAX_MILLI_VALUE:
        observed, allowed = observed * 1000, float(enforced.milli_value())
    if observed > allowed:
        return f"{said}, but provided ratio is {shown:f}"
    return None


def _check(item: Obj, kind: str, requests: ResourceList, limits: ResourceList) -> list[str]:
    out = []
    for field, check in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for name, enforced in sorted(parse_list(item.get(field)).items()):
            problem = check(kind, name, enforced, requests, limits)
            if problem:
                out.append(problem)
    return out


def _pod_problems(limit_range: Obj, pod: Obj) -> list[str]:
    """PodValidateLimitFunc: each container against the Container items, the pod's sums against the Pod items."""
    out = []
    spec = pod.get("spec") or {}
    containers = [c for key in ("containers", "initContainers") for c in spec.get(key) or () if isinstance(c, dict)]
    for item in _items(limit_range, "Container"):
        for container in containers:
            resources = container.get("resources") or {}
            requests, limits = parse_list(resources.get("requests")), parse_list(resources.get("limits"))
            out.extend(_check(item, "Container", requests, limits))
    for item in _items(limit_range, "Pod"):
        # The plugin's own podRequests/podLimits: the containers and init containers only (no overhead, no
        # pod-level resources).
        requests = pod_requests(pod, exclude_overhead=True, skip_pod_level=True)
        limits = pod_limits(pod, exclude_overhead=True, skip_pod_level=True)
        out.extend(_check(item, "Pod", requests, limits))
    return out


def _claim_problems(limit_range: Obj, claim: Obj) -> list[str]:
    """PersistentVolumeClaimValidateLimitFunc: the requested storage against min and max."""
    requests = parse_list(((claim.get("spec") or {}).get("resources") or {}).get("requests"))
    out = []
    for item in _items(limit_range, "PersistentVolumeClaim"):
        for name, enforced in sorted(parse_list(item.get("min")).items()):
            problem = _min("PersistentVolumeClaim", name, enforced, requests, {})
            if problem:
                out.append(problem)
        for name, enforced in sorted(parse_list(item.get("max")).items()):
            problem = _max_request("PersistentVolumeClaim", name, enforced, requests)
            if problem:
                out.append(problem)
    return out


def validate(api: Any, info: KindInfo, obj: Obj, old: Obj | None) -> None:
    """The validating half: pods on create, claims on create and update (not once they are being deleted)."""
    if info.resource == "pods":
        if old is not None:
            return  # containers cannot change after creation: there is nothing new to check
        problems_of = _pod_problems
    elif info.resource == "persistentvolumeclaims":
        if old is not None and old["metadata"].get("deletionTimestamp"):
            return
        problems_of = _claim_problems
    else:
        return
    for limit_range in _limit_ranges(api, obj["metadata"].get("namespace", "")):
        problems = problems_of(limit_range, obj)
        if problems:
            raise errors.forbidden(info.plural, info.group, str(obj["metadata"].get("name", "")), aggregate(problems))
