"""Pod resource requests the way the scheduler sees them.

Mirrors `component-helpers/resource.PodRequests` (sidecar-aware init-container maths,
pod-level requests, overhead) and the scheduler's `Resource.Add`, after the API server's
defaulting of missing container requests from limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..quantity import nano_value

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "Resources",
    "compute_pod_resources",
    "is_scalar_resource_name",
]

# `schedutil.DefaultMilliCPURequest` / `DefaultMemoryRequest`: what a container without a
# request counts as when spreading, so zero-request pods don't all pile onto one node.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

_NANO = 10**9
_NANO_PER_MILLI = 10**6
_NON_MISSING = {"cpu": DEFAULT_MILLI_CPU_REQUEST * _NANO_PER_MILLI, "memory": DEFAULT_MEMORY_REQUEST * _NANO}

# Amounts are integer nanos (a quantity's exact resolution), so sums stay exact and cheap.
ResourceList = dict[str, int]


def _round_up(nanos: int, unit: int) -> int:
    """MilliValue()/Value() rounding: up, away from zero."""
    magnitude = -(-abs(nanos) // unit)
    return magnitude if nanos >= 0 else -magnitude


@attrs.frozen
class Resources:
    """Requested amounts as the scheduler's `framework.Resource` stores them."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    scalar: tuple[tuple[str, int], ...] = ()  # sorted by name; extended resources, hugepages, ...
    nonzero_milli_cpu: int = 0
    nonzero_memory: int = 0

    @property
    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral_storage or self.scalar)


def is_scalar_resource_name(name: str) -> bool:
    """`schedutil.IsScalarResourceName`: extended, prefixed-native, hugepages, attachable volumes."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if "/" not in name:
        return False
    return "kubernetes.io/" in name or not name.startswith("requests.")


def _parse_list(raw: Mapping[str, Any] | None) -> ResourceList:
    if not raw:
        return {}
    return {str(name): nano_value(value) for name, value in raw.items()}


def _container_requests(container: Mapping[str, Any]) -> ResourceList:
    resources = container.get("resources") or {}
    # API defaulting copies a limit into a missing request, so a limits-only container
    # reserves its limit.
    out = _parse_list(resources.get("limits"))
    out.update(_parse_list(resources.get("requests")))
    return out


def _add(into: ResourceList, other: ResourceList) -> None:
    for name, amount in other.items():
        into[name] = into.get(name, 0) + amount


def _max(into: ResourceList, other: ResourceList) -> None:
    for name, amount in other.items():
        if name not in into or amount > into[name]:
            into[name] = amount


def _with_defaults(reqs: ResourceList, defaults: ResourceList | None) -> ResourceList:
    if not defaults:
        return reqs
    out = dict(reqs)
    for name, amount in defaults.items():
        out.setdefault(name, amount)
    return out


_POD_LEVEL = ("cpu", "memory")


def _pod_level_requests(spec: Mapping[str, Any]) -> ResourceList:
    reqs = _parse_list((spec.get("resources") or {}).get("requests"))
    return {n: q for n, q in reqs.items() if n in _POD_LEVEL or n.startswith("hugepages-")}


def pod_requests(pod: Mapping[str, Any], defaults: ResourceList | None = None) -> ResourceList:
    """`resourcehelper.PodRequests`: containers summed, then the max with each init step.

    A sidecar (init container with restartPolicy Always) runs alongside everything after
    it, so it is added to the total and to every later init container's footprint.
    """
    spec = pod.get("spec") or {}
    reqs: ResourceList = {}
    for container in spec.get("containers") or ():
        _add(reqs, _with_defaults(_container_requests(container), defaults))

    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or ():
        step = _with_defaults(_container_requests(container), defaults)
        if container.get("restartPolicy") == "Always":
            _add(reqs, step)
            _add(sidecars, step)
            step = dict(sidecars)
        else:
            step = dict(step)
            _add(step, sidecars)
        _max(init_peak, step)
    _max(reqs, init_peak)

    reqs.update(_pod_level_requests(spec))
    _add(reqs, _parse_list(spec.get("overhead")))
    return reqs


def compute_pod_resources(pod: Mapping[str, Any]) -> Resources:
    """Requests plus the "non-zero" cpu/memory LeastAllocated spreads by."""
    reqs = pod_requests(pod)
    spec = pod.get("spec") or {}
    if _pod_level_requests(spec):
        # With pod-level requests, defaults only fill what neither level sets.
        defaults = {n: q for n, q in _NON_MISSING.items() if n not in reqs}
    else:
        defaults = _NON_MISSING
    nonzero = pod_requests(pod, defaults) if defaults else reqs

    scalar = tuple(
        sorted(
            (name, _round_up(amount, _NANO)) for name, amount in reqs.items() if is_scalar_resource_name(name)
        )
    )
    return Resources(
        milli_cpu=_round_up(reqs.get("cpu", 0), _NANO_PER_MILLI),
        memory=_round_up(reqs.get("memory", 0), _NANO),
        ephemeral_storage=_round_up(reqs.get("ephemeral-storage", 0), _NANO),
        scalar=scalar,
        nonzero_milli_cpu=_round_up(nonzero.get("cpu", 0), _NANO_PER_MILLI),
        nonzero_memory=_round_up(nonzero.get("memory", 0), _NANO),
    )
