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
(`service_index.py`), so a pod event costs a few lookups; events of one round of the engine coalesce into one sync
per Service through the work queue (upstream's EndpointUpdatesBatchPeriod defaults to 0: no further batching).
A sync looks only at the pods and slices that changed since the last one (`endpointslice_kept.py`), and makes the
plan upstream's walk over every pod and slice makes.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import attrs

from .. import podutil
from ..kinds.service_spec import spec_of
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .endpoints_subsets import should_be_in_endpoints
from .endpointslice_kept import Holding, PodEndpoints, SliceContents
from .endpointslice_reconciler import Desired, Plan, SliceWriter, plan_address_type
from .endpointslice_util import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    EndpointKey,
    PortKey,
    address_types,
    endpoint_key,
    endpoint_ports,
    endpoints_of,
    ip_order,
    owned_by,
    pod_to_endpoint,
    port_key,
)
from .service_index import ServicePods, SyncWork, TriggerTimes

Obj = dict[str, Any]
RESOURCE = "endpointslices.discovery.k8s.io"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"  # the managed-by label's value
SLICE_CHANGE_DELAY = 1.0  # endpointSliceChangeMinSyncDelay: a slice changed by someone else
_by_address = operator.itemgetter(0)  # new endpoints are added in address order
_by_order_and_pod = operator.itemgetter(0, 1)  # the same order, pods by name where addresses tie
# The controller's rate limiter: 1 s doubling to 1000 s, and a Service is dropped after 15 retries.
SYNC_BACKOFF, MAX_SYNC_BACKOFF, MAX_RETRIES = 1.0, 1000.0, 15


def _in_port_order(desired: Desired) -> Desired:
    """The sets of ports in a fixed order (upstream walks a Go map: any order), so that slices for several sets
    of ports are written in the same order however the pods came and went."""
    if len(desired) < 2:
        return desired
    return dict(sorted(desired.items(), key=lambda item: [(n, p, proto, app or "") for n, p, proto, app in item[0]]))


def _name(eps: Obj) -> str:
    return eps["metadata"].get("name", "")


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


