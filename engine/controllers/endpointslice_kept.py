"""What the EndpointSlice controller keeps from one sync of a Service to the next, so that a sync looks only at
what changed since the last one: the pods whose events arrived, and the slices that were written.

Upstream's reconciler (`staging/src/k8s.io/endpointslice/reconciler.go`) lists every pod of the Service and walks
every endpoint of every slice on each sync. The plan it makes depends on little of that: an existing slice is left
alone unless one of its endpoints is no longer desired, or changed, or the slice itself did; the endpoints in no
slice are placed, in address order, into the slices being updated, then the unchanged slice they fit best, then
new ones. So the controller keeps each pod's endpoint (`PodEndpoints`) and which slice holds each endpoint
(`SliceContents`, from the slices' watch events), and hands the reconciler only the slices that may change (the
rest are "unchanged" as they were at the last sync) and only the endpoints they hold or that no slice holds. The
plan is the one the full walk gives (tests compare the two); whenever the kept state cannot be trusted (the
Service changed, a sync failed or skipped a write, a pod's node is gone, a slice is held by another owner, being
deleted, or shares an endpoint with another) the sync walks everything, as upstream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..store import WatchEvent
from .endpointslice_util import EndpointKey, PortKey, endpoint_key, endpoints_of, port_key

Obj = dict[str, Any]
# A pod's endpoint as built for one address type: (pod resourceVersion, Service resourceVersion, ports (None: not
# an endpoint), ports key, node name, address order, endpoint key, endpoint).
Entry = tuple[Any, ...]
Holding = tuple[str, PortKey, EndpointKey]  # (address type, ports key, endpoint key)


class PodEndpoints:
    """The endpoints of one address type that a Service's pods give, pod by pod."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}  # pod name -> its entry
        # ports key -> endpoint key -> (address order, pod name, endpoint): the endpoints with an address.
        self.desired: dict[PortKey, dict[EndpointKey, tuple[Any, str, Obj]]] = {}
        self.ports: dict[PortKey, list[Any]] = {}  # ports key -> [pods that are endpoints, their ports]
        self.nodes: dict[str, int] = {}  # node name -> pods that are endpoints there

    def set_pod(self, name: str, pod: Obj | None, build: Callable[[Obj], Entry], service_version: Any) -> list[
            tuple[PortKey, EndpointKey]]:
        """Take in the pod's current state (None: gone or no longer selected); the endpoints this changed."""
        old = self.entries.get(name)
        if old is not None and pod is not None and old[0] == pod["metadata"].get("resourceVersion") \
                and old[1] == service_version:
            return []
        touched = []
        if old is not None:
            del self.entries[name]
            if old[2] is not None:
                if old[7]["addresses"]:
                    del self.desired[old[3]][old[6]]
                    touched.append((old[3], old[6]))
                self._count(old, -1)
        if pod is not None:
            new = self.entries[name] = build(pod)
            if new[2] is not None:
                self._count(new, 1)
                if new[7]["addresses"]:
                    self.desired.setdefault(new[3], {})[new[6]] = (new[5], name, new[7])
                    touched.append((new[3], new[6]))
        return touched

    def _count(self, entry: Entry, delta: int) -> None:
        counted = self.ports.setdefault(entry[3], [0, entry[2]])
        counted[0] += delta
        if not counted[0]:
            del self.ports[entry[3]]
            self.desired.pop(entry[3], None)
        nodes = self.nodes[entry[4]] = self.nodes.get(entry[4], 0) + delta
        if not nodes:
            del self.nodes[entry[4]]


class SliceContents:
    """Which of a controller's slices hold which endpoints, kept from the slices' watch events; and, per Service,
    the slices that changed and the endpoints left in no slice since its last sync."""

    def __init__(self) -> None:
        # (namespace, slice name) -> (service key, address type, ports key, endpoint keys)
        self._slices: dict[tuple[str, str], tuple[str, str, PortKey, list[EndpointKey]]] = {}
        self._holders: dict[str, dict[Holding, list[str]]] = {}  # service key -> endpoint -> slices holding it
        self._shared: dict[str, int] = {}  # service key -> endpoints held more than once (counting repeats)
        self._count: dict[str, int] = {}  # service key -> slices
        self._changed: dict[str, set[str]] = {}  # service key -> slices with an event since the last take
        self._released: dict[str, set[Holding]] = {}  # service key -> endpoints that lost their last slice

    def observe(self, event: WatchEvent, service_key: str | None) -> None:
        """A slice event; `service_key`: the Service the slice now belongs to (None: deleted, or not ours)."""
        meta = event.object["metadata"]
        where = (meta.get("namespace", ""), meta["name"])
        self._drop(where)
        if service_key is not None and event.type != "DELETED":
            self._add(where, service_key, event.object)

    def _drop(self, where: tuple[str, str]) -> None:
        held = self._slices.pop(where, None)
        if held is None:
            return
        key, address_type, ports, endpoints = held
        self._changed.setdefault(key, set()).add(where[1])
        self._count[key] -= 1
        holders = self._holders[key]
        for endpoint in endpoints:
            holding = (address_type, ports, endpoint)
            names = holders[holding]
            if len(names) > 1:
                self._shared[key] -= 1
            names.remove(where[1])
            if not names:
                del holders[holding]
                self._released.setdefault(key, set()).add(holding)
        if not self._count[key]:
            del self._count[key], self._holders[key], self._shared[key]

    def _add(self, where: tuple[str, str], key: str, eps: Obj) -> None:
        address_type, ports = eps.get("addressType"), port_key(eps.get("ports"))
        endpoints = [endpoint_key(e) for e in endpoints_of(eps)]
        self._slices[where] = (key, address_type, ports, endpoints)
        self._changed.setdefault(key, set()).add(where[1])
        self._count[key] = self._count.get(key, 0) + 1
        holders = self._holders.setdefault(key, {})
        self._shared.setdefault(key, 0)
        for endpoint in endpoints:
            names = holders.setdefault((address_type, ports, endpoint), [])
            if names:
                self._shared[key] += 1
            names.append(where[1])

    def take_changes(self, key: str) -> tuple[set[str], set[Holding]]:
        """The slices changed and the endpoints released since the last call, forgotten."""
        return self._changed.pop(key, set()), self._released.pop(key, set())

    def holders(self, key: str, holding: Holding) -> list[str]:
        return self._holders.get(key, {}).get(holding, [])

    def trustworthy(self, key: str, slices: int) -> bool:
        """Every slice of the Service is live and no endpoint is in two slices (or twice in one)."""
        return self._count.get(key, 0) == slices and not self._shared.get(key, 0)
