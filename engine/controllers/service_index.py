"""What the endpoints and EndpointSlice controllers both keep about Services: which pods each selector matches,
and when the changes a sync reflects happened.

Upstream shares the same pieces between the two controllers (`staging/src/k8s.io/endpointslice/util`:
GetPodServiceMemberships / GetServicesToUpdateOnPodChange, TriggerTimeTracker). Each controller holds its own
instances, as each upstream controller has its own informers.

Pod events reach Services through an index of selectors by one of their label pairs, and each Service keeps the
set of pods it selects, so a pod event costs a few dictionary lookups rather than a scan of the namespace. The
index also notes which of a Service's pods changed since its controller last asked (`take_changes`): a sync then
looks again only at those, and the work per pod change stays the same however many pods the Service selects
(upstream's controllers list every selected pod on every sync; Go can afford it, a Python loop over 10,000 pods
per sync during a rollout could not).
"""

from __future__ import annotations

from typing import Any

from .. import podutil
from ..kinds.service_spec import selector_of, spec_of
from ..store import Store, WatchEvent
from ..timeutil import parse_time

Obj = dict[str, Any]


def _key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def endpoint_state(pod: Obj | None) -> tuple[Any, ...]:
    """What of a pod shows in an Endpoints object or an EndpointSlice (podEndpointsChanged: IP, readiness,
    deletion; plus the terminal phase and node): a status write that leaves these alone changes nothing."""
    if pod is None:
        return ()
    status = pod.get("status") or {}
    return (status.get("podIP"), podutil.is_ready(pod), bool(pod["metadata"].get("deletionTimestamp")),
            status.get("phase") in ("Succeeded", "Failed"), (pod.get("spec") or {}).get("nodeName"))


def _selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


