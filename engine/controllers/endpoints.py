"""Endpoints controller (`k/k pkg/controller/endpoint/endpoints_controller.go`).

For every Service with a selector (ExternalName Services excepted), an Endpoints object of the same name lists
the pods the selector matches: Ready pods under `addresses`, the others under `notReadyAddresses` (all of them
under `addresses` with `publishNotReadyAddresses`), each with the port its targetPort resolves to in that pod.
Pods that have finished, have no IP yet or are being deleted are left out. The Endpoints object has no owner
reference, as upstream: the controller deletes it when its Service goes.

Pod events reach Services through an index of selectors by one of their label pairs, and each Service keeps
the set of pods it selects, so a pod event costs a few dictionary lookups rather than a scan of the namespace,
and a sync reads only the Service's own pods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..events import ENDPOINT_CONTROLLER
from ..kinds.service_spec import is_headless, selector_of, spec_of
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from ..timeutil import format_time, parse_time
from .endpoints_subsets import MAX_CAPACITY, address_count, build_subsets, truncate

Obj = dict[str, Any]
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
RETRY_SECONDS = 1.0


def _key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def _endpoint_state(pod: Obj | None) -> tuple[Any, ...]:
    """What of a pod shows in an Endpoints object: a status write that leaves these alone changes nothing."""
    if pod is None:
        return ()
    status = pod.get("status") or {}
    return (status.get("podIP"), podutil.is_ready(pod), bool(pod["metadata"].get("deletionTimestamp")),
            status.get("phase") in ("Succeeded", "Failed"), (pod.get("spec") or {}).get("nodeName"))


def _selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@register_controller
class EndpointsController(Controller):
    name = ENDPOINT_CONTROLLER
    resources = ("services", "pods", "endpoints")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._selectors: dict[str, dict[str, Any]] = {}  # service key -> selector, for the Services managed
        self._by_pair: dict[tuple[str, str, Any], set[str]] = {}  # (namespace, label, value) -> service keys
        self._per_namespace: dict[str, int] = {}  # managed Services per namespace
        self._members: dict[str, set[str]] = {}  # service key -> names of the pods it selects
        self._pod_services: dict[str, set[str]] = {}  # pod key -> keys of the Services selecting it
        # service key -> (service trigger time, pod name -> pod trigger time) as of the last sync.
        self._triggers: dict[str, tuple[float, dict[str, float]]] = {}
        self._writing: str | None = None  # the key whose Endpoints this controller is writing right now

    def start(self) -> None:
        for svc in self.store.iter("services"):
            self._index_service(svc)
            self.queue.add(podutil.key_of(svc))
        # checkLeftoverEndpoints: Endpoints whose Service is gone are deleted by their sync.
        for endpoints in self.store.iter("endpoints"):
            self.queue.add(podutil.key_of(endpoints))

    # --- the selector index --------------------------------------------------------------------------------

    def _index_service(self, svc: Obj) -> None:
        meta = svc["metadata"]
        namespace, key = meta.get("namespace", ""), podutil.key_of(svc)
        selector = selector_of(svc) if spec_of(svc).get("type") != "ExternalName" else None
        current = self._selectors.get(key)
        if selector == current:
            return
        if current is not None:
            self._unindex_service(key, namespace)
        if selector is None:
            return
        self._selectors[key] = dict(selector)
        first = min(selector)
        self._by_pair.setdefault((namespace, first, selector[first]), set()).add(key)
        self._per_namespace[namespace] = self._per_namespace.get(namespace, 0) + 1
        members = self._members[key] = set()
        for pod in self.store.iter("pods", namespace):
            if _selects(selector, pod["metadata"].get("labels") or {}):
                name = pod["metadata"]["name"]
                members.add(name)
                self._pod_services.setdefault(_key(namespace, name), set()).add(key)

    def _unindex_service(self, key: str, namespace: str) -> None:
        selector = self._selectors.pop(key, None)
        if selector is None:
            return
        first = min(selector)
        bucket = self._by_pair.get((namespace, first, selector[first]))
        if bucket is not None:
            bucket.discard(key)
            if not bucket:
                del self._by_pair[(namespace, first, selector[first])]
        self._per_namespace[namespace] -= 1
        if not self._per_namespace[namespace]:
            del self._per_namespace[namespace]
        for name in self._members.pop(key, ()):
            services = self._pod_services.get(_key(namespace, name))
            if services is not None:
                services.discard(key)
                if not services:
                    del self._pod_services[_key(namespace, name)]

    def _services_selecting(self, namespace: str, labels: dict[str, Any]) -> set[str]:
        found: set[str] = set()
        for label, value in labels.items():
            for key in self._by_pair.get((namespace, label, value), ()):
                if _selects(self._selectors[key], labels):
                    found.add(key)
        return found

    # --- events --------------------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        meta = obj["metadata"]
        if event.resource == "pods":
            namespace = meta.get("namespace", "")
            # Pods are only ever indexed under a Service of their own namespace: most pod events stop here.
            if namespace not in self._per_namespace:
                return ()
            return self._pod_changed(event, namespace, _key(namespace, meta["name"]))
        key = podutil.key_of(obj)
        if event.resource == "services":
            if event.type == "DELETED":
                self._unindex_service(key, meta.get("namespace", ""))
            else:
                self._index_service(obj)
            return (key,)
        # Endpoints: only a deletion by someone else matters, after which a live Service's Endpoints come back.
        return (key,) if event.type == "DELETED" and key != self._writing else ()

    def _pod_changed(self, event: WatchEvent, namespace: str, pod_key: str) -> set[str]:
        pod, name = event.object, event.object["metadata"]["name"]
        before = self._pod_services.get(pod_key, set())
        after = set() if event.type == "DELETED" else self._services_selecting(
            namespace, pod["metadata"].get("labels") or {})
        for key in before - after:
            self._members.get(key, set()).discard(name)
        for key in after - before:
            self._members.setdefault(key, set()).add(name)
        if after:
            self._pod_services[pod_key] = after
        else:
            self._pod_services.pop(pod_key, None)
        keys = before ^ after
        both = before & after
        if both and (event.type != "MODIFIED" or _endpoint_state(pod) != _endpoint_state(event.old)):
            keys |= both
        return keys

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("services", namespace, name)

    # --- sync ----------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        svc = self.store.get("services", namespace, name)
        current = self.store.get("endpoints", namespace, name)
        if svc is None:
            self._triggers.pop(key, None)
            if current is not None:
                self._write(key, lambda: self.api.delete("endpoints", name, namespace))
            return None
        if key not in self._selectors:
            return None  # no selector (its Endpoints are the user's to write) or ExternalName
        pods = [pod for pod_name in sorted(self._members.get(key, ()))
                if (pod := self.store.get("pods", namespace, pod_name)) is not None]
        subsets = build_subsets(svc, pods)
        trigger = self._trigger_time(key, svc, pods)
        labels = dict(svc["metadata"].get("labels") or {})
        if current is not None:
            current_labels = {k: v for k, v in (current["metadata"].get("labels") or {}).items() if k != HEADLESS_LABEL}
            capacity_ok = address_count(subsets) <= MAX_CAPACITY and OVER_CAPACITY not in (
                current["metadata"].get("annotations") or {})
            if (current.get("subsets") or []) == subsets and current_labels == labels and capacity_ok:
                return None
        if is_headless(svc):
            labels[HEADLESS_LABEL] = ""
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        if trigger is not None:
            annotations[TRIGGER_TIME] = format_time(trigger)
        else:
            annotations.pop(TRIGGER_TIME, None)
        if truncate(subsets):
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        return self._save(key, current, subsets, labels, annotations)

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
            endpoints["subsets"] = subsets
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

    def _trigger_time(self, key: str, svc: Obj, pods: list[Obj]) -> float | None:
        """TriggerTimeTracker: the earliest change (a pod's Ready transition, the Service's creation) that this
        sync is the first to reflect, for the `last-change-trigger-time` annotation."""
        last_service, last_pods = self._triggers.get(key, (float("-inf"), {}))
        changed: list[float] = []
        seen: dict[str, float] = {}
        for pod in pods:
            ready = podutil.condition(pod, "Ready")
            stamp = (ready or {}).get("lastTransitionTime")
            if not stamp:
                continue
            when = seen[pod["metadata"]["name"]] = parse_time(stamp)
            if when > last_pods.get(pod["metadata"]["name"], float("-inf")):
                changed.append(when)
        created = svc["metadata"].get("creationTimestamp")
        service_time = parse_time(created) if created else float("-inf")
        if service_time > last_service:
            changed.append(service_time)
        self._triggers[key] = (service_time, seen)
        return min(changed) if changed else None

