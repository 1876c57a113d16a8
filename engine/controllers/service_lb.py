"""The service controller of a cloud controller manager (`k8s.io/cloud-provider/controllers/service/controller.go`),
with a load balancer that is an address from k9py's pool (`lb_pool.py`), as MetalLB or cloud-provider-kind give
a local cluster one.

A Service of type LoadBalancer without a `loadBalancerClass` gets the finalizer
`service.kubernetes.io/load-balancer-cleanup`, then `Ensuring load balancer`, an address in
`status.loadBalancer.ingress` (`ipMode: VIP`, as the API server defaults it) and `Ensured load balancer`;
`kubectl get svc` shows it as EXTERNAL-IP. `spec.loadBalancerIP` asks for one address of the pool. A Service whose
class names another implementation is left alone (`<pending>`), as upstream's controller leaves it to that one.
When the Service goes, or stops being a LoadBalancer, `Deleting load balancer` / `Deleted load balancer`: the
address is released (its status cleared) and the finalizer removed. A failure is the Warning
`SyncLoadBalancerFailed`, retried after 5 s, doubling to 5 minutes (minRetryDelay, maxRetryDelay).
"""

from __future__ import annotations

from typing import Any

from .. import podutil
from ..errors import ApiError
from ..kinds.service_spec import spec_of
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .lb_pool import AddressPool, ingress_ips

Obj = dict[str, Any]
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
MIN_RETRY, MAX_RETRY = 5.0, 300.0


def wants_load_balancer(svc: Obj | None) -> bool:
    """wantsLoadBalancer, for the default implementation: type LoadBalancer and no class of its own."""
    spec = spec_of(svc or {})
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") is None


def _has_finalizer(svc: Obj | None) -> bool:
    return svc is not None and FINALIZER in (svc["metadata"].get("finalizers") or ())


def _ensured_spec(svc: Obj) -> tuple[Any, ...]:
    """What needsUpdate compares: a change in any of these makes the controller ensure the balancer again."""
    spec = spec_of(svc)
    return (svc["metadata"].get("uid"), str(spec.get("ports")), spec.get("loadBalancerIP"),
            str(spec.get("loadBalancerSourceRanges")), spec.get("externalTrafficPolicy"),
            spec.get("healthCheckNodePort"), str(spec.get("externalIPs")), spec.get("sessionAffinity"))


@register_controller
class ServiceLoadBalancerController(Controller):
    name = "service-controller"  # the event source of the cloud controller manager's service controller
    resources = ("services",)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.pool = AddressPool.parse()
        self._ensured: dict[str, tuple[Any, ...]] = {}  # service key -> the spec last ensured (upstream's cache)
        self._failures: dict[str, int] = {}

    def start(self) -> None:
        for svc in self.store.iter("services"):
            if wants_load_balancer(svc) or _has_finalizer(svc):
                self.queue.add(podutil.key_of(svc))

    def keys_for(self, event: WatchEvent) -> list[str]:
        if any(wants_load_balancer(v) or _has_finalizer(v) for v in (event.object, event.old)):
            return [podutil.key_of(event.object)]
        return []

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("services", namespace, name)

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        svc = self.store.get("services", namespace, name)
        if svc is None:
            self._forget(key)
            self._retry_waiting()
            return None
        if svc["metadata"].get("deletionTimestamp") or not wants_load_balancer(svc):
            if _has_finalizer(svc):
                self._delete_load_balancer(svc)
                self._retry_waiting()
            self._forget(key)
            return None
        if not _has_finalizer(svc):
            finalizers = [*(svc["metadata"].get("finalizers") or ()), FINALIZER]
            svc = self.api.update({**svc, "metadata": {**svc["metadata"], "finalizers": finalizers}})
        current = ingress_ips(svc)
        if current and self._ensured.get(key) == _ensured_spec(svc) and self._keeps(svc, current[0]):
            return None
        self.recorder.record(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer", self.name)
        address, problem = self._address(svc, current)
        if address is None:
            return self._failed(key, svc, f"failed to ensure load balancer: {problem}")
        if current != [address]:
            self.api.update_status({**svc, "status": {**(svc.get("status") or {}),
                                                      "loadBalancer": {"ingress": [{"ip": address,
                                                                                    "ipMode": "VIP"}]}}})
        self.recorder.record(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer", self.name)
        self._ensured[key] = _ensured_spec(svc)
        self._failures.pop(key, None)
        return None

    def _keeps(self, svc: Obj, address: str) -> bool:
        requested = spec_of(svc).get("loadBalancerIP")
        return address in self.pool and (not requested or requested == address)

    def _address(self, svc: Obj, current: list[str]) -> tuple[str | None, str]:
        """The address this Service should have: the one asked for, the one it has, else the lowest free."""
        taken = self.pool.taken(self.store, skip=svc)
        requested = spec_of(svc).get("loadBalancerIP")
        if requested:
            if requested not in self.pool:
                return None, f"requested IP {requested} is not in the load balancer address pool {self.pool}"
            if requested in taken:
                return None, f"requested IP {requested} is already in use by another load balancer"
            return requested, ""
        if current and current[0] in self.pool and current[0] not in taken:
            return current[0], ""
        free = self.pool.first_free(taken)
        if free is None:
            return None, f"no available IPs in the load balancer address pool {self.pool}"
        return free, ""

    def _delete_load_balancer(self, svc: Obj) -> None:
        meta = svc["metadata"]
        self.recorder.record(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer", self.name)
        if ingress_ips(svc) and not meta.get("deletionTimestamp"):
            svc = self.api.update_status({**svc, "status": {**(svc.get("status") or {}), "loadBalancer": {}}})
        self.recorder.record(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer", self.name)
        try:
            self.api.remove_finalizer("services", meta["name"], meta.get("namespace", ""), FINALIZER)
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _failed(self, key: str, svc: Obj, message: str) -> float:
        self.recorder.record(svc, "Warning", "SyncLoadBalancerFailed", f"Error syncing load balancer: {message}",
                             self.name)
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        return min(MIN_RETRY * 2 ** failures, MAX_RETRY)

    def _retry_waiting(self) -> None:
        """An address may have come free: Services still waiting for one try again now, not at their back-off."""
        for key in self._failures:
            self.queue.add(key)

    def _forget(self, key: str) -> None:
        self._ensured.pop(key, None)
        self._failures.pop(key, None)
