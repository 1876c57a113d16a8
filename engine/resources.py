"""The pod resource rules every component shares: canonical quantities, pod requests/limits, QoS.

One home for them, so the API defaulting, the scheduler, `describe` and the kubelet can't
disagree:

- `canonicalize_resource_list`: a ResourceList as the API server stores it (each value
  round-tripped through `resource.Quantity` and rounded up to a milli-unit by
  `SetDefaults_ResourceList`, `k/k pkg/apis/core/v1/defaults.go`).
- `pod_requests` / `pod_limits`: `k8s.io/component-helpers/resource` `PodRequests` and
  `PodLimits`. Regular containers are summed; a sidecar (an init container with
  `restartPolicy: Always`) runs alongside everything started after it, so it adds to the
  sum and to every later init container's footprint; the result is the max of the sum
  and each init container's footprint. Pod-level requests (cpu, memory, hugepages-*)
  replace the containers' figure; overhead is added.
- `compute_pod_qos` / `get_pod_qos`: `k/k pkg/apis/core/v1/helper/qos` `ComputePodQOS`
  and `GetPodQOS`, comparing requests and limits as quantities ("1" == "1000m").

Container requests are read the way `SetDefaults_Pod` leaves them: a limit without a
request stands for the request too. For a pod that went through the API (every stored
pod) that changes nothing; it makes a raw manifest's pod read the same.

Not modelled: in-place resize (the `UseStatusResources` options reading container
statuses), DRA node-allocatable claims, and pod-level request defaulting from pod-level
limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .quantity import Quantity, canonical_quantity

__all__ = [
    "HUGEPAGES_PREFIX",
    "ResourceList",
    "canonicalize_resource_list",
    "compute_pod_qos",
    "container_limits",
    "container_requests",
    "get_pod_qos",
    "is_pod_level_requests_set",
    "is_pod_level_resources_set",
    "is_supported_pod_level_resource",
    "pod_limits",
    "pod_requests",
    "resource_list",
]

ResourceList = dict[str, Quantity]

HUGEPAGES_PREFIX = "hugepages-"
BEST_EFFORT, BURSTABLE, GUARANTEED = "BestEffort", "Burstable", "Guaranteed"
_QOS_RESOURCES = ("cpu", "memory")
_POD_LEVEL_RESOURCES = frozenset(("cpu", "memory"))


# ------------------------------------------------------------------ ResourceLists


def canonicalize_resource_list(raw: Any) -> None:
    """Rewrite, in place, every value of a ResourceList mapping in its stored canonical form.

    A value that is not a quantity is left as written for validation to report.
    """
    if not isinstance(raw, dict):
        return
    for name, value in raw.items():
        try:
            raw[name] = canonical_quantity(value, resource_list=True)
        except ValueError:
            continue


def resource_list(raw: Any) -> ResourceList:
    """Parse a ResourceList mapping; values that are not quantities are left out."""
    if not isinstance(raw, Mapping):
        return {}
    out: ResourceList = {}
    for name, value in raw.items():
        try:
            out[str(name)] = Quantity.parse(value)
        except ValueError:
            continue
    return out


def _resources(container: Mapping[str, Any]) -> Mapping[str, Any]:
    resources = container.get("resources")
    return resources if isinstance(resources, Mapping) else {}


def container_requests(container: Mapping[str, Any]) -> ResourceList:
    """The container's requests as `SetDefaults_Pod` leaves them: each missing request is its limit."""
    resources = _resources(container)
    out = resource_list(resources.get("limits"))
    out.update(resource_list(resources.get("requests")))
    return out


def container_limits(container: Mapping[str, Any]) -> ResourceList:
    return resource_list(_resources(container).get("limits"))


def _add_into(total: ResourceList, extra: ResourceList) -> None:
    """`addResourceList`: a new name takes the amount as it is; `Quantity.Add` otherwise."""
    for name, amount in extra.items():
        present = total.get(name)
        total[name] = amount if present is None else present + amount


