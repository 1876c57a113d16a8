"""Endpoints controller (`k/k pkg/controller/endpoint/endpoints_controller.go`).

For every Service with a selector (ExternalName Services excepted), an Endpoints object of the same name lists
the pods the selector matches: Ready pods under `addresses`, the others under `notReadyAddresses` (all of them
under `addresses` with `publishNotReadyAddresses`), each with the port its targetPort resolves to in that pod.
Pods that have finished, have no IP yet or are being deleted are left out. The Endpoints object has no owner
reference, as upstream: the controller deletes it when its Service goes.

Pod events reach Services through the selector index of `service_index.py`, shared in shape with the
EndpointSlice controller: a pod event costs a few dictionary lookups, and a sync looks again only at the pods that
changed since the last one (`ServiceAddresses` keeps the rest), so a rollout of a large Deployment behind a
Service costs a constant amount per pod change rather than a pass over every pod per sync. The Endpoints written
are those upstream's full rebuild gives (RepackSubsets, then truncation to 1,000 addresses).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..events import ENDPOINT_CONTROLLER
from ..kinds.service_spec import is_headless
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time
from .endpoints_subsets import ServiceAddresses, build_subsets, truncate
from .service_index import ServicePods, SyncWork, TriggerTimes

Obj = dict[str, Any]
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
RETRY_SECONDS = 1.0


@register_controller
class EndpointsController(Controller):
    name = ENDPOINT_CONTROLLER
    resources = ("services", "pods", "endpoints")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.index = ServicePods(self.store)
        self.triggers = TriggerTimes()
        self._writing: str | None = None  # the key whose Endpoints this controller is writing right now
        self._addresses: dict[str, ServiceAddresses] = {}  # service key -> its addresses as of the last sync
        self.work = SyncWork()

    def start(self) -> None:
        for svc in self.store.iter("services"):
            self.index.index_service(svc)
            self.queue.add(podutil.key_of(svc))
        # checkLeftoverEndpoints: Endpoints whose Service is gone are deleted by their sync.
        for endpoints in self.store.iter("endpoints"):
            self.queue.add(podutil.key_of(endpoints))

    # --- events --------------------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        meta = obj["metadata"]
        if event.resource == "pods":
            return self.index.pod_changed(event) if self.index.watches(meta.get("namespace", "")) else ()
        key = podutil.key_of(obj)
        if event.resource == "services":
            if event.type == "DELETED":
                self.index.unindex_service(key, meta.get("namespace", ""))
            else:
                self.index.index_service(obj)
            return (key,)
        # Endpoints: only a deletion by someone else matters, after which a live Service's Endpoints come back.
        return (key,) if event.type == "DELETED" and key != self._writing else ()

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("services", namespace, name)

    # --- sync ----------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        try:
            return self._sync(key)
        except BaseException:
            self.index.relist(key)  # what this sync took in is lost with it: the next one looks at everything
            self._addresses.pop(key, None)
            raise

    def _sync(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        svc = self.store.get("services", namespace, name)
        current = self.store.get("endpoints", namespace, name)
        changed = self.index.take_changes(key)
        if svc is None:
            self.triggers.forget(key)
            self._addresses.pop(key, None)
            if current is not None:
                self._write(key, lambda: self.api.delete("endpoints", name, namespace))
            return None
        if not self.index.selects(key):
            self._addresses.pop(key, None)
            return None  # no selector (its Endpoints are the user's to write) or ExternalName
        subsets, over_capacity = self._kept(key, svc, changed).subsets()
        if self.work.verify:
            self.work.check(key, subsets, self._rebuilt(svc, self.index.pods(key)))
        trigger = self.triggers.compute_changed(key, svc, self.index, changed)
        labels = dict(svc["metadata"].get("labels") or {})
        if current is not None and not over_capacity \
                and OVER_CAPACITY not in (current["metadata"].get("annotations") or {}):
            current_labels = {k: v for k, v in (current["metadata"].get("labels") or {}).items() if k != HEADLESS_LABEL}
            if (current.get("subsets") or []) == subsets and current_labels == labels:
                return None
        if is_headless(svc):
            labels[HEADLESS_LABEL] = ""
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        if trigger is not None:
            annotations[TRIGGER_TIME] = format_time(trigger)
        else:
            annotations.pop(TRIGGER_TIME, None)
        if over_capacity:
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        return self._save(key, current, subsets, labels, annotations)

    def _kept(self, key: str, svc: Obj, changed: set[str] | None) -> ServiceAddresses:
        """The Service's addresses brought up to date: only the pods that changed are looked at again, unless the
        Service itself changed (or its pods were listed anew), when every pod is."""
        version = svc["metadata"].get("resourceVersion")
        kept = self._addresses.get(key)
        if kept is None or changed is None or kept.service_version != version:
            kept = self._addresses[key] = ServiceAddresses(version)
            pods = self.index.pods(key)
            for pod in pods:
                kept.set_pod(pod["metadata"]["name"], pod, svc)
            self.work.full(len(pods))
            return kept
        for pod_name in changed:
            kept.set_pod(pod_name, self.index.member(key, pod_name), svc)
        self.work.partial(len(changed))
        return kept

    @staticmethod
    def _rebuilt(svc: Obj, pods: list[Obj]) -> list[Obj]:
        """Upstream's way, every pod at every sync (what `work.verify` compares the kept addresses with)."""
        subsets = build_subsets(svc, pods)
        truncate(subsets)
        return subsets

    def _save(self, key: str, current: Obj | None, subsets: list[Obj], labels: dict[str, Any],
              annotations: dict[str, str]) -> float | None:
        namespace, name = podutil.split_key(key)
        meta: Obj = {**(current or {}).get("metadata", {}), "name": name, "namespace": namespace, "labels": labels}
        if not labels:
            del meta["labels"]  # an empty map is omitted when serialised
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
        endpoints: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        if subsets:
            # The addresses are kept from sync to sync: a create stores what it is given, so it gets a copy.
            endpoints["subsets"] = subsets if current is not None else deep_copy(subsets)
        if endpoints == current:
            # What the update would write is what is there: the API server would make nothing of it (an Endpoints
            # over capacity is sent again at every sync, as upstream sends it), so the copy it takes is saved.
            return None
        try:
            if current is None:
                self._write(key, lambda: self.api.create(endpoints, trusted=True))
            else:
                self._write(key, lambda: self.api.update(endpoints, trusted=True))
        except ApiError as exc:
            causes = (exc.status.get("details") or {}).get("causes") or ()
            if current is None and any(c.get("reason") == "NamespaceTerminating" for c in causes):
                return None  # every create would fail the same way; the namespace controller is removing it all
            if current is None:
                message = f"Failed to create endpoint for service {namespace}/{name}: {exc.message}"
                self.recorder.record(endpoints, "Warning", "FailedToCreateEndpoint", message, self.name)
            else:
                message = f"Failed to update endpoint {namespace}/{name}: {exc.message}"
                self.recorder.record(current, "Warning", "FailedToUpdateEndpoint", message, self.name)
            return RETRY_SECONDS
        return None

    def _write(self, key: str, call: Callable[[], object]) -> None:
        self._writing = key
        try:
            call()
        except ApiError as exc:
            if exc.code != 404:
                raise
        finally:
            self._writing = None