class ServicePods:
    """The Services with a selector (ExternalName ones excepted) and the pods each selects, kept from watch events."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._selectors: dict[str, dict[str, Any]] = {}  # service key -> selector, for the Services managed
        self._by_pair: dict[tuple[str, str, Any], set[str]] = {}  # (namespace, label, value) -> service keys
        self._per_namespace: dict[str, int] = {}  # managed Services per namespace
        self._members: dict[str, set[str]] = {}  # service key -> names of the pods it selects
        self._pod_services: dict[str, set[str]] = {}  # pod key -> keys of the Services selecting it
        # service key -> names of its pods (past or present) with an event since the last take_changes.
        self._changed: dict[str, set[str]] = {}
        self._rebuilt: set[str] = set()  # Services whose pods were listed anew: take_changes says "all"

    def selects(self, key: str) -> bool:
        """Whether the Service has a selector this index follows."""
        return key in self._selectors

    def watches(self, namespace: str) -> bool:
        """Pods are only ever indexed under a Service of their own namespace: most pod events stop here."""
        return namespace in self._per_namespace

    def pods(self, key: str) -> list[Obj]:
        """The pods the Service selects, by name."""
        namespace = key.split("/", 1)[0]
        return [pod for pod_name in sorted(self._members.get(key, ()))
                if (pod := self.store.get("pods", namespace, pod_name)) is not None]

    def member(self, key: str, name: str) -> Obj | None:
        """The pod of that name if the Service selects it now, else None."""
        if name not in self._members.get(key, ()):
            return None
        return self.store.get("pods", key.split("/", 1)[0], name)

    def relist(self, key: str) -> None:
        """Make the next take_changes say "all" (a sync that failed half-way cannot say what it took in)."""
        self._changed.pop(key, None)
        self._rebuilt.add(key)

    def take_changes(self, key: str) -> set[str] | None:
        """The names of the Service's pods that changed (joined, left, or were written) since the last call, and
        forget them; None when its pods were listed anew since (a new Service, a changed selector) and a sync has
        to look at all of them."""
        changed = self._changed.pop(key, set())
        if key in self._rebuilt:
            self._rebuilt.discard(key)
            return None
        return changed

    def index_service(self, svc: Obj) -> None:
        meta = svc["metadata"]
        namespace, key = meta.get("namespace", ""), podutil.key_of(svc)
        selector = selector_of(svc) if spec_of(svc).get("type") != "ExternalName" else None
        current = self._selectors.get(key)
        if selector == current:
            return
        if current is not None:
            self.unindex_service(key, namespace)
        if selector is None:
            return
        self._selectors[key] = dict(selector)
        first = min(selector)
        self._by_pair.setdefault((namespace, first, selector[first]), set()).add(key)
        self._per_namespace[namespace] = self._per_namespace.get(namespace, 0) + 1
        self._rebuilt.add(key)
        members = self._members[key] = set()
        for pod in self.store.iter("pods", namespace):
            if _selects(selector, pod["metadata"].get("labels") or {}):
                name = pod["metadata"]["name"]
                members.add(name)
                self._pod_services.setdefault(_key(namespace, name), set()).add(key)

    def unindex_service(self, key: str, namespace: str) -> None:
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
        self._changed.pop(key, None)
        self._rebuilt.add(key)
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

    def pod_changed(self, event: WatchEvent) -> set[str]:
        """GetServicesToUpdateOnPodChange: the Services a pod event concerns (the caller has checked `watches`).
        A pod that joins or leaves a Service concerns it; one that stays concerns it only if what it shows in
        endpoints changed."""
        pod, meta = event.object, event.object["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        pod_key = _key(namespace, name)
        before = self._pod_services.get(pod_key, set())
        after = set() if event.type == "DELETED" else self._services_selecting(namespace, meta.get("labels") or {})
        for key in before - after:
            self._members.get(key, set()).discard(name)
        for key in after - before:
            self._members.setdefault(key, set()).add(name)
        for key in before:
            self._changed.setdefault(key, set()).add(name)
        for key in after:
            self._changed.setdefault(key, set()).add(name)
        if after:
            self._pod_services[pod_key] = after
        else:
            self._pod_services.pop(pod_key, None)
        keys = before ^ after
        both = before & after
        if both and (event.type != "MODIFIED" or endpoint_state(pod) != endpoint_state(event.old)):
            keys |= both
        return keys


class TriggerTimes:
    """TriggerTimeTracker: the earliest change (a pod's Ready transition, the Service's creation) that a sync is the
    first to reflect, for the `endpoints.kubernetes.io/last-change-trigger-time` annotation."""

    def __init__(self) -> None:
        # service key -> (service trigger time, pod name -> pod trigger time) as of the last sync.
        self._seen: dict[str, tuple[float, dict[str, float]]] = {}
        self._parsed: dict[str, float] = {}  # timestamps already parsed (a pod keeps its stamp across syncs)

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)

    def _stamp(self, pod: Obj) -> float | None:
        ready = podutil.condition(pod, "Ready")
        stamp = (ready or {}).get("lastTransitionTime")
        if not stamp:
            return None
        when = self._parsed.get(stamp)
        if when is None:
            if len(self._parsed) > 100_000:
                self._parsed.clear()
            when = self._parsed[stamp] = parse_time(stamp)
        return when

    def compute(self, key: str, svc: Obj, pods: list[Obj]) -> float | None:
        """ComputeEndpointLastChangeTriggerTime over all the Service's pods."""
        last_service, last_pods = self._seen.get(key, (float("-inf"), {}))
        changed: list[float] = []
        seen: dict[str, float] = {}
        for pod in pods:
            when = self._stamp(pod)
            if when is None:
                continue
            seen[pod["metadata"]["name"]] = when
            if when > last_pods.get(pod["metadata"]["name"], float("-inf")):
                changed.append(when)
        self._seen[key] = (last_service, seen)
        return self._with_service(key, svc, changed)

    def compute_changed(self, key: str, svc: Obj, index: ServicePods, names: set[str] | None) -> float | None:
        """The same, looking only at the pods named (those with an event since the last sync: no other pod's
        stamp can have moved); all of them when `names` is None or the Service was not seen before."""
        if names is None or key not in self._seen:
            return self.compute(key, svc, index.pods(key))
        seen = self._seen[key][1]
        changed: list[float] = []
        for name in names:
            pod = index.member(key, name)
            when = None if pod is None else self._stamp(pod)
            if when is None:
                seen.pop(name, None)
                continue
            if when > seen.get(name, float("-inf")):
                changed.append(when)
            seen[name] = when
        return self._with_service(key, svc, changed)

    def _with_service(self, key: str, svc: Obj, changed: list[float]) -> float | None:
        last_service, seen = self._seen[key]
        created = svc["metadata"].get("creationTimestamp")
        service_time = parse_time(created) if created else float("-inf")
        if service_time > last_service:
            changed.append(service_time)
        self._seen[key] = (service_time, seen)
        return min(changed) if changed else None


class SyncWork:
    """What a controller's syncs looked at: how many listed every pod of their Service, how many looked only at
    the pods that changed, and the pods looked at in all (a test bounds these instead of timing a rollout).
    With `verify` set (tests), each sync's result is also compared with upstream's rebuild from every pod, and
    any difference is kept in `mismatches`."""

    def __init__(self) -> None:
        self.full_syncs = 0
        self.partial_syncs = 0
        self.pods_examined = 0
        self.verify = False
        self.mismatches: list[tuple[str, Any, Any]] = []

    def full(self, pods: int) -> None:
        self.full_syncs += 1
        self.pods_examined += pods

    def partial(self, pods: int) -> None:
        self.partial_syncs += 1
        self.pods_examined += pods

    def check(self, key: str, got: Any, want: Any) -> None:
        if got != want:
            self.mismatches.append((key, got, want))
