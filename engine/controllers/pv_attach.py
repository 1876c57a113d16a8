"""The attach/detach controller's visible part: attachable volumes (CSI and cloud disks) are attached to the node of
the pod that uses them, and a ReadWriteOnce volume attached to one node cannot be attached to another
(`k/k pkg/controller/volume/attachdetach/reconciler/reconciler.go` reportMultiAttachError, and
`SuccessfulAttachVolume` from the operation generator).

Which node holds a volume is derived from the pods (the oldest scheduled, unfinished pod using the claim: see
`engine/kubelet/config_refs.py` attached_node), so the kubelet and this controller always agree; the second pod
waits in ContainerCreating until the first is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..kinds.persistentvolumeclaim import claims_of_pod
from ..kubelet.config_refs import ATTACHABLE_SOURCES, attached_node, claim_holders, needs_exclusive_attach
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .pv_util import PVCS, PVS

Obj = dict[str, Any]
COMPONENT = "attachdetach-controller"


@register_controller
class AttachDetachController(Controller):
    name = COMPONENT
    resources = ("pods",)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._reported: set[tuple[str, str, str]] = set()  # (pod uid, volume, event reason) already said

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        pod = event.object
        claims = claims_of_pod(pod)
        if not claims:
            return ()
        namespace = pod["metadata"].get("namespace", "")
        if event.type == "DELETED":
            uid = pod["metadata"].get("uid")
            self._reported = {r for r in self._reported if r[0] != uid}
        keys: set[str] = set()
        for name in claims:
            claim = self.store.get(PVCS, namespace, name)
            volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
            pv = self.store.get(PVS, "", volume_name) if volume_name else None
            if pv is None or not _attachable(pv):
                continue  # local and hostPath volumes (local-path's) are never attached: nothing to say
            if event.type != "DELETED":
                keys.add(podutil.key_of(pod))
            if needs_exclusive_attach(pv):
                # Another pod of the claim may now get the volume (its holder finished or went).
                keys.update(podutil.key_of(p) for p in claim_holders(self.store, namespace, name))
        return sorted(keys)

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("pods", namespace, name)

    def reconcile(self, key: str) -> float | None:
        pod = self.object_for_key(key)
        if pod is None or not (pod.get("spec") or {}).get("nodeName") or podutil.is_terminal(pod):
            return None
        namespace, node = pod["metadata"].get("namespace", ""), pod["spec"]["nodeName"]
        uid = pod["metadata"]["uid"]
        for claim_name in claims_of_pod(pod):
            claim = self.store.get(PVCS, namespace, claim_name)
            volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
            pv = self.store.get(PVS, "", volume_name) if volume_name else None
            if pv is None or not _attachable(pv):
                continue
            holder = attached_node(self.store, namespace, claim_name) if needs_exclusive_attach(pv) else node
            if holder is not None and holder != node:
                if (uid, volume_name, "FailedAttachVolume") not in self._reported:
                    self._reported.add((uid, volume_name, "FailedAttachVolume"))
                    others = [p["metadata"]["name"] for p in claim_holders(self.store, namespace, claim_name)
                              if p["spec"]["nodeName"] != node]
                    self.recorder.record(pod, "Warning", "FailedAttachVolume",
                                         f'Multi-Attach error for volume "{volume_name}" Volume is already used by '
                                         f"pod(s) {', '.join(others)}", COMPONENT)
                continue
            if (uid, volume_name, "SuccessfulAttachVolume") not in self._reported:
                self._reported.add((uid, volume_name, "SuccessfulAttachVolume"))
                self.recorder.record(pod, "Normal", "SuccessfulAttachVolume",
                                     f'AttachVolume.Attach succeeded for volume "{volume_name}" ', COMPONENT)
        return None


def _attachable(pv: Obj) -> bool:
    spec = pv.get("spec") or {}
    return any(spec.get(source) is not None for source in ATTACHABLE_SOURCES)
