"""EndpointSlice mirroring controller (`k/k pkg/controller/endpointslicemirroring/`).

Endpoints that a user writes for a Service without a selector are mirrored into EndpointSlices, so that every
consumer of slices (kube-proxy, DNS) sees them: one slice per set of ports and address family, labelled
`endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io`, owned by the Endpoints, with
the Endpoints' labels and annotations (its last-applied configuration and trigger time aside). Ready addresses
become `ready: true` endpoints, not-ready ones `ready: false`; at most 1,000 addresses of each subset are
mirrored. Nothing is mirrored for an Endpoints labelled `endpointslice.kubernetes.io/skip-mirror: "true"` (the
`kubernetes` Service's), for one carrying a leader-election record, or when its Service is missing or has a
selector (the EndpointSlice controller then owns its slices); mirrored slices are deleted in those cases.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .. import podutil
from ..kinds.service_spec import selector_of
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .endpoints_subsets import repack
from .endpointslice import RESOURCE, SLICE_CHANGE_DELAY, SliceIndex
from .endpointslice_reconciler import Plan, SliceWriter
from .endpointslice_util import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    TRIGGER_TIME,
    EndpointKey,
    PortKey,
    endpoint_key,
    endpoint_port,
    endpoints_of,
    owner_ref,
    port_key,
    same_beyond_hash,
    slice_prefix,
    sort_ports,
)

Obj = dict[str, Any]
CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ENDPOINTS_PER_SUBSET = 1000  # --mirroring-max-endpoints-per-subset default
RETRY_SECONDS = 1.0  # the mirroring queue's defaultSyncBackOff
Key = tuple[str, PortKey]  # (address type, ports)


def _retry(failed: str | None) -> float | None:
    """A failed write is retried a second later, without an event (upstream's handleErr only logs it)."""
    return RETRY_SECONDS if failed else None


def should_mirror(endpoints: Obj | None) -> bool:
    if endpoints is None:
        return False
    meta = endpoints["metadata"]
    return (meta.get("labels") or {}).get(SKIP_MIRROR_LABEL) != "true" \
        and LEADER_ANNOTATION not in (meta.get("annotations") or {})


def _address_endpoint(address: Obj, ready: bool) -> tuple[str, Obj] | None:
    """addressToEndpoint: None for an address that is no IP."""
    try:
        ip = ipaddress.ip_address(address.get("ip"))
    except ValueError:
        return None
    endpoint: Obj = {"addresses": [str(ip)], "conditions": {"ready": ready}}
    if address.get("hostname"):
        endpoint["hostname"] = address["hostname"]
    if address.get("nodeName") is not None:
        endpoint["nodeName"] = address["nodeName"]
    if address.get("targetRef") is not None:
        endpoint["targetRef"] = dict(address["targetRef"])
    return ("IPv6" if ip.version == 6 else "IPv4"), endpoint


def _slice_meta(endpoints: Obj) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations a mirrored slice carries."""
    meta = endpoints["metadata"]
    labels = {**(meta.get("labels") or {}), SERVICE_NAME_LABEL: meta["name"], MANAGED_BY_LABEL: CONTROLLER_NAME}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in (TRIGGER_TIME, LAST_APPLIED)}
    return labels, annotations


@register_controller
class EndpointSliceMirroringController(Controller):
    name = "endpoint-slice-mirroring-controller"  # the event source upstream's recorder uses
    resources = ("endpoints", "services", RESOURCE)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.slices = SliceIndex(CONTROLLER_NAME)
        self.writer = SliceWriter(self.api, self.name)

    def start(self) -> None:
        for eps in self.store.iter(RESOURCE):
            self.slices.observe(WatchEvent("ADDED", RESOURCE, eps, 0))
        for endpoints in self.store.iter("endpoints"):
            if should_mirror(endpoints):
                self.queue.add(podutil.key_of(endpoints))

    def on_event(self, event: WatchEvent) -> None:
        obj = event.object
        if event.resource == "endpoints":
            if should_mirror(obj) or should_mirror(event.old):
                self.queue.add(podutil.key_of(obj))
        elif event.resource == "services":
            # Only a Service without a selector has mirrored Endpoints; one that gains or loses its selector
            # changes who writes its slices.
            had = event.old is not None and selector_of(event.old) is None
            has = selector_of(obj) is None
            if (event.type != "MODIFIED" and has) or (event.type == "MODIFIED" and had != has):
                self.queue.add(podutil.key_of(obj))
        else:
            for key in self.slices.changed_by_others(event, self.writer):
                self.queue.add_after(key, SLICE_CHANGE_DELAY)

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("endpoints", namespace, name)

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        endpoints = self.store.get("endpoints", namespace, name)
        svc = self.store.get("services", namespace, name)
        mirrored = self.slices.slices(self.store, key)
        if endpoints is None or not should_mirror(endpoints) or svc is None or selector_of(svc) is not None:
            if not mirrored:
                return None
            owner = {"metadata": {"namespace": namespace, "name": name}}
            return _retry(self.writer.finalize(Plan(delete=mirrored), owner, "Endpoints"))
        desired, ports = self._desired(endpoints)
        by_key: dict[Key, list[Obj]] = {}
        for eps in mirrored:
            by_key.setdefault((str(eps.get("addressType")), port_key(eps.get("ports"))), []).append(eps)
        plan = Plan()
        for slice_key, wanted in desired.items():
            self._plan_key(plan, endpoints, by_key.get(slice_key, []), wanted, ports[slice_key], slice_key[0])
        for slice_key, slices in by_key.items():
            if slice_key not in desired:
                plan.delete += slices
        return _retry(self.writer.finalize(plan, endpoints, "Endpoints") if len(plan) else None)

    def _desired(self, endpoints: Obj) -> tuple[dict[Key, dict[EndpointKey, Obj]], dict[Key, list[Obj]]]:
        """desiredCalc over the repacked subsets (RepackSubsets canonicalises them first)."""
        entries = []
        for subset in endpoints.get("subsets") or ():
            ports = subset.get("ports") or [None]
            for field, ready in (("addresses", True), ("notReadyAddresses", False)):
                for address in subset.get(field) or ():
                    entries.extend((address, port, ready) for port in ports)
        desired: dict[Key, dict[EndpointKey, Obj]] = {}
        ports_by_key: dict[Key, list[Obj]] = {}
        invalid = skipped = 0
        for subset in repack(entries):
            ports = sort_ports(endpoint_port(p.get("name") or "", int(p.get("port") or 0), p.get("protocol") or "TCP",
                                             p.get("appProtocol")) for p in subset.get("ports") or ())
            for address_type in ("IPv4", "IPv6"):
                key = (address_type, port_key(ports))
                desired.setdefault(key, {})
                ports_by_key[key] = ports
            addresses = [(a, True) for a in subset.get("addresses") or ()] + \
                        [(a, False) for a in subset.get("notReadyAddresses") or ()]
            added = 0
            for address, ready in addresses:
                if added >= MAX_ENDPOINTS_PER_SUBSET:
                    break
                found = _address_endpoint(address, ready)
                if found is None:
                    invalid += 1
                    continue
                desired[(found[0], port_key(ports))][endpoint_key(found[1])] = found[1]
                added += 1
            skipped += len(addresses) - added
        if invalid:
            self.recorder.record(endpoints, "Warning", "InvalidIPAddress",
                                 f"Skipped {invalid} invalid IP addresses when mirroring to EndpointSlices", self.name)
        if skipped > invalid:
            self.recorder.record(endpoints, "Warning", "TooManyAddressesToMirror",
                                 f"A max of {MAX_ENDPOINTS_PER_SUBSET} addresses can be mirrored to EndpointSlices per "
                                 f"Endpoints subset. {skipped} addresses were skipped", self.name)
        return desired, ports_by_key

    def _plan_key(self, plan: Plan, endpoints: Obj, existing: list[Obj], wanted: dict[EndpointKey, Obj],
                  ports: list[Obj], address_type: str) -> None:
        """reconcileByPortMapping: one slice per key, rewritten whole when anything about it changed."""
        if not wanted:
            plan.delete += existing
            return
        labels, annotations = _slice_meta(endpoints)
        if existing:
            plan.delete += existing[1:]
            first = existing[0]
            current = endpoints_of(first)
            same = len(current) == len(wanted) and all(
                (got := wanted.get(endpoint_key(e))) is not None and same_beyond_hash(got, e) for e in current)
            if same and (first["metadata"].get("labels") or {}) == labels \
                    and (first["metadata"].get("annotations") or {}) == annotations:
                return
        meta: Obj = {"namespace": endpoints["metadata"].get("namespace", ""), "labels": labels,
                     "ownerReferences": [owner_ref(endpoints, "Endpoints")]}
        if annotations:
            meta["annotations"] = annotations
        if existing:
            meta["name"] = existing[0]["metadata"]["name"]
        else:
            meta["generateName"] = slice_prefix(endpoints["metadata"]["name"])
        eps = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta,
               "addressType": address_type, "endpoints": list(wanted.values())[:MAX_ENDPOINTS_PER_SUBSET],
               "ports": [dict(p) for p in ports]}
        (plan.update if existing else plan.create).append(eps)
