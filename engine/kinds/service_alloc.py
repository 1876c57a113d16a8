"""Cluster IP and node port allocation for Services (`pkg/registry/core/service/storage/alloc.go`).

The cluster is single-stack IPv4 with kubeadm's service range 10.96.0.0/12 and the default node port range
30000-32767. Allocation is random within the upper ("dynamic") band of each range, falling back to the lower
("static") band, which is left for addresses people pick by hand (the `kubernetes` Service's 10.96.0.1, DNS's
10.96.0.10).

The store is the allocation table: what is in use is read from the Services it holds, so deleting a Service frees
its IP and ports with nothing else to keep in step (the API server keeps bitmaps, repaired from the Services).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Iterable
from typing import Any

from .. import errors
from ..quoting import go_quote
from .registry import FieldErrors, Obj
from .service_spec import (
    HEADLESS,
    go_strings,
    needs_cluster_ip,
    needs_health_check,
    needs_node_ports,
    node_ports,
    ports_of,
    selector_of,
    spec_of,
)

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
NODE_PORT_BASE, NODE_PORT_SIZE = 30000, 2768
NODE_PORT_RANGE = f"{NODE_PORT_BASE}-{NODE_PORT_BASE + NODE_PORT_SIZE - 1}"
# The network and broadcast addresses are never handed out.
_FIRST_IP = int(SERVICE_CIDR.network_address) + 1
_IP_COUNT = SERVICE_CIDR.num_addresses - 2
_IP_STATIC_BAND = min(max(16, _IP_COUNT // 16), 256)
_PORT_STATIC_BAND = min(max(16, NODE_PORT_SIZE // 32), 128)


def _others(store: Any, svc: Obj) -> Iterable[Obj]:
    meta = svc["metadata"]
    me = (meta.get("namespace", ""), meta.get("name"))
    for other in store.iter("services"):
        other_meta = other["metadata"]
        if (other_meta.get("namespace", ""), other_meta.get("name")) != me:
            yield other


def _next_free(rng: random.Random, size: int, static_band: int, taken: Callable[[int], bool]) -> int | None:
    """A random free offset in [static_band, size), scanning forward from a random start, else the static band."""
    for low, high in ((static_band, size), (0, static_band)):
        if high <= low:
            continue
        start = rng.randrange(low, high)
        for i in range(high - low):
            offset = low + (start - low + i) % (high - low)
            if not taken(offset):
                return offset
    return None


# --- IP families ---------------------------------------------------------------------------------------------

def _init_ip_families(svc: Obj, old: Obj | None) -> FieldErrors:
    """initIPFamilyFields on a cluster that has only IPv4."""
    spec = spec_of(svc)
    headless_selectorless = spec.get("clusterIP") == HEADLESS and selector_of(svc) is None
    if spec.get("ipFamilyPolicy") is None:
        old_policy = spec_of(old).get("ipFamilyPolicy") if old is not None else None
        spec["ipFamilyPolicy"] = old_policy or ("RequireDualStack" if headless_selectorless else "SingleStack")
    policy = spec["ipFamilyPolicy"]
    families = list(spec.get("ipFamilies") or [])
    ips = [ip for ip in spec.get("clusterIPs") or [] if ip != HEADLESS]
    errs: FieldErrors = []
    if policy == "SingleStack":
        if len(ips) == 2:
            errs.append(("spec.ipFamilyPolicy", f'Invalid value: "{policy}": must be \'RequireDualStack\' or '
                                                "'PreferDualStack' when multiple cluster IPs are specified"))
        if len(families) == 2:
            errs.append(("spec.ipFamilyPolicy", f'Invalid value: "{policy}": must be \'RequireDualStack\' or '
                                                "'PreferDualStack' when multiple IP families are specified"))
    for i, ip in enumerate(ips):
        if i >= len(families):
            if ipaddress.ip_address(ip).version == 6:
                errs.append((f"spec.clusterIPs[{i}]",
                             f"Invalid value: {go_strings(spec.get('clusterIPs'))}: IPv6 is not configured on this "
                             "cluster"))
            else:
                families.append("IPv4")
    if errs:
        return errs
    if headless_selectorless:
        families = families or ["IPv4"]
        if len(families) < 2 and policy != "SingleStack":
            families.append("IPv6" if families[0] == "IPv4" else "IPv4")
        spec["ipFamilies"] = families
        return []
    if policy == "RequireDualStack":
        errs.append(("spec.ipFamilyPolicy",
                     f'Invalid value: "{policy}": this cluster is not configured for dual-stack services'))
    for i, family in enumerate(families):
        if family != "IPv4":
            errs.append((f"spec.ipFamilies[{i}]", f"Invalid value: {go_quote(family)}: not configured on this cluster"))
    spec["ipFamilies"] = families or ["IPv4"]
    return errs


# --- cluster IPs ---------------------------------------------------------------------------------------------

def _allocate_cluster_ip(store: Any, rng: random.Random, svc: Obj) -> FieldErrors:
    spec = spec_of(svc)
    if spec.get("clusterIP") == HEADLESS:
        return []
    taken: set[int] = set()
    for other in _others(store, svc):
        for ip in spec_of(other).get("clusterIPs") or ():
            if ip != HEADLESS:
                taken.add(int(ipaddress.ip_address(ip)))
    requested = spec.get("clusterIP")
    if requested:
        address = int(ipaddress.ip_address(requested))
        if not _FIRST_IP <= address < _FIRST_IP + _IP_COUNT:
            reason = (f"the provided IP ({requested}) is not in the valid range. The range of valid IPs is "
                      f"{SERVICE_CIDR}")
        elif address in taken:
            reason = "provided IP is already allocated"
        else:
            return []
        return [("spec.clusterIPs", f"Invalid value: {go_strings(spec.get('clusterIPs'))}: failed to allocate IP "
                                    f"{requested}: {reason}")]
    offset = _next_free(rng, _IP_COUNT, _IP_STATIC_BAND, lambda o: _FIRST_IP + o in taken)
    if offset is None:
        raise errors.ApiError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: "
                                                    "range is full")
    ip = str(ipaddress.IPv4Address(_FIRST_IP + offset))
    spec["clusterIP"] = ip
    spec["clusterIPs"] = [ip]
    return []


# --- node ports ----------------------------------------------------------------------------------------------

class _NodePorts:
    """One allocation operation over the node port range: what other Services hold plus what this one took."""

    def __init__(self, store: Any, rng: random.Random, svc: Obj) -> None:
        self.rng = rng
        self.taken: set[int] = set()
        for other in _others(store, svc):
            self.taken |= node_ports(other)
            health = spec_of(other).get("healthCheckNodePort")
            if isinstance(health, int) and health:
                self.taken.add(health)

    def allocate(self, port: int) -> str | None:
        """The allocator's error for this port, or None once it is reserved."""
        if not NODE_PORT_BASE <= port < NODE_PORT_BASE + NODE_PORT_SIZE:
            return f"provided port is not in the valid range. The range of valid ports is {NODE_PORT_RANGE}"
        if port in self.taken:
            return "provided port is already allocated"
        self.taken.add(port)
        return None

    def allocate_next(self) -> int:
        offset = _next_free(self.rng, NODE_PORT_SIZE, _PORT_STATIC_BAND, lambda o: NODE_PORT_BASE + o in self.taken)
        if offset is None:
            raise errors.ApiError(500, "InternalError", "Internal error occurred: failed to allocate a nodePort: "
                                                        "range is full")
        self.taken.add(NODE_PORT_BASE + offset)
        return NODE_PORT_BASE + offset


