"""The pieces of an EndpointSlice that the EndpointSlice and mirroring controllers build and compare
(`staging/src/k8s.io/endpointslice/utils.go`, `util/controller_utils.go`, `util/endpointset.go`).

Ports are kept in upstream's order: NewPortMapKey sorts a slice's ports by the FNV-128a hash of each port's
go-spew dump (`k8s.io/utils/dump.ForHash`, `%#v` with types and without pointer addresses), and the slice keeps
them in that order. Reproducing the dump makes `kubectl get endpointslices` list PORTS as a real cluster does
(`8081,80` for a Service that declares 80 then 8081).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..kinds.service_spec import is_headless, ports_of, spec_of
from ..kinds.validation import dns1123_subdomain
from .endpoints_subsets import find_port

Obj = dict[str, Any]
PortKey = tuple[tuple[str, int, str, str | None], ...]
EndpointKey = tuple[tuple[str, ...], str, str, str]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ZONE_LABEL = "topology.kubernetes.io/zone"
RESERVED_LABELS = frozenset({SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL})
_FNV128_OFFSET = 0x6C62272E07BB014262B821756295C58D
_FNV128_PRIME = 0x0000000001000000000000000000013B
_MASK128 = (1 << 128) - 1


# --------------------------------------------------------------------------- ports


@functools.lru_cache(maxsize=4096)
def _port_hash(name: str, port: int, protocol: str, app_protocol: str | None) -> str:
    """deepHashObjectToString of one discovery/v1 EndpointPort: every field is a pointer, and the dump names the
    Go types (the package of both EndpointPort and Protocol is called `v1`)."""
    app = "<nil>" if app_protocol is None else app_protocol
    dump = (f"(v1.EndpointPort){{Name:(*string){name} Protocol:(*v1.Protocol){protocol} Port:(*int32){port} "
            f"AppProtocol:(*string){app}}}")
    value = _FNV128_OFFSET
    for byte in dump.encode():
        value = ((value ^ byte) * _FNV128_PRIME) & _MASK128
    return f"{value:032x}"


def _port_tuple(port: Obj) -> tuple[str, int, str, str | None]:
    return (str(port.get("name") or ""), int(port.get("port") or 0), str(port.get("protocol") or "TCP"),
            port.get("appProtocol"))


def sort_ports(ports: Iterable[Obj]) -> list[Obj]:
    """NewPortMapKey's in-place sort (portsInOrder)."""
    return sorted(ports, key=lambda p: _port_hash(*_port_tuple(p)))


def port_key(ports: Iterable[Obj] | None) -> PortKey:
    """PortMapKey: ports that hash alike group together, whatever their order."""
    return tuple(sorted((_port_tuple(p) for p in ports or ()), key=lambda t: _port_hash(*t)))


def endpoint_port(name: str, number: int, protocol: str, app_protocol: str | None) -> Obj:
    port: Obj = {"name": name, "port": number, "protocol": protocol}
    if app_protocol is not None:
        port["appProtocol"] = app_protocol
    return port


def endpoint_ports(svc: Obj, pod: Obj) -> list[Obj]:
    """getEndpointPorts: each Service port this pod offers (a headless Service may have none at all)."""
    if not ports_of(svc) and is_headless(svc):
        return []
    ports = []
    for service_port in ports_of(svc):
        number = find_port(pod, service_port)
        if number is not None:
            ports.append(endpoint_port(service_port.get("name") or "", number, service_port.get("protocol", "TCP"),
                                       service_port.get("appProtocol")))
    return sort_ports(ports)


# --------------------------------------------------------------------------- endpoints


def address_types(svc: Obj) -> list[str]:
    """getAddressTypesForService: one slice family per IP family of the Service."""
    families = spec_of(svc).get("ipFamilies") or []
    types = [t for family, t in (("IPv4", "IPv4"), ("IPv6", "IPv6")) if family in families]
    if types:
        return types
    cluster_ip = spec_of(svc).get("clusterIP")
    if cluster_ip and cluster_ip != "None":
        return ["IPv6" if ":" in cluster_ip else "IPv4"]
    return ["IPv4", "IPv6"]


