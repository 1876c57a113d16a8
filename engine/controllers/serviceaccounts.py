"""The serviceaccounts controller (`k/k pkg/controller/serviceaccount/serviceaccounts_controller.go`).

Every active namespace has a ServiceAccount `default`: created when the namespace appears, created again if it is
deleted. A terminating namespace gets none. Pods created before this controller's next round find it anyway: the
admission plugin waits for `default` as upstream's does (see `kinds/serviceaccount.admit_pod`).
"""

from __future__ import annotations

from typing import Any

from ..kinds.serviceaccount import DEFAULT, ensure_default
from ..runtime import register_controller
from ..store import WatchEvent
from .per_namespace import PerNamespaceController

Obj = dict[str, Any]


@register_controller
class ServiceAccountsController(PerNamespaceController):
    name = "serviceaccount-controller"
    resources = ("namespaces", "serviceaccounts")

    def needs_sync(self, event: WatchEvent) -> bool:
        # serviceAccountDeleted: only a managed account is put back.
        return event.type == "DELETED" and event.object["metadata"].get("name") == DEFAULT

    def reconcile(self, key: str) -> float | None:
        """syncNamespace: only an Active namespace gets its accounts."""
        ns = self.store.get("namespaces", "", key)
        if ns is None or (ns.get("status") or {}).get("phase", "Active") != "Active":
            return None
        ensure_default(self.api, key)
        return None
