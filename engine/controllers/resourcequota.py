"""The resource quota controller (`k/k pkg/controller/resourcequota`): keeps each ResourceQuota's `status.hard` and
`status.used` true to the namespace.

A quota is synced when it is created or its `spec.hard` changes (upstream ignores status-only updates: they are
its own and the admission's), when something it counts is released (the quota monitor's replenishment: any
deletion, a pod that finished, a Service whose type stopped or started using node ports or a load balancer, a
claim whose allocated size changed), and every 5 minutes in full (`--resource-quota-sync-period`). Creations are
not watched: the quota admission charged them already.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..admission.evaluators import evaluator_for, parse_list, pod_charged, quota_status, service_quota_type
from ..runtime import Controller, register_controller
from ..store import WatchEvent

Obj = dict[str, Any]

RESYNC_PERIOD = 300.0  # kube-controller-manager --resource-quota-sync-period=5m0s
QUOTAS = "resourcequotas"


@register_controller
class ResourceQuotaController(Controller):
    name = "resourcequota-controller"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        # The quota monitor watches every namespaced resource quota can count (discovery's, upstream).
        counted = [info.resource for info in ctx.registry.kinds()
                   if info.namespaced and info.resource != QUOTAS and evaluator_for(info.resource) is not None]
        self.resources = (QUOTAS, *counted)

    def start(self) -> None:
        for quota in self.store.iter(QUOTAS):
            self.queue.add(_key(quota))

    def on_event(self, event: WatchEvent) -> None:
        # Every pod event of the cluster comes here: one dictionary lookup settles the namespaces without quota.
        if event.resource == QUOTAS or self.store.count(QUOTAS, event.object["metadata"].get("namespace", "")):
            super().on_event(event)

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        namespace = obj["metadata"].get("namespace", "")
        if event.resource == QUOTAS:
            if event.type == "MODIFIED" and (obj.get("spec") or {}).get("hard") == (
                    ((event.old or {}).get("spec") or {}).get("hard")):
                return ()
            return (_key(obj),)
        if event.type == "MODIFIED" and not _releases(event.resource, event.old, obj, self.clock.now()):
            return ()
        if event.type == "ADDED":
            return ()
        evaluator = evaluator_for(event.resource)
        if evaluator is None:
            return ()
        return [_key(quota) for quota in self.store.iter(QUOTAS, namespace)
                if evaluator.matching_resources((quota.get("status") or {}).get("hard") or {})]

    def reconcile(self, key: str) -> float | None:
        namespace, _, name = key.partition("/")
        quota = self.store.get(QUOTAS, namespace, name)
        if quota is None:
            return None
        status = quota_status(self.store, self.ctx.registry, quota, self.clock.now())
        if status != quota.get("status"):
            self.api.update_status({**quota, "status": status}, trusted=True)
        return RESYNC_PERIOD

    def object_for_key(self, key: str) -> Obj | None:
        namespace, _, name = key.partition("/")
        return self.store.get(QUOTAS, namespace, name)


def _key(quota: Obj) -> str:
    return f"{quota['metadata'].get('namespace', '')}/{quota['metadata']['name']}"


def _releases(resource: str, old: Obj | None, new: Obj, now: float) -> bool:
    """The quota monitor's update filter (pkg/quota/v1/install DefaultUpdateFilter): updates that free quota."""
    if old is None:
        return False
    if resource == "pods":
        return pod_charged(old, now) and not pod_charged(new, now)
    if resource == "services":
        return service_quota_type(old) != service_quota_type(new)
    if resource == "persistentvolumeclaims":
        return _allocated(old) != _allocated(new)
    return False


def _allocated(claim: Obj) -> Any:
    return parse_list((claim.get("status") or {}).get("allocatedResources")).get("storage")
