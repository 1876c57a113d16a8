"""What the data plane looks up on every request, built lazily and rebuilt only after a change that matters.

A request must cost well under a millisecond with thousands of Services and pods, yet the control plane must not
pay for the data plane on every pod write (the 10,000-pod rollout never sends a request). So nothing here runs
until a request asks: each index remembers the store's change stamps of the resources it was built from
(`Store.changed_at`) and rebuilds itself when one has moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

import attrs

from ..store import Store

Obj = dict[str, Any]
T = TypeVar("T")
PODS = "pods"
NODES = "nodes"
SERVICES = "services"


class Lazy(Generic[T]):
    """A value built from the store, rebuilt when `resource` has been written since (Store.changed_at)."""

    def __init__(self, store: Store, resource: str, build: Callable[[], T]) -> None:
        self._store = store
        self._resource = resource
        self._build = build
        self._stamp = -1
        self._value: T | None = None

    def get(self) -> T:
        stamp = self._store.changed_at(self._resource)
        if stamp != self._stamp or self._value is None:
            self._value = self._build()
            self._stamp = stamp
        return self._value


@attrs.frozen
class Addresses:
    """Who owns an IP: a pod, a node, a Service's cluster IP, load-balancer or external IP."""

    pods: dict[str, Obj]  # pod IP -> pod (not host-network pods: their IP is their node's)
    nodes: dict[str, Obj]  # InternalIP -> node
    node_ips: dict[str, str]  # node name -> InternalIP
    cluster_ips: dict[str, Obj]  # clusterIP -> Service
    external_ips: dict[str, Obj]  # status.loadBalancer.ingress[].ip and spec.externalIPs -> Service
    node_ports: dict[tuple[int, str], tuple[Obj, Obj]]  # (nodePort, protocol) -> (Service, its port)
    host_ports: dict[tuple[str, int, str], tuple[Obj, int]]  # (node, hostPort, protocol) -> (pod, containerPort)


def node_ip(node: Obj) -> str:
    for address in (node.get("status") or {}).get("addresses") or ():
        if address.get("type") == "InternalIP":
            return str(address.get("address", ""))
    return ""


def _live(pod: Obj) -> bool:
    """A pod that holds its IP: not finished (a finished pod's sandbox, and so its address, is gone)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def build_addresses(pods: Iterable[Obj], nodes: Iterable[Obj], services: Iterable[Obj]) -> Addresses:
    by_ip: dict[str, Obj] = {}
    host_ports: dict[tuple[str, int, str], tuple[Obj, int]] = {}
    for pod in pods:
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        if not _live(pod):
            continue
        ip = status.get("podIP")
        if ip and not spec.get("hostNetwork"):
            by_ip[ip] = pod
        node = spec.get("nodeName")
        for c in spec.get("containers") or ():
            for p in c.get("ports") or ():
                if node and isinstance(p.get("hostPort"), int) and p["hostPort"]:
                    host_ports[(node, p["hostPort"], p.get("protocol", "TCP"))] = (pod, p.get("containerPort"))
    node_by_ip, ip_by_node = {}, {}
    for node in nodes:
        ip = node_ip(node)
        if ip:
            node_by_ip[ip] = node
            ip_by_node[node["metadata"]["name"]] = ip
    cluster_ips: dict[str, Obj] = {}
    external: dict[str, Obj] = {}
    node_ports: dict[tuple[int, str], tuple[Obj, Obj]] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            if ip and ip != "None":
                cluster_ips[ip] = svc
        for ip in spec.get("externalIPs") or ():
            external[ip] = svc
        for ingress in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ():
            if ingress.get("ip"):
                external[ingress["ip"]] = svc
        for port in spec.get("ports") or ():
            if isinstance(port, dict) and port.get("nodePort"):
                node_ports[(port["nodePort"], port.get("protocol", "TCP"))] = (svc, port)
    return Addresses(by_ip, node_by_ip, ip_by_node, cluster_ips, external, node_ports, host_ports)
