"""The simulated storage provisioner and resizer: what kubernetes-csi's external-provisioner (with kind's
rancher.io/local-path provisioner behind it) and external-resizer do for a class's claims.

A claim the pv-controller has handed to a provisioner (`volume.kubernetes.io/storage-provisioner`; for a
WaitForFirstConsumer class only once the scheduler named a node) gets a volume `pvc-<claim uid>` after
`PROVISION_SECONDS`, pre-bound to the claim (the pv-controller completes the binding). Events follow
external-provisioner's controller.go (`Provisioning`, `ProvisioningSucceeded`); a local-path volume is a hostPath
directory pinned to the chosen node, as local-path-provisioner makes it, any other provisioner's is a CSI volume.
Released volumes it made with reclaim policy Delete are deleted. Growing a bound claim of a class that allows
expansion resizes the volume (external-resizer's `Resizing` / `VolumeResizeSuccessful`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..printers.storage import claim_class
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time
from .pv_util import (
    ANN_PROVISIONED_BY,
    ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
    CLASSES,
    HOSTNAME_LABEL,
    PVCS,
    PVS,
    ClaimAndVolumeKeys,
    annotations,
    claim_key,
    claim_ref,
    is_delay_binding,
    quantity,
    simulated_provisioner,
    storage_of,
)

Obj = dict[str, Any]
LOCAL_PATH = "rancher.io/local-path"
LOCAL_PATH_DIR = "/var/local-path-provisioner"
# local-path-provisioner runs a helper pod to make the directory: a couple of seconds on kind.
PROVISION_SECONDS = 2.0
RESIZE_SECONDS = 1.0


def csi_driver_name(provisioner: str) -> str:
    """A CSI driver's name must be a lowercase DNS subdomain (a CSI provisioner is named after its driver); a
    class's free-form provisioner name (`example.com/fast`) is folded into one for the simulated volume."""
    name = re.sub(r"[^a-z0-9.-]+", "-", provisioner.lower()).strip("-.")
    return name[:63] or "k9py.csi"


def _identity(provisioner: str) -> str:
    """The event source external-provisioner uses: `<provisioner>_<host>_<uuid>` (k9py's host is fixed)."""
    return f"{provisioner}_k9py-provisioner"


