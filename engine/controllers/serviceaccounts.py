"""The serviceaccounts controller (`k/k pkg/controller/serviceaccount/serviceaccounts_controller.go`).

Every active namespace has a ServiceAccount `default`: created when the namespace appears, created again if it is
deleted. A terminating namespace gets none. Pods created before this controller's next round find it anyway: the
admission plugin waits for `default` as upstream's does (see `kinds/serviceaccount.admit_pod`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kinds.serviceaccount import DEFAULT, ensure_default
from ..runtime import Controller, register_controller
from ..store import WatchEvent

Obj = dict[str, Any]


@register_controller
class ServiceAccountsController(Controller):
    name = "serviceaccount-controller"
    resources = ("namespaces", "serviceaccounts")

    def start(self) -> None:
        for ns in self.store.iter("namespaces"):
            self.queue.add(ns["metadata"]["name"])

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        meta = event.object["metadata"]
        if event.resource == "namespaces":
            # namespaceAdded / namespaceUpdated
            return () if event.type == "DELETED" else (meta["name"],)
        # serviceAccountDeleted: only a managed account is put back.
        if event.type == "DELETED" and meta.get("name") == DEFAULT:
            return (meta.get("namespace", ""),)
        return ()

    def object_for_key(self, key: str) -> Obj | None:
        return self.store.get("namespaces", "", key)

    def reconcile(self, key: str) -> float | None:
        """syncNamespace: only an Active namespace gets its accounts."""
        ns = self.store.get("namespaces", "", key)
        if ns is None or (ns.get("status") or {}).get("phase", "Active") != "Active":
            return None
        ensure_default(self.api, key)
        return None
