"""Pod resource requests the way the scheduler sees them.

The requests themselves come from `engine.resources.pod_requests` (component-helpers
`PodRequests`: sidecar-aware init-container maths, pod-level requests, overhead), the
one helper describe and the kubelet use too. This module turns them into the
scheduler's `framework.Resource` (`Resource.Add`) and adds the "non-zero" cpu/memory
that `computePodResourceRequest` spreads pods by.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..quantity import Quantity
from ..resources import is_pod_level_requests_set, pod_requests

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

_NON_MISSING = {
    "cpu": Quantity.milli(DEFAULT_MILLI_CPU_REQUEST),
    "memory": Quantity(DEFAULT_MEMORY_REQUEST),
}


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


def _non_missing(requests: Mapping[str, Quantity], pod: Mapping[str, Any]) -> dict[str, Quantity]:
    """`getNonMissingContainerRequests`: with pod-level requests, defaults fill only what neither level sets."""
    if not is_pod_level_requests_set(pod):
        return _NON_MISSING
    return {name: amount for name, amount in _NON_MISSING.items() if name not in requests}


def compute_pod_resources(pod: Mapping[str, Any]) -> Resources:
    """Requests plus the "non-zero" cpu/memory LeastAllocated spreads by."""
    requests = pod_requests(pod)
    non_missing = _non_missing(requests, pod)
    nonzero = pod_requests(pod, non_missing=non_missing) if non_missing else requests
    zero = Quantity()
    scalar = tuple(
        sorted((name, amount.int_value()) for name, amount in requests.items() if is_scalar_resource_name(name))
    )
    return Resources(
        milli_cpu=requests.get("cpu", zero).milli_value(),
        memory=requests.get("memory", zero).int_value(),
        ephemeral_storage=requests.get("ephemeral-storage", zero).int_value(),
        scalar=scalar,
        nonzero_milli_cpu=nonzero.get("cpu", zero).milli_value(),
        nonzero_memory=nonzero.get("memory", zero).int_value(),
    )
