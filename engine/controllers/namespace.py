"""Namespace lifecycle (`k/k pkg/controller/namespace/deletion/namespaced_resources_deleter.go`).

A deleted namespace is `Terminating` until everything in it is gone; then its `kubernetes` finalizer is removed
and it disappears. Pods inside still terminate gracefully.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..events import NAMESPACE_CONTROLLER
from ..kinds import REGISTRY
from ..store import WatchEvent
from ..timeutil import format_time
from .runtime import Controller

Obj = dict[str, Any]
RECHECK_SECONDS = 5.0


class NamespaceController(Controller):
    name = NAMESPACE_CONTROLLER

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.resources = tuple(info.resource for info in REGISTRY.kinds())

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
        remaining: dict[str, int] = {}
        for info in REGISTRY.kinds():
            if not info.namespaced:
                continue
            for obj in list(self.store.iter(info.resource, key)):
                remaining[info.resource] = remaining.get(info.resource, 0) + 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(info, obj["metadata"]["name"], key)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
        left = {r: self.store.count(r, key) for r in remaining}
        left = {r: n for r, n in left.items() if n}
        if not left:
            self.recorder.forget_namespace(key)
            self.api.finalize_namespace(key)
            return None
        self._set_remaining_condition(ns, left)
        return RECHECK_SECONDS

    def _set_remaining_condition(self, ns: Obj, left: dict[str, int]) -> None:
        message = "Some resources are remaining: " + ", ".join(
            f"{resource} has {count} resource instances" for resource, count in sorted(left.items()))
        status = dict(ns.get("status") or {})
        conditions = [c for c in status.get("conditions") or () if c.get("type") != "NamespaceContentRemaining"]
        previous = next((c for c in status.get("conditions") or () if c.get("type") == "NamespaceContentRemaining"),
                        None)
        if previous is not None and previous.get("message") == message:
            return
        conditions.append({"type": "NamespaceContentRemaining", "status": "True",
                           "reason": "SomeResourcesRemain", "message": message,
                           "lastTransitionTime": format_time(self.clock.now())})
        status["conditions"] = conditions
        self.api.update_status({**ns, "status": status})