def _should_allocate_node_ports(svc: Obj) -> bool:
    spec = spec_of(svc)
    return spec.get("type") == "NodePort" or spec.get("allocateLoadBalancerNodePorts", True) is not False


def _node_port_error(index: int, port: Any, reason: str) -> tuple[str, str]:
    return f"spec.ports[{index}].nodePort", f"Invalid value: {port}: {reason}"


def _init_node_ports(pool: _NodePorts, svc: Obj) -> FieldErrors:
    """initNodePorts: ports that share a port number (TCP and UDP 53) share a node port."""
    ports = ports_of(svc)
    by_service_port: dict[Any, int] = {}
    for i, port in enumerate(ports):
        if not port.get("nodePort") and not _should_allocate_node_ports(svc):
            continue
        allocated = by_service_port.get(port.get("port"))
        if allocated is None:
            requested = next((p["nodePort"] for p in ports if p.get("port") == port.get("port") and p.get("nodePort")),
                             None)
            if requested:
                reason = pool.allocate(requested)
                if reason:
                    return [_node_port_error(i, requested, reason)]
                port["nodePort"] = by_service_port[port.get("port")] = requested
            else:
                port["nodePort"] = by_service_port[port.get("port")] = pool.allocate_next()
        elif port.get("nodePort") != allocated:
            if not port.get("nodePort"):
                port["nodePort"] = allocated
            else:
                reason = pool.allocate(port["nodePort"])
                if reason:
                    return [_node_port_error(i, port["nodePort"], reason)]
    return []


def _update_node_ports(pool: _NodePorts, svc: Obj, old: Obj) -> FieldErrors:
    held = node_ports(old)
    for i, port in enumerate(ports_of(svc)):
        if not port.get("nodePort"):
            if _should_allocate_node_ports(svc):
                port["nodePort"] = pool.allocate_next()
            continue
        if port["nodePort"] not in held:
            reason = pool.allocate(port["nodePort"])
            if reason:
                return [_node_port_error(i, port["nodePort"], reason)]
            held.add(port["nodePort"])
    return []


def _allocate_health_check_port(pool: _NodePorts, svc: Obj, old: Obj | None) -> FieldErrors:
    spec = spec_of(svc)
    if not needs_health_check(svc):
        return []
    port = spec.get("healthCheckNodePort")
    if port and old is not None and spec_of(old).get("healthCheckNodePort") == port:
        return []
    if port:
        reason = pool.allocate(port)
        if reason:
            return [("spec.healthCheckNodePort", f"Invalid value: {port}: failed to allocate requested HealthCheck "
                                                 f"NodePort {port}: {reason}")]
        return []
    spec["healthCheckNodePort"] = pool.allocate_next()
    return []


# --- the storage hook ----------------------------------------------------------------------------------------

def allocate_service(api: Any, svc: Obj, old: Obj | None) -> FieldErrors:
    """BeginCreate/BeginUpdate: IP families, the cluster IP and the node ports of a Service being written."""
    if not needs_cluster_ip(svc):
        return []
    errs = _init_ip_families(svc, old)
    if errs:
        return errs
    if old is None or not needs_cluster_ip(old):
        errs = _allocate_cluster_ip(api.store, api.rng, svc)
        if errs:
            return errs
    pool = _NodePorts(api.store, api.rng, svc)
    if needs_node_ports(svc):
        errs = (_init_node_ports(pool, svc) if old is None or not needs_node_ports(old)
                else _update_node_ports(pool, svc, old))
        if errs:
            return errs
    return _allocate_health_check_port(pool, svc, old)
