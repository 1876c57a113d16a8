"""The subsets of an Endpoints object: which pods, which addresses, which ports (`endpoints_controller.go`,
`pkg/api/v1/endpoints/util.go` RepackSubsets, `pkg/api/v1/pod/util.go` FindPort)."""

from __future__ import annotations

import bisect
import math
from typing import Any

from .. import podutil
from ..kinds.service_spec import is_headless, ports_of, spec_of

Obj = dict[str, Any]
MAX_CAPACITY = 1000  # more addresses than this are truncated, and the object annotated
PortKey = tuple[str, int, str, str] | None  # None: the sentinel of a headless Service without ports
AddressKey = tuple[str, str]  # (ip, pod uid)


def should_be_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """ShouldPodBeInEndpoints: a pod that finished, has no IP yet, or is being deleted serves nothing."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def find_port(pod: Obj, service_port: Obj) -> int | None:
    """FindPort: a numeric targetPort is used as it is; a named one is looked up among the containers' ports
    (sidecars included) with the same protocol. None: this pod does not offer the port."""
    target = service_port.get("targetPort", service_port.get("port"))
    if not isinstance(target, str):
        return target if isinstance(target, int) else None
    protocol = service_port.get("protocol", "TCP")
    spec = pod.get("spec") or {}
    containers = [*(spec.get("containers") or ()),
                  *(c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always")]
    for container in containers:
        for port in container.get("ports") or ():
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port.get("containerPort")
    return None


def _address(pod: Obj, svc: Obj) -> Obj:
    meta, spec = pod["metadata"], pod.get("spec") or {}
    status = pod.get("status") or {}
    address: Obj = {"ip": status.get("podIP") or (status.get("podIPs") or [{}])[0].get("ip")}
    # ShouldSetHostname: a pod that names this Service as its subdomain gets a DNS name under it.
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"] \
            and meta.get("namespace") == svc["metadata"].get("namespace"):
        address["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        address["nodeName"] = spec["nodeName"]
    address["targetRef"] = {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"],
                            "uid": meta.get("uid", "")}
    return address


def _endpoint_port(service_port: Obj, number: int) -> Obj:
    port: Obj = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port["port"] = number
    port["protocol"] = service_port.get("protocol", "TCP")
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _port_key(port: Obj | None) -> PortKey:
    if port is None:
        return None
    return port.get("name", ""), port["port"], port["protocol"], port.get("appProtocol", "")


def build_subsets(svc: Obj, pods: list[Obj]) -> list[Obj]:
    publish = spec_of(svc).get("publishNotReadyAddresses") is True
    service_ports = ports_of(svc)
    entries: list[tuple[Obj, Obj | None, bool]] = []
    for pod in pods:
        if not should_be_in_endpoints(pod, publish):
            continue
        address = _address(pod, svc)
        ready = publish or podutil.is_ready(pod)
        if not service_ports:
            if is_headless(svc):  # a headless Service may have no ports: its addresses have none either
                entries.append((address, None, ready))
            continue
        for service_port in service_ports:
            number = find_port(pod, service_port)
            if number is not None:
                entries.append((address, _endpoint_port(service_port, number), ready))
    return repack(entries)


def repack(entries: list[tuple[Obj, Obj | None, bool]]) -> list[Obj]:
    """RepackSubsets: addresses grouped by the set of ports they offer, one subset per group; an address that is
    not ready for one port is not ready at all."""
    addresses: dict[AddressKey, Obj] = {}
    ports: dict[PortKey, Obj | None] = {}
    readiness: dict[PortKey, dict[AddressKey, bool]] = {}
    for address, port, ready in entries:
        akey = (address["ip"], address.get("targetRef", {}).get("uid", ""))
        addresses.setdefault(akey, address)
        pkey = _port_key(port)
        ports[pkey] = port
        seen = readiness.setdefault(pkey, {})
        if seen.get(akey, True):
            seen[akey] = ready
    groups: dict[frozenset[tuple[AddressKey, bool]], list[PortKey]] = {}
    for pkey, seen in readiness.items():
        groups.setdefault(frozenset(seen.items()), []).append(pkey)
    subsets = []
    for group, pkeys in groups.items():
        subset: Obj = {}
        ready = sorted(akey for akey, is_ready in group if is_ready)
        not_ready = sorted(akey for akey, is_ready in group if not is_ready)
        if ready:
            subset["addresses"] = [addresses[a] for a in ready]
        if not_ready:
            subset["notReadyAddresses"] = [addresses[a] for a in not_ready]
        real_ports = sorted(p for p in pkeys if p is not None)
        if real_ports:
            subset["ports"] = [ports[p] for p in real_ports]
        subsets.append(subset)
    subsets.sort(key=lambda s: ([(p.get("name", ""), p["port"]) for p in s.get("ports", ())],
                                [a["ip"] for a in (s.get("addresses") or s.get("notReadyAddresses") or ())]))
    return subsets


def address_count(subsets: list[Obj]) -> int:
    return sum(len(s.get("addresses") or ()) + len(s.get("notReadyAddresses") or ()) for s in subsets)


def truncate(subsets: list[Obj]) -> bool:
    """truncateEndpoints: past MAX_CAPACITY addresses, keep ready ones first, each subset in proportion."""
    ready = sum(len(s.get("addresses") or ()) for s in subsets)
    not_ready = sum(len(s.get("notReadyAddresses") or ()) for s in subsets)
    if ready + not_ready <= MAX_CAPACITY:
        return False
    truncate_ready = ready > MAX_CAPACITY
    limit, total = (MAX_CAPACITY, ready) if truncate_ready else (MAX_CAPACITY - ready, not_ready)
    room = limit
    for subset in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        group = subset.get(field) or []
        keep = min(math.ceil(len(group) / total * limit), room)
        if group:
            subset[field] = group[:keep]
            if not subset[field]:
                del subset[field]
        if truncate_ready:
            subset.pop("notReadyAddresses", None)
        room -= len(subset.get(field) or ())
    return True


# --------------------------------------------------------------------------- kept from sync to sync

# What one pod adds to its Service's Endpoints: (pod resourceVersion, address key, address, ready, the keys of the
# ports it offers, those ports). None: nothing (finished, no IP, being deleted, or offering none of the ports).
PodEntry = tuple[str | None, AddressKey, Obj, bool, tuple[PortKey, ...], tuple[Obj | None, ...]]


def pod_entry(pod: Obj, svc: Obj) -> PodEntry | None:
    """The (address, port, ready) entries build_subsets makes of one pod, kept together."""
    publish = spec_of(svc).get("publishNotReadyAddresses") is True
    if not should_be_in_endpoints(pod, publish):
        return None
    service_ports = ports_of(svc)
    ports: dict[PortKey, Obj | None] = {}
    if not service_ports and is_headless(svc):
        ports[None] = None
    for service_port in service_ports:
        number = find_port(pod, service_port)
        if number is not None:
            port = _endpoint_port(service_port, number)
            ports.setdefault(_port_key(port), port)
    if not ports:
        return None
    address = _address(pod, svc)
    akey = (address["ip"], address.get("targetRef", {}).get("uid", ""))
    return (pod["metadata"].get("resourceVersion"), akey, address, publish or podutil.is_ready(pod),
            tuple(ports), tuple(ports.values()))


class ServiceAddresses:
    """One Service's addresses as its last sync left them, changed pod by pod: each pod's entry, the sorted keys
    of the ready and not-ready addresses, and how many pods offer each set of ports. When every address offers
    the same ports (the usual case) RepackSubsets makes a single subset, built here from the sorted keys without
    looking at the other pods; otherwise the subsets are repacked from the kept entries."""

    def __init__(self, service_version: str | None) -> None:
        self.service_version = service_version
        self.entries: dict[str, PodEntry] = {}  # pod name -> its entry
        self.ready: list[AddressKey] = []
        self.not_ready: list[AddressKey] = []
        self.addresses: dict[AddressKey, Obj] = {}
        self.port_sets: dict[tuple[PortKey, ...], list[Any]] = {}  # port keys -> [pods offering them, ports]

    def set_pod(self, name: str, pod: Obj | None, svc: Obj) -> None:
        """Take in the pod's current state (None: gone, or no longer selected)."""
        old = self.entries.get(name)
        if old is not None and pod is not None and old[0] == pod["metadata"].get("resourceVersion"):
            return
        new = None if pod is None else pod_entry(pod, svc)
        if old is not None:
            del self.entries[name]
            _remove_sorted(self.ready if old[3] else self.not_ready, old[1])
            self.addresses.pop(old[1], None)
            counted = self.port_sets[old[4]]
            counted[0] -= 1
            if not counted[0]:
                del self.port_sets[old[4]]
        if new is not None:
            self.entries[name] = new
            bisect.insort(self.ready if new[3] else self.not_ready, new[1])
            self.addresses[new[1]] = new[2]
            self.port_sets.setdefault(new[4], [0, new[5]])[0] += 1

    def subsets(self) -> tuple[list[Obj], bool]:
        """The subsets build_subsets would make of the same pods, and whether there are more addresses than
        MAX_CAPACITY; if so, truncated as truncate() truncates them (only the addresses kept are listed)."""
        if len(self.port_sets) > 1:
            subsets = repack([(e[2], port, e[3]) for e in self.entries.values() for port in e[5]])
            return subsets, truncate(subsets)
        if not self.port_sets:
            return [], False
        [(pkeys, (_, ports))] = self.port_sets.items()
        ready, not_ready = self.ready, self.not_ready
        over = len(ready) + len(not_ready) > MAX_CAPACITY
        if over:
            if len(ready) > MAX_CAPACITY:  # truncateEndpoints keeps only ready addresses, as many as fit
                ready, not_ready = ready[:MAX_CAPACITY], []
            else:
                not_ready = not_ready[:MAX_CAPACITY - len(ready)]
        subset: Obj = {}
        if ready:
            subset["addresses"] = [self.addresses[a] for a in ready]
        if not_ready:
            subset["notReadyAddresses"] = [self.addresses[a] for a in not_ready]
        real_ports = sorted((pkey, port) for pkey, port in zip(pkeys, ports, strict=True) if pkey is not None)
        if real_ports:
            subset["ports"] = [port for _, port in real_ports]
        return [subset], over


def _remove_sorted(keys: list[AddressKey], key: AddressKey) -> None:
    i = bisect.bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        del keys[i]
