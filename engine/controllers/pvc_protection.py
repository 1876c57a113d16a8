"""The pvc-protection and pv-protection controllers: a claim in use by a pod, and a volume bound to a claim,
stay Terminating until nothing uses them (`k/k pkg/controller/volume/pvcprotection/pvc_protection_controller.go`
processPVC / podUsesPVC, `pkg/controller/volume/pvprotection/pv_protection_controller.go` processPV / isBeingUsed).

The `kubernetes.io/pvc-protection` and `kubernetes.io/pv-protection` finalizers are added on create by the
StorageObjectInUseProtection admission plugin (the kinds' `allocate`); these controllers only take them off.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..kinds.persistentvolume import PV_PROTECTION
from ..kinds.persistentvolumeclaim import PVC_PROTECTION, claims_of_pod
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .pv_util import PVCS, PVS

Obj = dict[str, Any]


def pods_using_claim(store: Any, namespace: str, name: str) -> list[Obj]:
    """podUsesPVC: scheduled pods that have not finished and name the claim (a pod not yet on a node cannot be
    started by a kubelet while the claim is being deleted, so it does not hold the claim)."""
    return [pod for pod in store.iter("pods", namespace)
            if (pod.get("spec") or {}).get("nodeName") and not podutil.is_terminal(pod)
            and name in claims_of_pod(pod)]


@register_controller
class PVCProtectionController(Controller):
    name = "pvc-protection-controller"
    resources = (PVCS, "pods")

    def start(self) -> None:
        for claim in self.store.iter(PVCS):
            if claim["metadata"].get("deletionTimestamp"):
                self.queue.add(podutil.key_of(claim))

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        if event.resource == PVCS:
            return (podutil.key_of(obj),) if obj["metadata"].get("deletionTimestamp") else ()
        # A pod that finishes or goes may free the claims it used.
        pod = event.old if event.type == "DELETED" and event.old is not None else obj
        if event.type != "DELETED" and not podutil.is_terminal(obj) and not obj["metadata"].get("deletionTimestamp"):
            return ()
        namespace = pod["metadata"].get("namespace", "")
        return [f"{namespace}/{name}" for name in claims_of_pod(pod)]

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get(PVCS, namespace, name)

    def reconcile(self, key: str) -> float | None:
        claim = self.object_for_key(key)
        if claim is None or not claim["metadata"].get("deletionTimestamp"):
            return None
        if PVC_PROTECTION not in (claim["metadata"].get("finalizers") or ()):
            return None
        namespace, name = podutil.split_key(key)
        if pods_using_claim(self.store, namespace, name):
            return None
        try:
            self.api.remove_finalizer(PVCS, name, namespace, PVC_PROTECTION)
        except ApiError as exc:
            if exc.code != 404:
                raise
        return None


@register_controller
class PVProtectionController(Controller):
    name = "pv-protection-controller"
    resources = (PVS,)

    def start(self) -> None:
        for pv in self.store.iter(PVS):
            if pv["metadata"].get("deletionTimestamp"):
                self.queue.add(pv["metadata"]["name"])

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        meta = event.object["metadata"]
        return (meta["name"],) if event.type != "DELETED" and meta.get("deletionTimestamp") else ()

    def object_for_key(self, key: str) -> Obj | None:
        return self.store.get(PVS, "", key)

    def reconcile(self, key: str) -> float | None:
        pv = self.object_for_key(key)
        if pv is None or not pv["metadata"].get("deletionTimestamp"):
            return None
        # isBeingUsed: a Bound volume is in use; once its claim is gone it is Released and may go.
        if PV_PROTECTION not in (pv["metadata"].get("finalizers") or ()) or \
                (pv.get("status") or {}).get("phase") == "Bound":
            return None
        try:
            self.api.remove_finalizer(PVS, key, None, PV_PROTECTION)
        except ApiError as exc:
            if exc.code != 404:
                raise
        return None