@attrs.define
class KeptService:
    """A Service's endpoints as its last sync left them, per address type; `valid` once that sync wrote its whole
    plan (the next one may then look only at what changed)."""

    service_version: Any
    types: dict[str, PodEndpoints] = attrs.Factory(dict)
    valid: bool = False


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
        self.contents = SliceContents()
        self._kept: dict[str, KeptService] = {}  # service key -> its endpoints as of its last sync
        self.work = SyncWork()

    def start(self) -> None:
        for eps in self.store.iter(RESOURCE):
            self._observe_slice(WatchEvent("ADDED", RESOURCE, eps, 0))
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
        touched = self._observe_slice(event)
        if not self.writer.writing:
            for key in touched:
                self.queue.add_after(key, SLICE_CHANGE_DELAY)

    def _observe_slice(self, event: WatchEvent) -> set[str]:
        """Keep both slice indexes; the Services whose slices the event touched (see SliceIndex.changed_by_others:
        those changed by someone else are put right after a second)."""
        touched = self.slices.observe(event)
        obj = event.object
        self.contents.observe(event, SliceIndex._service_key(obj) if self.slices.managed(obj) else None)
        return touched

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("services", namespace, name)

    # --- sync ----------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        try:
            return self._sync(key)
        except BaseException:
            self.index.relist(key)  # what this sync took in is lost with it: the next one looks at everything
            self._kept.pop(key, None)
            raise

    def _sync(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        svc = self.store.get("services", namespace, name)
        changed = self.index.take_changes(key)
        changed_slices, released = self.contents.take_changes(key)
        if svc is None:
            self.triggers.forget(key)
            self._failures.pop(key, None)
            self._kept.pop(key, None)
            return None  # its slices are owned by it: the garbage collector deletes them
        if not self.index.selects(key):
            self._kept.pop(key, None)
            return None  # ExternalName, or no selector: its slices are someone else's to write (or mirrored)
        existing = self.slices.slices(self.store, key)
        types = address_types(svc)
        version = svc["metadata"].get("resourceVersion")
        kept = self._kept.pop(key, None)  # put back once the sync is through
        touched: dict[str, list[tuple[PortKey, EndpointKey]]] | None = None
        if (kept is not None and kept.valid and changed is not None and kept.service_version == version
                and not svc["metadata"].get("deletionTimestamp") and self.contents.trustworthy(key, len(existing))
                and all(owned_by(s, svc, "Service") for s in existing)):
            touched = self._take_in(key, svc, kept, changed, types)
        pods = self.index.pods(key) if touched is None else []
        if touched is None:
            # Every pod is looked at; the endpoints built for an unchanged Service are kept (see _build).
            reused = kept.types if kept is not None and kept.service_version == version else {}
            kept = KeptService(version, reused)
            self.work.full(len(pods))
        trigger = self.triggers.compute_changed(key, svc, self.index, changed)
        errors: list[str] = []
        skipped = False
        for address_type in types:
            endpoints = kept.types.setdefault(address_type, PodEndpoints())
            of_type = [s for s in existing if s.get("addressType") == address_type]
            if touched is None:
                desired = self._desired(svc, pods, endpoints, address_type, errors)
                plan = plan_address_type(svc, desired, of_type, address_type, CONTROLLER_NAME)
            else:
                desired, trusted = self._changes(key, endpoints, of_type, address_type, touched[address_type],
                                                 {h for h in released if h[0] == address_type}, changed_slices)
                plan = plan_address_type(svc, desired, of_type, address_type, CONTROLLER_NAME, trusted=trusted)
            if self.work.verify:
                self._verify(key, svc, of_type, address_type, plan)
            failed = self.writer.finalize(plan, svc, "Service", stamp=True, trigger=trigger) if len(plan) else None
            skipped = skipped or (bool(len(plan)) and self.writer.skipped)
            if failed:
                errors.append(failed)
        stale = [s for s in existing if s.get("addressType") not in types]
        if stale:
            failed = self.writer.finalize(Plan(delete=stale), svc, "Service")
            if failed:
                errors.append(failed)
        kept.valid = not errors and not skipped
        self._kept[key] = kept
        return self._outcome(key, svc, errors)

    def _take_in(self, key: str, svc: Obj, kept: KeptService, changed: set[str],
                 types: list[str]) -> dict[str, list[tuple[PortKey, EndpointKey]]] | None:
        """Bring the kept endpoints up to date with the pods that changed; the endpoints each address type saw
        change, or None when a pod's node is gone (the sync then walks every pod, to leave such pods out and
        name each in its error, as upstream)."""
        version = svc["metadata"].get("resourceVersion")
        touched = {}
        for address_type in types:
            endpoints = kept.types.setdefault(address_type, PodEndpoints())
            build = functools.partial(self._build, svc=svc, address_type=address_type)
            touched[address_type] = [change for pod_name in changed for change in endpoints.set_pod(
                pod_name, self.index.member(key, pod_name), build, version)]
        self.work.partial(len(changed))
        if spec_of(svc).get("publishNotReadyAddresses") is not True and types \
                and any(self.store.get("nodes", "", node) is None for node in kept.types[types[0]].nodes):
            return None
        return touched

    def _changes(self, key: str, endpoints: PodEndpoints, existing: list[Obj], address_type: str,
                 touched: list[tuple[PortKey, EndpointKey]], released: set[Holding],
                 changed_slices: set[str]) -> tuple[Desired, set[str]]:
        """What the reconciler needs to see of one address type when the rest is as the last sync left it: the
        slices that may change (changed since, or holding an endpoint that changed), the endpoints they hold
        that are still desired, and the desired endpoints no slice holds, in address order. The other slices are
        trusted to stay unchanged."""
        suspect = set(changed_slices)
        loose: dict[PortKey, set[EndpointKey]] = {}
        for ports, endpoint in touched:
            holders = self.contents.holders(key, (address_type, ports, endpoint))
            if holders:
                suspect.update(holders)
            else:
                loose.setdefault(ports, set()).add(endpoint)
        for _, ports, endpoint in released:
            if not self.contents.holders(key, (address_type, ports, endpoint)):
                loose.setdefault(ports, set()).add(endpoint)
        desired: Desired = {ports: (counted[1], {}) for ports, counted in endpoints.ports.items()}
        trusted = set()
        for eps in existing:
            if _name(eps) not in suspect:
                trusted.add(_name(eps))
                continue
            ports = port_key(eps.get("ports"))
            wanted = endpoints.desired.get(ports)
            if wanted is None:
                continue  # no pod offers these ports now: the slice goes
            found = desired[ports][1]
            for endpoint in endpoints_of(eps):
                ekey = endpoint_key(endpoint)
                got = wanted.get(ekey)
                if got is not None:
                    found[ekey] = got[2]
        for ports, keys in loose.items():
            wanted = endpoints.desired.get(ports)
            if wanted is None:
                continue
            placed = sorted((wanted[k] for k in keys if k in wanted), key=_by_order_and_pod)
            desired[ports][1].update((endpoint_key(e[2]), e[2]) for e in placed)
        return _in_port_order(desired), trusted

    def _desired(self, svc: Obj, pods: list[Obj], endpoints: PodEndpoints, address_type: str,
                 errors: list[str]) -> Desired:
        """The endpoints each set of ports should list, new ones in address order, from every pod (taken into
        `endpoints` as they go). A pod's endpoint is built as the pod is (a node's zone is read then, as
        upstream reads it when it syncs the pod)."""
        desired: Desired = {}
        publish = spec_of(svc).get("publishNotReadyAddresses") is True
        meta = svc["metadata"]
        build = functools.partial(self._build, svc=svc, address_type=address_type)
        ordered: dict[PortKey, list[tuple[Any, ...]]] = {}
        nodes = self.store
        for gone in endpoints.entries.keys() - {pod["metadata"]["name"] for pod in pods}:
            endpoints.set_pod(gone, None, build, meta.get("resourceVersion"))
        for pod in pods:
            pod_meta = pod["metadata"]
            endpoints.set_pod(pod_meta["name"], pod, build, meta.get("resourceVersion"))
            entry = endpoints.entries[pod_meta["name"]]
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
        for ports_key, entries in ordered.items():
            entries.sort(key=_by_address)
            desired[ports_key][1].update((e[1], e[2]) for e in entries)
        return _in_port_order(desired)

    def _verify(self, key: str, svc: Obj, existing: list[Obj], address_type: str, plan: Plan) -> None:
        """`work.verify` (tests): the plan must be the one a walk over every pod and slice makes."""
        endpoints = PodEndpoints()
        desired = self._desired(svc, self.index.pods(key), endpoints, address_type, [])
        want = plan_address_type(svc, desired, existing, address_type, CONTROLLER_NAME)
        self.work.check(key, attrs.asdict(plan), attrs.asdict(want))

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