@register_controller
class SimulatedProvisioner(ClaimAndVolumeKeys, Controller):
    name = "external-provisioner"
    resources = (PVCS, PVS)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._started: dict[str, float] = {}  # claim uid -> when provisioning began
        self._resizing: dict[str, float] = {}  # claim uid -> when resizing began

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        if event.resource == PVCS:
            return () if event.type == "DELETED" else (claim_key(obj),)
        return () if event.type == "DELETED" else (f"volume:{obj['metadata']['name']}",)

    def reconcile(self, key: str) -> float | None:
        obj = self.object_for_key(key)
        if obj is None:
            return None
        if key.startswith("volume:"):
            return self._maybe_delete(obj)
        if (obj.get("spec") or {}).get("volumeName"):
            return self._maybe_resize(obj)
        return self._maybe_provision(obj)

    # --- provisioning --------------------------------------------------------------------------------------

    def _maybe_provision(self, claim: Obj) -> float | None:
        meta = claim["metadata"]
        provisioner = annotations(claim).get(ANN_STORAGE_PROVISIONER)
        if meta.get("deletionTimestamp") or not provisioner:
            return None
        sc = self.store.get(CLASSES, "", claim_class(claim))
        if simulated_provisioner(sc) != provisioner:
            return None
        node_name = annotations(claim).get(ANN_SELECTED_NODE)
        if is_delay_binding(claim, store=self.store) and not node_name:
            return None
        uid = meta["uid"]
        name = f"pvc-{uid}"
        if self.store.get(PVS, "", name) is not None:
            self._started.pop(uid, None)
            return None
        now = self.clock.now()
        began = self._started.get(uid)
        if began is None:
            self._started[uid] = now
            self.recorder.record(claim, "Normal", "Provisioning", f'External provisioner is provisioning volume for '
                                 f'claim "{meta.get("namespace", "")}/{meta["name"]}"', _identity(provisioner))
            return PROVISION_SECONDS
        if now < began + PROVISION_SECONDS:
            return began + PROVISION_SECONDS - now
        assert sc is not None
        volume = self._volume(claim, sc, name, node_name)
        try:
            self.api.create(volume)
        except ApiError as exc:
            if exc.code != 409:
                raise
        self._started.pop(uid, None)
        self.recorder.record(claim, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {name}",
                             _identity(provisioner))
        return None

    def _volume(self, claim: Obj, sc: Obj, name: str, node_name: str | None) -> Obj:
        meta, spec = claim["metadata"], claim.get("spec") or {}
        provisioner = str(sc.get("provisioner"))
        volume_annotations = {ANN_PROVISIONED_BY: provisioner}
        pv_spec: Obj = {
            "accessModes": list(spec.get("accessModes") or []),
            "capacity": {"storage": storage_of((spec.get("resources") or {}).get("requests"))},
            "claimRef": claim_ref(claim),
            "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
            "storageClassName": claim_class(claim),
            "volumeMode": spec.get("volumeMode") or "Filesystem",
        }
        if sc.get("mountOptions"):
            pv_spec["mountOptions"] = list(sc["mountOptions"])
        if provisioner == LOCAL_PATH:
            # local-path-provisioner: a directory on the node the scheduler chose, so the volume pins the pod there.
            node = node_name or self._any_node()
            pv_spec["hostPath"] = {"path": f"{LOCAL_PATH_DIR}/{name}_{meta.get('namespace', '')}_{meta['name']}",
                                   "type": "DirectoryOrCreate"}
            pv_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": HOSTNAME_LABEL, "operator": "In", "values": [node]}]}]}}
            volume_annotations["local.path.provisioner/selected-node"] = node
        else:
            pv_spec["csi"] = {"driver": csi_driver_name(provisioner), "volumeHandle": name, "fsType": "ext4",
                              "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "k9py"}}
        return {"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": name, "annotations": volume_annotations}, "spec": pv_spec}

    def _any_node(self) -> str:
        """An Immediate local-path class has no chosen node: the provisioner picks one (the first Ready by name)."""
        names = sorted(n["metadata"]["name"] for n in self.store.iter("nodes"))
        return names[0] if names else ""

    # --- deletion ------------------------------------------------------------------------------------------

    def _maybe_delete(self, volume: Obj) -> float | None:
        spec, status = volume.get("spec") or {}, volume.get("status") or {}
        provisioner = annotations(volume).get(ANN_PROVISIONED_BY)
        if (status.get("phase") != "Released" or spec.get("persistentVolumeReclaimPolicy") != "Delete"
                or not provisioner or volume["metadata"].get("deletionTimestamp")):
            return None
        try:
            self.api.delete(PVS, volume["metadata"]["name"])
        except ApiError as exc:
            if exc.code != 404:
                raise
        return None

    # --- expansion -----------------------------------------------------------------------------------------

    def _maybe_resize(self, claim: Obj) -> float | None:
        status = claim.get("status") or {}
        if status.get("phase") != "Bound":
            return None
        wanted_text = storage_of(((claim.get("spec") or {}).get("resources") or {}).get("requests"))
        wanted, current = quantity(wanted_text), quantity(storage_of(status.get("capacity")))
        uid = claim["metadata"]["uid"]
        if not wanted or wanted <= current:
            self._resizing.pop(uid, None)
            return None
        sc = self.store.get(CLASSES, "", claim_class(claim))
        volume = self.store.get(PVS, "", claim["spec"]["volumeName"])
        if sc is None or not sc.get("allowVolumeExpansion") or volume is None:
            return None
        provisioner = str(sc.get("provisioner") or "")
        component = f"external-resizer {provisioner}"
        now = self.clock.now()
        began = self._resizing.get(uid)
        if began is None:
            self._resizing[uid] = now
            self.recorder.record(claim, "Normal", "Resizing",
                                 f"External resizer is resizing volume {volume['metadata']['name']}", component)
            new_status = deep_copy(status)
            new_status["allocatedResources"] = {"storage": wanted_text}
            new_status["allocatedResourceStatuses"] = {"storage": "ControllerResizeInProgress"}
            new_status["conditions"] = [*[c for c in status.get("conditions") or () if c.get("type") != "Resizing"],
                                        {"type": "Resizing", "status": "True", "lastProbeTime": None,
                                         "lastTransitionTime": format_time(now)}]
            self.api.update_status({**claim, "status": new_status})
            return RESIZE_SECONDS
        if now < began + RESIZE_SECONDS:
            return began + RESIZE_SECONDS - now
        new_volume = deep_copy(volume)
        new_volume["spec"]["capacity"] = {**(new_volume["spec"].get("capacity") or {}), "storage": wanted_text}
        self.api.update(new_volume)
        claim = self.store.get(PVCS, claim["metadata"]["namespace"], claim["metadata"]["name"]) or claim
        new_status = deep_copy(claim.get("status") or {})
        new_status["capacity"] = {**(new_status.get("capacity") or {}), "storage": wanted_text}
        new_status["allocatedResources"] = {"storage": wanted_text}
        new_status.pop("allocatedResourceStatuses", None)
        conditions = [c for c in new_status.get("conditions") or () if c.get("type") != "Resizing"]
        if conditions:
            new_status["conditions"] = conditions
        else:
            new_status.pop("conditions", None)
        self.api.update_status({**claim, "status": new_status})
        self._resizing.pop(uid, None)
        self.recorder.record(claim, "Normal", "VolumeResizeSuccessful", "Resize volume succeeded", component)
        return None

