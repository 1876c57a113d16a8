"""EndpointSlice controller (`k/k pkg/controller/endpointslice/endpointslice_controller.go`, with the reconciler
of `staging/src/k8s.io/endpointslice`).

For every Service with a selector (ExternalName Services excepted) it keeps EndpointSlices named
`<service>-<random>`, labelled `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
endpointslice-controller.k8s.io`, owned by the Service (the garbage collector removes them with it). Each endpoint
is a pod with an IP that has not finished: `ready` (serving and not terminating, or always with
publishNotReadyAddresses), `serving` (the pod's readiness), `terminating` (being deleted), its node, zone and a
reference to the pod; no hints. A pod on a node that no longer exists is left out and the sync retried, as
upstream. The Endpoints controller keeps running beside it, as in kube-controller-manager.

Pod events reach Services through the same kind of selector index as the Endpoints controller's
(`service_index.py`), so a pod event costs a few lookups and a sync reads only its Service's pods; events of one
round of the engine coalesce into one sync per Service through the work queue.
"""

from __future__ import annotations

import operator
from typing import Any

from .. import podutil
from ..kinds.service_spec import spec_of
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .endpoints_subsets import should_be_in_endpoints
from .endpointslice_reconciler import Desired, Plan, SliceWriter, plan_address_type
from .endpointslice_util import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    PortKey,
    address_types,
    endpoint_key,
    endpoint_ports,
    ip_order,
    pod_to_endpoint,
    port_key,
)
from .service_index import ServicePods, TriggerTimes

Obj = dict[str, Any]
RESOURCE = "endpointslices.discovery.k8s.io"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"  # the managed-by label's value
SLICE_CHANGE_DELAY = 1.0  # endpointSliceChangeMinSyncDelay: a slice changed by someone else
_by_address = operator.itemgetter(0)  # new endpoints are added in address order
# The controller's rate limiter: 1 s doubling to 1000 s, and a Service is dropped after 15 retries.
SYNC_BACKOFF, MAX_SYNC_BACKOFF, MAX_RETRIES = 1.0, 1000.0, 15