@functools.lru_cache(maxsize=65536)
def _parse_ip(text: Any) -> tuple[int, int, str] | None:
    """(version, value, canonical text) of an address, None for no address; a pod's address is parsed again each
    time the pod changes, so the answers are kept."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.version, int(ip), str(ip)


def _pod_addresses(pod: Obj, address_type: str) -> list[str]:
    status = pod.get("status") or {}
    found = [p.get("ip") for p in status.get("podIPs") or () if isinstance(p, dict)] or [status.get("podIP")]
    addresses = []
    version = 6 if address_type == "IPv6" else 4
    for text in found:
        ip = _parse_ip(text) if isinstance(text, str) else None
        if ip is not None and ip[0] == version:
            addresses.append(ip[2])
    return addresses


def pod_to_endpoint(pod: Obj, node: Obj | None, svc: Obj, address_type: str) -> Obj:
    """podToEndpoint: serving is the pod's readiness, terminating its deletion; ready is serving and not
    terminating, unless the Service publishes not-ready addresses."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    serving = podutil.is_ready(pod)
    terminating = bool(meta.get("deletionTimestamp"))
    ready = spec_of(svc).get("publishNotReadyAddresses") is True or (serving and not terminating)
    endpoint: Obj = {"addresses": _pod_addresses(pod, address_type),
                     "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
    # ShouldSetHostname: a pod naming this Service as its subdomain gets a DNS name under it.
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"] \
            and meta.get("namespace") == svc["metadata"].get("namespace"):
        endpoint["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        endpoint["nodeName"] = spec["nodeName"]
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(ZONE_LABEL)
    if zone:
        endpoint["zone"] = zone
    endpoint["targetRef"] = {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"],
                             "uid": meta.get("uid", "")}
    return endpoint


def endpoint_key(endpoint: Obj) -> EndpointKey:
    """hashEndpoint: an endpoint is its addresses, hostname and target; the rest may change in place."""
    ref = endpoint.get("targetRef") or {}
    return (tuple(sorted(endpoint.get("addresses") or ())), endpoint.get("hostname") or "",
            ref.get("namespace") or "", ref.get("name") or "")


def _ref_without_version(ref: Obj | None) -> Obj | None:
    return None if ref is None else {k: v for k, v in ref.items() if k != "resourceVersion"}


def same_beyond_hash(a: Obj, b: Obj) -> bool:
    """EndpointsEqualBeyondHash: node, zone, conditions and target (its resourceVersion aside)."""
    return (a.get("nodeName") == b.get("nodeName") and a.get("zone") == b.get("zone")
            and (a.get("conditions") or {}) == (b.get("conditions") or {})
            and _ref_without_version(a.get("targetRef")) == _ref_without_version(b.get("targetRef")))


def ip_order(endpoint: Obj) -> tuple[int, int]:
    """Upstream adds new endpoints in Go's map order (random); k9py adds them by address, which reads well."""
    addresses = endpoint.get("addresses") or ()
    ip = _parse_ip(addresses[0]) if addresses and isinstance(addresses[0], str) else None
    return (9, 0) if ip is None else (ip[0], ip[1])


# --------------------------------------------------------------------------- slices


def slice_prefix(name: str) -> str:
    """getEndpointSlicePrefix: `<name>-` unless that is no valid name prefix (NameIsDNSSubdomain with prefix
    true reads a trailing dash as a letter)."""
    return f"{name}-" if not dns1123_subdomain("", f"{name}a") else name


def owner_ref(owner: Obj, kind: str) -> Obj:
    meta = owner["metadata"]
    return {"apiVersion": "v1", "kind": kind, "name": meta["name"], "uid": meta.get("uid", ""),
            "controller": True, "blockOwnerDeletion": True}


def owned_by(eps: Obj, owner: Obj, kind: str) -> bool:
    uid = owner["metadata"].get("uid")
    return any(ref.get("uid") == uid and ref.get("kind") == kind and ref.get("apiVersion") == "v1"
               for ref in eps["metadata"].get("ownerReferences") or ())


def service_labels(current: dict[str, str] | None, svc: Obj, controller: str) -> tuple[dict[str, str], bool]:
    """setEndpointSliceLabels: the Service's labels (reserved ones aside), the headless marker, the service name
    and the manager; True when the copied labels differ from what the slice had."""
    mine = {k: v for k, v in (current or {}).items() if k not in RESERVED_LABELS}
    wanted = {k: v for k, v in (svc["metadata"].get("labels") or {}).items() if k not in RESERVED_LABELS}
    changed = mine != wanted
    if is_headless(svc) or not spec_of(svc).get("clusterIP"):
        wanted[HEADLESS_LABEL] = ""
    wanted[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
    wanted[MANAGED_BY_LABEL] = controller
    return wanted, changed


def new_slice(namespace: str, prefix: str, owner: Obj, labels: dict[str, str], address_type: str,
              ports: list[Obj]) -> Obj:
    """newEndpointSlice: named by the API server from `prefix` when created."""
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"generateName": prefix, "namespace": namespace, "labels": labels,
                         "ownerReferences": [owner]},
            "addressType": address_type, "endpoints": [], "ports": [dict(p) for p in ports]}


def endpoints_of(eps: Obj) -> list[Obj]:
    return [e for e in eps.get("endpoints") or () if isinstance(e, dict)]
