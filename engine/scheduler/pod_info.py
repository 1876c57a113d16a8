"""Everything the scheduler needs from a Pod's spec, parsed once per distinct spec.

A `PodInfo` holds nothing pod-specific beyond the spec, so all replicas of a template
share one instance, and pods whose specs parse alike share a `signature` id, which lets
a `NodeInfo` memoise its verdict for the whole template until the node changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs

from .affinity import (
    PreferredTerm,
    RequiredNodeAffinity,
    node_name_candidates,
    parse_preferred_terms,
    parse_required_affinity,
)
from .pod_terms import has_pod_terms
from .requests import Resources, compute_pod_resources
from .taints import (
    PREFER_NO_SCHEDULE,
    UNSCHEDULABLE_TAINT,
    Toleration,
    parse_tolerations,
    tolerations_tolerate,
)

__all__ = ["HostPort", "PodInfo", "get_pod_info", "pod_key"]

HostPort = tuple[str, str, int]  # (hostIP, protocol, hostPort), sanitised like HostPortInfo


@attrs.frozen(eq=False)
class PodInfo:
    resources: Resources
    host_ports: tuple[HostPort, ...]
    tolerations: tuple[Toleration, ...]
    # Tolerations with an empty or PreferNoSchedule effect: the only ones TaintToleration scores with.
    prefer_tolerations: tuple[Toleration, ...]
    tolerates_unschedulable: bool
    node_name: str
    required_affinity: RequiredNodeAffinity | None
    # NodeAffinity PreFilter result: None = all nodes; empty = the terms contradict each other.
    node_name_candidates: frozenset[str] | None
    preferred_affinity: tuple[PreferredTerm, ...] | None
    preemption_never: bool
    signature: int
    # Pod (anti-)affinity or topology spread constraints of its own: its verdicts depend on other pods, so
    # they are layered on the memoised ones in each cycle (scheduler/pod_constraints.py).
    has_pod_terms: bool = False


def pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"


def _host_ports(spec: Mapping[str, Any]) -> tuple[HostPort, ...]:
    """`schedutil.GetHostPorts`: containers plus sidecars, since plain init containers exit."""
    containers = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    containers += list(spec.get("containers") or ())
    out = []
    for container in containers:
        for port in container.get("ports") or ():
            host_port = int(port.get("hostPort") or 0)
            if host_port > 0:
                out.append(
                    (str(port.get("hostIP") or "0.0.0.0"), str(port.get("protocol") or "TCP"), host_port)
                )
    return tuple(out)


# Interning keeps memo lookups to hashing one small int. Ids come from a counter and are
# never reused, so emptying the table can't make a NodeInfo memo return another
# template's verdict; it only costs re-evaluation.
_SIGNATURES: dict[tuple[Any, ...], int] = {}
_SIGNATURE_LIMIT = 65536
_next_signature = itertools.count(1)


def _signature(info_fields: tuple[Any, ...]) -> int:
    sig = _SIGNATURES.get(info_fields)
    if sig is None:
        if len(_SIGNATURES) >= _SIGNATURE_LIMIT:
            _SIGNATURES.clear()
        sig = _SIGNATURES[info_fields] = next(_next_signature)
    return sig


def _build(spec: Mapping[str, Any]) -> PodInfo:
    pod = {"spec": spec}
    resources = compute_pod_resources(pod)
    host_ports = _host_ports(spec)
    tolerations = parse_tolerations(pod)
    required = parse_required_affinity(pod)
    candidates = node_name_candidates(pod)
    preferred = parse_preferred_terms(pod)
    node_name = str(spec.get("nodeName") or "")
    # Everything a node's verdict depends on; the parsed records are hashable frozen attrs.
    sig = _signature((resources, host_ports, tolerations, node_name, required, preferred))
    return PodInfo(
        resources=resources,
        host_ports=host_ports,
        tolerations=tolerations,
        prefer_tolerations=tuple(t for t in tolerations if t.effect in ("", PREFER_NO_SCHEDULE)),
        tolerates_unschedulable=tolerations_tolerate(tolerations, UNSCHEDULABLE_TAINT),
        node_name=node_name,
        required_affinity=required,
        node_name_candidates=candidates,
        preferred_affinity=preferred,
        preemption_never=spec.get("preemptionPolicy") == "Never",
        signature=sig,
        has_pod_terms=has_pod_terms(spec),
    )


def _content_key(spec: Mapping[str, Any]) -> str:
    """What `_build` reads of a spec, and nothing else: each pod's own service-account token volume (and its
    mounts, and the environment) would otherwise make every replica's spec distinct."""
    init = [(c.get("resources"), c.get("ports"), c.get("restartPolicy")) for c in spec.get("initContainers") or ()]
    containers = [(c.get("resources"), c.get("ports")) for c in spec.get("containers") or ()]
    return repr((containers, init, spec.get("overhead"), spec.get("resources"), spec.get("tolerations"),
                 spec.get("affinity"), spec.get("nodeSelector"), spec.get("nodeName"), spec.get("preemptionPolicy"),
                 spec.get("topologySpreadConstraints")))


# Two caches: by pod version (cheap to key) and by spec content, so the replicas of a
# template parse once and share one PodInfo. Both are simply emptied when full. A version
# hit must also be the very same spec object: uids and resourceVersions repeat across
# clusters built from the same seed in one process.
_BY_VERSION: dict[str, tuple[Any, PodInfo]] = {}
_BY_SPEC: dict[str, PodInfo] = {}  # by `_content_key`
_BY_SPEC_OBJECT: dict[int, tuple[Any, PodInfo]] = {}
_VERSION_LIMIT = 65536
# Bound pods differ from their template by nodeName, so expect templates x nodes specs.
_SPEC_LIMIT = 16384


def get_pod_info(pod: Mapping[str, Any]) -> PodInfo:
    """The parsed scheduling view of a pod's spec, shared by pods with identical specs."""
    meta = pod.get("metadata") or {}
    uid, rv = meta.get("uid"), meta.get("resourceVersion")
    version = f"{uid}@{rv}" if uid and rv else None
    spec = pod.get("spec") or {}
    if version is not None:
        hit = _BY_VERSION.get(version)
        if hit is not None and hit[0] is spec:
            return hit[1]
    # Replicas of one template share their spec object until they are bound: recognise it without a repr.
    shared = _BY_SPEC_OBJECT.get(id(spec))
    if shared is not None and shared[0] is spec:
        return shared[1]
    content = _content_key(spec)
    info = _BY_SPEC.get(content)
    if info is None:
        if len(_BY_SPEC) >= _SPEC_LIMIT:
            _BY_SPEC.clear()
        info = _BY_SPEC[content] = _build(spec)
    if len(_BY_SPEC_OBJECT) >= _VERSION_LIMIT:
        _BY_SPEC_OBJECT.clear()
    _BY_SPEC_OBJECT[id(spec)] = (spec, info)  # holding the spec keeps its id from being reused
    if version is not None:
        if len(_BY_VERSION) >= _VERSION_LIMIT:
            _BY_VERSION.clear()
        _BY_VERSION[version] = (spec, info)
    return info
