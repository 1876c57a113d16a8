"""A Service's endpoints as kube-proxy and CoreDNS see them: address, ports, node, and the three conditions.

kube-proxy and CoreDNS read EndpointSlices (discovery.k8s.io/v1). While k9py serves no EndpointSlice kind they
are read from the Endpoints object the endpoints controller keeps, which says less: an address is ready (in
`addresses`) or not (in `notReadyAddresses`), and a pod being deleted is not listed at all, so no endpoint is
ever `terminating` there. `service_endpoints` picks the source; it is the one place that changes when the
EndpointSlice kind arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ..kinds import REGISTRY
from ..store import Store

Obj = dict[str, Any]
SLICES = "endpointslices.discovery.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@attrs.frozen
class Endpoint:
    ip: str
    ports: tuple[tuple[str, int, str], ...]  # (port name, number, protocol), as the endpoints list them
    ready: bool
    serving: bool
    terminating: bool
    node: str = ""
    pod: tuple[str, str] | None = None  # (namespace, name) of targetRef when it is a Pod
    hostname: str = ""

    def port(self, name: str, protocol: str = "TCP") -> int | None:
        """The endpoint's number for the Service port called `name` ("" for an unnamed one)."""
        for port_name, number, port_protocol in self.ports:
            if port_name == name and port_protocol == protocol:
                return number
        return None

    @property
    def pod_key(self) -> str:
        return f"{self.pod[0]}/{self.pod[1]}" if self.pod else self.ip


def _pod_ref(address: Mapping[str, Any]) -> tuple[str, str] | None:
    ref = address.get("targetRef") or {}
    if ref.get("kind") == "Pod" and ref.get("name"):
        return str(ref.get("namespace", "")), str(ref["name"])
    return None


def from_endpoints(endpoints: Obj | None) -> list[Endpoint]:
    """The endpoints of a core/v1 Endpoints object."""
    out: list[Endpoint] = []
    for subset in (endpoints or {}).get("subsets") or ():
        ports = tuple((str(p.get("name", "")), int(p["port"]), str(p.get("protocol", "TCP")))
                      for p in subset.get("ports") or () if isinstance(p.get("port"), int))
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for address in subset.get(key) or ():
                out.append(Endpoint(str(address.get("ip", "")), ports, ready, ready, False,
                                    str(address.get("nodeName", "")), _pod_ref(address),
                                    str(address.get("hostname", ""))))
    return out


def from_slices(slices: Iterable[Obj]) -> list[Endpoint]:
    """The endpoints of a Service's EndpointSlices, conditions read as kube-proxy's endpointslicecache reads
    them: ready and serving unless false, terminating only when true."""
    out: list[Endpoint] = []
    for eps in slices:
        ports = tuple((str(p.get("name") or ""), int(p["port"]), str(p.get("protocol") or "TCP"))
                      for p in eps.get("ports") or () if isinstance(p.get("port"), int))
        for endpoint in eps.get("endpoints") or ():
            addresses = endpoint.get("addresses") or ()
            if not addresses:
                continue
            conditions = endpoint.get("conditions") or {}
            out.append(Endpoint(str(addresses[0]), ports, conditions.get("ready") is not False,
                                conditions.get("serving") is not False, conditions.get("terminating") is True,
                                str(endpoint.get("nodeName") or ""), _pod_ref(endpoint),
                                str(endpoint.get("hostname") or "")))
    return out


def slices_by_service(store: Store) -> dict[tuple[str, str], list[Obj]]:
    out: dict[tuple[str, str], list[Obj]] = {}
    for eps in store.iter(SLICES):
        name = ((eps.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL)
        if name:
            out.setdefault((eps["metadata"].get("namespace", ""), name), []).append(eps)
    return out


def uses_slices() -> bool:
    return REGISTRY.by_kind("EndpointSlice") is not None


def service_endpoints(store: Store, svc: Obj,
                      slices: Callable[[], Mapping[tuple[str, str], list[Obj]]] | None = None) -> list[Endpoint]:
    """The Service's endpoints, from its EndpointSlices when the kind is served, else from its Endpoints.
    `slices` gives the slices by (namespace, service name) (an index the caller keeps); without it the
    namespace's slices are scanned."""
    meta = svc["metadata"]
    namespace, name = str(meta.get("namespace", "")), str(meta["name"])
    if uses_slices():
        if slices is not None:
            return from_slices(slices().get((namespace, name), ()))
        return from_slices(s for s in store.iter(SLICES, namespace)
                           if ((s.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL) == name)
    return from_endpoints(store.get("endpoints", namespace, name))
