"""Namespace lifecycle (`k/k pkg/controller/namespace/deletion/namespaced_resources_deleter.go`).

A deleted namespace is `Terminating` until everything in it is gone; then its `kubernetes` finalizer is removed
and it disappears. Pods inside still terminate gracefully.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..events import NAMESPACE_CONTROLLER
from ..kinds import REGISTRY, KindInfo
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from ..timeutil import format_time

Obj = dict[str, Any]
RECHECK_SECONDS = 5.0


@register_controller
class NamespaceController(Controller):
    name = NAMESPACE_CONTROLLER

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        # Events and leases come and go constantly; the periodic re-check covers their deletion.
        self.resources = tuple(info.resource for info in REGISTRY.kinds() if info.kind not in ("Event", "Lease"))

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.resource == "namespaces":
            if event.object["metadata"].get("deletionTimestamp"):
                return (event.object["metadata"]["name"],)
            return ()
        if event.type != "DELETED":
            return ()
        namespace = event.object["metadata"].get("namespace")
        ns = self.store.get("namespaces", "", namespace) if namespace else None
        if ns is not None and ns["metadata"].get("deletionTimestamp"):
            return (namespace,)
        return ()

    def object_for_key(self, key: str) -> Obj | None:
        return self.store.get("namespaces", "", key)

    def reconcile(self, key: str) -> float | None:
        ns = self.store.get("namespaces", "", key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        touched: list[KindInfo] = []
        for info in REGISTRY.kinds():
            if not info.namespaced:
                continue
            objs = list(self.store.iter(info.resource, key))
            if objs:
                touched.append(info)
            for obj in objs:
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(info, obj["metadata"]["name"], key)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
        # What is still there after the delete calls: pods terminating gracefully, objects held by finalizers.
        left: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for info in touched:
            for obj in self.store.iter(info.resource, key):
                gvr = f"{info.plural}.{info.group}"  # "pods." for the core group, exactly as upstream prints it
                left[gvr] = left.get(gvr, 0) + 1
                for finalizer in obj["metadata"].get("finalizers") or ():
                    finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
        self._update_conditions(ns, left, finalizers)
        if not left:
            self.recorder.forget_namespace(key)
            self.api.finalize_namespace(key)
            return None
        return RECHECK_SECONDS

    def _update_conditions(self, ns: Obj, left: dict[str, int], finalizers: dict[str, int]) -> None:
        """namespaceConditionUpdater: all five deletion conditions, the "ok" variant unless something failed;
        lastTransitionTime kept while a condition does not change."""
        failing: dict[str, tuple[str, str]] = {}
        if left:
            failing["NamespaceContentRemaining"] = ("SomeResourcesRemain", "Some resources are remaining: " + ", ".join(
                sorted(f"{gvr} has {count} resource instances" for gvr, count in left.items())))
        if finalizers:
            failing["NamespaceFinalizersRemaining"] = (
                "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + ", ".join(
                    sorted(f"{name} in {count} resource instances" for name, count in finalizers.items())))
        stamp = format_time(self.clock.now())
        status = dict(ns.get("status") or {})
        old = {c.get("type"): c for c in status.get("conditions") or ()}
        conditions = [c for c in status.get("conditions") or () if c.get("type") not in _OK]
        for kind, (ok_reason, ok_message) in _OK.items():
            cond_status, reason, message = ("True", *failing[kind]) if kind in failing else \
                ("False", ok_reason, ok_message)
            previous = old.get(kind)
            unchanged = previous is not None and (previous.get("status"), previous.get("reason"),
                                                  previous.get("message")) == (cond_status, reason, message)
            conditions.append({"type": kind, "status": cond_status,
                               "lastTransitionTime": previous["lastTransitionTime"] if unchanged and previous
                               else stamp,
                               "reason": reason, "message": message})
        if conditions == status.get("conditions"):
            return
        status["conditions"] = conditions
        self.api.update_status({**ns, "status": status})


# The conditions the namespace deleter maintains, with their "ok" reason and message (status_condition_utils.go).
_OK = {
    "NamespaceDeletionDiscoveryFailure": ("ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": ("ParsedGroupVersions",
                                                    "All legacy kube types successfully parsed"),
    "NamespaceDeletionContentFailure": ("ContentDeleted",
                                        "All content successfully deleted, may be waiting on finalization"),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}