class SliceIndex:
    """The slices of one manager by the Service they name (the informer's label-selected lister)."""

    def __init__(self, manager: str) -> None:
        self.manager = manager
        self._names: dict[str, set[str]] = {}  # namespace/service -> slice names

    @staticmethod
    def _service_key(eps: Obj) -> str | None:
        name = (eps["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
        return f"{eps['metadata'].get('namespace', '')}/{name}" if name else None

    def managed(self, eps: Obj | None) -> bool:
        return eps is not None and (eps["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == self.manager

    def observe(self, event: WatchEvent) -> set[str]:
        """Keep the index up to date; returns the Services whose slices of this manager the event touched."""
        touched: set[str] = set()
        name = event.object["metadata"]["name"]
        for version, present in ((event.old, False), (event.object, event.type != "DELETED")):
            key = self._service_key(version) if self.managed(version) else None  # type: ignore[arg-type]
            if key is None:
                continue
            touched.add(key)
            names = self._names.setdefault(key, set())
            if present:
                names.add(name)
            else:
                names.discard(name)
                if not names:
                    del self._names[key]
        return touched

    def changed_by_others(self, event: WatchEvent, writer: SliceWriter) -> set[str]:
        """Keep the index up to date; the Services whose slices someone other than `writer` changed or deleted
        (upstream's endpointSliceTracker.ShouldSync): their controller puts them right after a second."""
        touched = self.observe(event)
        return set() if writer.writing else touched

    def slices(self, store: Any, key: str) -> list[Obj]:
        """The live slices of a Service, by name, those being deleted left out (dropEndpointSlicesPendingDeletion)."""
        namespace = key.split("/", 1)[0]
        found = (store.get(RESOURCE, namespace, name) for name in sorted(self._names.get(key, ())))
        return [eps for eps in found if eps is not None and not eps["metadata"].get("deletionTimestamp")]


@register_controller
class EndpointSliceController(Controller):
    name = "endpoint-slice-controller"  # the event source upstream's recorder uses
    resources = ("services", "pods", RESOURCE)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.index = ServicePods(self.store)
        self.triggers = TriggerTimes()
        self.slices = SliceIndex(CONTROLLER_NAME)
        self.writer = SliceWriter(self.api, self.name)
        self._failures: dict[str, int] = {}
        # service key -> (pod uid, address type) -> the pod's endpoint as last built (see _build).
        self._built: dict[str, dict[tuple[str, str], tuple[Any, ...]]] = {}

    def start(self) -> None:
        for eps in self.store.iter(RESOURCE):
            self.slices.observe(WatchEvent("ADDED", RESOURCE, eps, 0))
        for svc in self.store.iter("services"):
            self.index.index_service(svc)
            self.queue.add(podutil.key_of(svc))

    # --- events --------------------------------------------------------------------------------------------

    def on_event(self, event: WatchEvent) -> None:
        meta = event.object["metadata"]
        if event.resource == "pods":
            if self.index.watches(meta.get("namespace", "")):
                for key in self.index.pod_changed(event):
                    self.queue.add(key)
            return
        if event.resource == "services":
            key = podutil.key_of(event.object)
            if event.type == "DELETED":
                self.index.unindex_service(key, meta.get("namespace", ""))
            else:
                self.index.index_service(event.object)
            self.queue.add(key)
            return
        for key in self.slices.changed_by_others(event, self.writer):
            self.queue.add_after(key, SLICE_CHANGE_DELAY)

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("services", namespace, name)

    # --- sync ----------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        svc = self.store.get("services", namespace, name)
        if svc is None:
            self.triggers.forget(key)
            self._failures.pop(key, None)
            self._built.pop(key, None)
            return None  # its slices are owned by it: the garbage collector deletes them
        if not self.index.selects(key):
            self._built.pop(key, None)
            return None  # ExternalName, or no selector: its slices are someone else's to write (or mirrored)
        pods = self.index.pods(key)
        existing = self.slices.slices(self.store, key)
        trigger = self.triggers.compute(key, svc, pods)
        errors: list[str] = []
        for address_type in address_types(svc):
            desired = self._desired(key, svc, pods, address_type, errors)
            plan = plan_address_type(svc, desired, [s for s in existing if s.get("addressType") == address_type],
                                     address_type, CONTROLLER_NAME)
            failed = self.writer.finalize(plan, svc, "Service", stamp=True, trigger=trigger) if len(plan) else None
            if failed:
                errors.append(failed)
        stale = [s for s in existing if s.get("addressType") not in address_types(svc)]
        if stale:
            failed = self.writer.finalize(Plan(delete=stale), svc, "Service")
            if failed:
                errors.append(failed)
        return self._outcome(key, svc, errors)

    def _desired(self, key: str, svc: Obj, pods: list[Obj], address_type: str, errors: list[str]) -> Desired:
        """The endpoints each set of ports should list, new ones in address order. A pod's endpoint is built
        again only when the pod or the Service changed since the last sync (a node's zone is read as the pod's
        endpoint is built, as upstream reads it when it syncs the pod): a sync of a large Service costs a lookup
        per pod, not a rebuild."""
        desired: Desired = {}
        publish = spec_of(svc).get("publishNotReadyAddresses") is True
        meta = svc["metadata"]
        service_version = meta.get("resourceVersion")
        built, kept = self._built.get(key, {}), {}
        ordered: dict[PortKey, list[tuple[Any, ...]]] = {}
        nodes = self.store
        for pod in pods:
            pod_meta = pod["metadata"]
            cache_key = (pod_meta.get("uid", ""), address_type)
            entry = built.get(cache_key)
            if entry is None or entry[0] != pod_meta.get("resourceVersion") or entry[1] != service_version:
                entry = self._build(pod, svc, address_type)
            kept[cache_key] = entry
            if entry[2] is None:
                continue  # finished, or no IP yet
            desired.setdefault(entry[3], (entry[2], {}))
            node_name = entry[4]
            if not publish and nodes.get("nodes", "", node_name) is None:
                # The pod will go with its node (PodGC); until then it is left out and the sync retried.
                errors.append(f"skipping Pod {pod_meta['name']} for Service {meta.get('namespace', '')}/"
                              f"{meta['name']}: Node {node_name} Not Found")
                continue
            if entry[7]["addresses"]:
                ordered.setdefault(entry[3], []).append(entry[5:])
        self._built[key] = kept
        for ports_key, entries in ordered.items():
            entries.sort(key=_by_address)
            desired[ports_key][1].update((e[1], e[2]) for e in entries)
        return desired

    def _build(self, pod: Obj, svc: Obj, address_type: str) -> tuple[Any, ...]:
        """(pod resourceVersion, Service resourceVersion, ports (None: not an endpoint), ports key, node name,
        address order, endpoint key, endpoint)."""
        versions = (pod["metadata"].get("resourceVersion"), svc["metadata"].get("resourceVersion"))
        if not should_be_in_endpoints(pod, True):
            return (*versions, None, None, None, None, None, None)
        node_name = (pod.get("spec") or {}).get("nodeName") or ""
        ports = endpoint_ports(svc, pod)
        endpoint = pod_to_endpoint(pod, self.store.get("nodes", "", node_name), svc, address_type)
        return (*versions, ports, port_key(ports), node_name, ip_order(endpoint), endpoint_key(endpoint), endpoint)

    def _outcome(self, key: str, svc: Obj, errors: list[str]) -> float | None:
        if not errors:
            self._failures.pop(key, None)
            return None
        meta = svc["metadata"]
        text = errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"  # utilerrors.NewAggregate
        self.recorder.record(svc, "Warning", "FailedToUpdateEndpointSlices",
                             f"Error updating Endpoint Slices for Service {meta.get('namespace', '')}/{meta['name']}: "
                             f"{text}", self.name)
        failures = self._failures.get(key, 0)
        if failures >= MAX_RETRIES:
            self._failures.pop(key, None)  # the retry budget is spent: dropped until the next change
            return None
        self._failures[key] = failures + 1
        return min(SYNC_BACKOFF * 2 ** failures, MAX_SYNC_BACKOFF)