def _max_into(total: ResourceList, other: ResourceList) -> None:
    """`maxResourceList`: the larger amount for every name in `other`."""
    for name, amount in other.items():
        present = total.get(name)
        if present is None or amount > present:
            total[name] = amount


def _apply_non_missing(amounts: ResourceList, non_missing: ResourceList) -> ResourceList:
    """`applyNonMissing`: a resource the container does not name counts as the given amount.

    An explicit request, even zero, stays.
    """
    out = dict(amounts)
    for name, amount in non_missing.items():
        if name not in amounts:
            out[name] = Quantity() + amount
    return out


# ------------------------------------------------------------------ PodRequests and PodLimits


def _spec(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = pod.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _containers(spec: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    containers = spec.get(key)
    if not isinstance(containers, list):
        return []
    return [c for c in containers if isinstance(c, Mapping)]


def _is_sidecar(container: Mapping[str, Any]) -> bool:
    return container.get("restartPolicy") == "Always"


def _aggregate(
    spec: Mapping[str, Any],
    amounts_of: Callable[[Mapping[str, Any]], ResourceList],
    non_missing: ResourceList | None,
) -> ResourceList:
    """`aggregateContainerResourcesByFn`: max(Σ regular + Σ sidecars, each init step's footprint).

    An init container's footprint is its own amount plus the sidecars started before it;
    a sidecar's is every sidecar up to and including itself.
    """
    result: ResourceList = {}
    for container in _containers(spec, "containers"):
        amounts = amounts_of(container)
        if non_missing:
            amounts = _apply_non_missing(amounts, non_missing)
        _add_into(result, amounts)

    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in _containers(spec, "initContainers"):
        amounts = amounts_of(container)
        if non_missing:
            amounts = _apply_non_missing(amounts, non_missing)
        if _is_sidecar(container):
            _add_into(result, amounts)
            _add_into(sidecars, amounts)
            footprint = sidecars
        else:
            footprint = dict(amounts)
            _add_into(footprint, sidecars)
        _max_into(init_peak, footprint)
    _max_into(result, init_peak)
    return result


def is_supported_pod_level_resource(name: str) -> bool:
    """`IsSupportedPodLevelResource`: cpu, memory and hugepages-*."""
    return name in _POD_LEVEL_RESOURCES or name.startswith(HUGEPAGES_PREFIX)


def _pod_level(spec: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    resources = spec.get("resources")
    if not isinstance(resources, Mapping):
        return {}
    values = resources.get(field)
    return values if isinstance(values, Mapping) else {}


def is_pod_level_requests_set(pod: Mapping[str, Any]) -> bool:
    """`IsPodLevelRequestsSet`: spec.resources.requests names a supported pod-level resource."""
    return any(is_supported_pod_level_resource(str(n)) for n in _pod_level(_spec(pod), "requests"))


def is_pod_level_resources_set(pod: Mapping[str, Any]) -> bool:
    """`IsPodLevelResourcesSet`: pod-level requests or limits name a supported resource."""
    spec = _spec(pod)
    return any(
        is_supported_pod_level_resource(str(n))
        for field in ("requests", "limits")
        for n in _pod_level(spec, field)
    )


def _apply_pod_level(result: ResourceList, pod_level: Mapping[str, Any]) -> None:
    for name, amount in resource_list(pod_level).items():
        if is_supported_pod_level_resource(name):
            result[name] = amount


def pod_requests(
    pod: Mapping[str, Any],
    *,
    non_missing: ResourceList | None = None,
    exclude_overhead: bool = False,
    skip_pod_level: bool = False,
) -> ResourceList:
    """`PodRequests`: what the pod reserves on a node.

    `non_missing` (`NonMissingContainerRequests`) stands in for a resource a container
    does not request; the scheduler spreads pods with it.
    """
    spec = _spec(pod)
    requests = _aggregate(spec, container_requests, non_missing)
    if not skip_pod_level and is_pod_level_requests_set(pod):
        _apply_pod_level(requests, _pod_level(spec, "requests"))
    if not exclude_overhead:
        _add_into(requests, resource_list(spec.get("overhead")))
    return requests


def pod_limits(
    pod: Mapping[str, Any], *, exclude_overhead: bool = False, skip_pod_level: bool = False
) -> ResourceList:
    """`PodLimits`: the same maths over limits; overhead adds only to a non-zero limit."""
    spec = _spec(pod)
    limits = _aggregate(spec, container_limits, None)
    if not skip_pod_level and is_pod_level_resources_set(pod):
        _apply_pod_level(limits, _pod_level(spec, "limits"))
    if not exclude_overhead:
        for name, amount in resource_list(spec.get("overhead")).items():
            present = limits.get(name)
            if present is not None and not present.is_zero():
                limits[name] = present + amount
    return limits


# ------------------------------------------------------------------ QoS


def _requirements_qos(requests: ResourceList, limits: ResourceList) -> str:
    """`resourceQOS` for one set of requirements: cpu and memory must agree on a shape."""
    if not requests and not limits:
        return BEST_EFFORT
    zero = Quantity()
    qos = ""
    for name in _QOS_RESOURCES:
        request, limit = requests.get(name, zero), limits.get(name, zero)
        if request != limit:
            return BURSTABLE  # at least one is non-zero, so neither Guaranteed nor BestEffort
        shape = BEST_EFFORT if request.is_zero() else GUARANTEED
        if not qos:
            qos = shape
        elif qos != shape:
            return BURSTABLE
    return qos


def _text_items(raw: Any) -> tuple[tuple[str, str], ...] | None:
    if not raw:
        return ()
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        return None
    return tuple(sorted((str(k), v) for k, v in raw.items()))


def _container_qos(container: Mapping[str, Any]) -> str:
    resources = _resources(container)
    requests, limits = _text_items(resources.get("requests")), _text_items(resources.get("limits"))
    if requests is None or limits is None:
        return _requirements_qos(container_requests(container), container_limits(container))
    return _requirements_qos_of_text(requests, limits)


@lru_cache(maxsize=4096)
def _requirements_qos_of_text(requests: tuple[tuple[str, str], ...], limits: tuple[tuple[str, str], ...]) -> str:
    # Replicas of a template repeat the same requirements: decide once per distinct text.
    container = {"resources": {"requests": dict(requests), "limits": dict(limits)}}
    return _requirements_qos(container_requests(container), container_limits(container))


def compute_pod_qos(pod: Mapping[str, Any]) -> str:
    """`ComputePodQOS`: BestEffort when no container sets cpu or memory, Guaranteed when each
    container's cpu and memory requests equal its limits, else Burstable.

    Pod-level resources, when the spec sets any (`IsPodLevelResourcesSet`), decide alone; an
    empty pod-level stanza falls back to the containers (kubectl and k/k since 2026-02).
    """
    spec = _spec(pod)
    if is_pod_level_resources_set(pod):
        return _requirements_qos(resource_list(_pod_level(spec, "requests")), resource_list(_pod_level(spec, "limits")))
    pod_qos = ""
    for container in [*_containers(spec, "initContainers"), *_containers(spec, "containers")]:
        qos = _container_qos(container)
        if qos == BURSTABLE:
            return qos
        if not pod_qos:
            pod_qos = qos
        elif pod_qos != qos:
            return BURSTABLE  # one BestEffort container and one Guaranteed
    return pod_qos or BEST_EFFORT


def get_pod_qos(pod: Mapping[str, Any]) -> str:
    """`GetPodQOS`: status.qosClass as the API server set it at creation, else computed."""
    status = pod.get("status")
    stored = status.get("qosClass") if isinstance(status, Mapping) else None
    return str(stored) if stored else compute_pod_qos(pod)
