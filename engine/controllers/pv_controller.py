"""The persistentvolume-controller: binds claims to volumes, asks provisioners for new ones and reclaims released
ones (`k/k pkg/controller/volume/persistentvolume/pv_controller.go` syncClaim / syncUnboundClaim / syncBoundClaim,
syncVolume, bind, reclaimVolume).

Any claim is handled the same way whoever made it (a manifest, a StatefulSet's volumeClaimTemplates): binding keys
only on the claim and the volumes. A WaitForFirstConsumer claim waits for the scheduler to name a node
(`volume.kubernetes.io/selected-node`) or to pre-bind a volume; the provisioner itself is `pv_provisioner.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..kinds.storageclass import default_class
from ..printers.storage import claim_class
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time
from .pv_util import (
    ANN_BETA_STORAGE_PROVISIONER,
    ANN_BIND_COMPLETED,
    ANN_BOUND_BY_CONTROLLER,
    ANN_PROVISIONED_BY,
    ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
    CLASSES,
    PVCS,
    PVS,
    ClaimAndVolumeKeys,
    annotations,
    claim_key,
    claim_ref,
    find_matching_volume,
    is_bound_to,
    is_delay_binding,
    simulated_provisioner,
)

Obj = dict[str, Any]
COMPONENT = "persistentvolume-controller"
WAIT_FOR_FIRST_CONSUMER_MESSAGE = "waiting for first consumer to be created before binding"
NO_CLASS_MESSAGE = "no persistent volumes available for this claim and no storage class is set"
EXTERNAL_PROVISIONING_MESSAGE = ("Waiting for a volume to be created either by the external provisioner '{}' or "
                                 "manually by the system administrator. If volume creation is delayed, please verify "
                                 "that the provisioner is running and correctly registered.")
# pv_controller's periodic resync (--pvclaimbinder-sync-period): a pending claim is looked at again this often, and
# each look repeats its event (WaitForFirstConsumer, FailedBinding, ExternalProvisioning), whose count grows.
RESYNC_PERIOD = 15.0


@register_controller
class PersistentVolumeController(ClaimAndVolumeKeys, Controller):
    name = COMPONENT
    resources = (PVCS, PVS, CLASSES)

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        if event.resource == PVCS:
            keys = [claim_key(obj)]
            name = (obj.get("spec") or {}).get("volumeName")
            if name:
                keys.append(f"volume:{name}")
            return keys
        if event.resource == PVS:
            keys = [f"volume:{obj['metadata']['name']}"]
            ref = (obj.get("spec") or {}).get("claimRef") or {}
            if ref.get("name"):
                keys.append(f"claim:{ref.get('namespace', '')}/{ref['name']}")
            elif event.type == "ADDED" or (event.type == "MODIFIED" and (event.old or {}).get("spec", {}).get(
                    "claimRef")):
                # A new or freed volume may be what a pending claim waits for.
                keys.extend(self._pending_claim_keys())
            return keys
        if event.resource == CLASSES:
            return self._pending_claim_keys()
        return ()

    def _pending_claim_keys(self) -> list[str]:
        return [claim_key(c) for c in self.store.iter(PVCS) if (c.get("status") or {}).get("phase") == "Pending"]

    def reconcile(self, key: str) -> float | None:
        obj = self.object_for_key(key)
        if obj is None:
            return None
        if key.startswith("claim:"):
            return self.sync_claim(obj)
        return self.sync_volume(obj)

    # --- claims --------------------------------------------------------------------------------------------

    def sync_claim(self, claim: Obj) -> float | None:
        if claim["metadata"].get("deletionTimestamp") and not (claim.get("spec") or {}).get("volumeName"):
            return None
        if self._retroactive_default_class(claim):
            return None
        if annotations(claim).get(ANN_BIND_COMPLETED) != "yes":
            return self._sync_unbound_claim(claim)
        self._sync_bound_claim(claim)
        return None

    def _retroactive_default_class(self, claim: Obj) -> bool:
        """RetroactiveDefaultStorageClass: a claim made before any default class existed gets today's default."""
        spec = claim.get("spec") or {}
        if spec.get("storageClassName") is not None or spec.get("volumeName") or claim_class(claim):
            return False
        chosen = default_class(self.store.iter(CLASSES))
        if chosen is None:
            return False
        new = deep_copy(claim)
        new["spec"]["storageClassName"] = chosen["metadata"]["name"]
        self.api.update(new)
        return True

    def _sync_unbound_claim(self, claim: Obj) -> float | None:
        spec = claim.get("spec") or {}
        class_name = claim_class(claim)
        delay = is_delay_binding(claim, store=self.store)
        if not spec.get("volumeName"):
            volume = find_matching_volume(claim, self.store.iter(PVS), None, delay)
            if volume is not None:
                self._bind(volume, claim)
                return None
            if delay and not annotations(claim).get(ANN_SELECTED_NODE):
                self.recorder.record(claim, "Normal", "WaitForFirstConsumer", WAIT_FOR_FIRST_CONSUMER_MESSAGE,
                                     COMPONENT)
            elif class_name:
                return self._provision(claim, class_name)
            else:
                self.recorder.record(claim, "Normal", "FailedBinding", NO_CLASS_MESSAGE, COMPONENT)
            self._set_claim_phase(claim, "Pending")
            # The periodic resync looks again (and says so again: the event's count grows, as on a real cluster).
            return RESYNC_PERIOD
        volume = self.store.get(PVS, "", spec["volumeName"])
        if volume is None:
            # The user named a volume that does not exist (yet): the claim waits for it.
            self._set_claim_phase(claim, "Pending")
            return None
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref or is_bound_to(volume, claim):
            self._bind(volume, claim)
            return None
        self._set_claim_phase(claim, "Pending")
        self.recorder.record(claim, "Warning", "FailedBinding",
                             f"volume \"{spec['volumeName']}\" already bound to a different claim.", COMPONENT)
        return None

    def _provision(self, claim: Obj, class_name: str) -> float | None:
        """provisionClaim for an external provisioner: name it on the claim and wait for the volume."""
        sc = self.store.get(CLASSES, "", class_name)
        if sc is None:
            self.recorder.record(claim, "Warning", "ProvisioningFailed",
                                 f'storageclass.storage.k8s.io "{class_name}" not found', COMPONENT)
            self._set_claim_phase(claim, "Pending")
            return RESYNC_PERIOD
        provisioner = str(sc.get("provisioner") or "")
        if simulated_provisioner(sc) is None:
            # kubernetes.io/no-provisioner: only a volume an administrator makes can satisfy the claim.
            self.recorder.record(claim, "Normal", "FailedBinding",
                                 f"no volume plugin matched name: {provisioner}", COMPONENT)
            self._set_claim_phase(claim, "Pending")
            return None
        ann = annotations(claim)
        if ann.get(ANN_STORAGE_PROVISIONER) != provisioner or ann.get(ANN_BETA_STORAGE_PROVISIONER) != provisioner:
            new = deep_copy(claim)
            new_ann = new["metadata"].setdefault("annotations", {})
            new_ann[ANN_BETA_STORAGE_PROVISIONER] = provisioner
            new_ann[ANN_STORAGE_PROVISIONER] = provisioner
            claim = self.api.update(new)
        self.recorder.record(claim, "Normal", "ExternalProvisioning",
                             EXTERNAL_PROVISIONING_MESSAGE.format(provisioner), COMPONENT)
        self._set_claim_phase(claim, "Pending")
        return RESYNC_PERIOD

    def _sync_bound_claim(self, claim: Obj) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if not name:
            self._lose(claim, "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is "
                                           "lost!")
            return
        volume = self.store.get(PVS, "", name)
        if volume is None:
            self._lose(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
            return
        if not (volume.get("spec") or {}).get("claimRef"):
            # The volume forgot its claim (e.g. an administrator cleared claimRef): bind it again.
            self._bind(volume, claim)
            return
        if is_bound_to(volume, claim):
            self._set_claim_bound(claim, volume)
            return
        self._lose(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")

    def _lose(self, claim: Obj, reason: str, message: str) -> None:
        if (claim.get("status") or {}).get("phase") != "Lost":
            self.recorder.record(claim, "Warning", reason, message, COMPONENT)
            self._set_claim_phase(claim, "Lost")

    def _set_claim_phase(self, claim: Obj, phase: str) -> Obj:
        status = claim.get("status") or {}
        if status.get("phase") == phase:
            return claim
        new_status = deep_copy(status)
        new_status["phase"] = phase
        if phase == "Pending":
            new_status.pop("capacity", None)
            new_status.pop("accessModes", None)
        return self.api.update_status({**claim, "status": new_status})

    def _set_claim_bound(self, claim: Obj, volume: Obj) -> Obj:
        status = deep_copy(claim.get("status") or {})
        new_status = {**status, "phase": "Bound", "accessModes": list((volume.get("spec") or {}).get("accessModes")
                                                                     or [])}
        if "capacity" not in status:
            # Once bound, capacity changes only through expansion (pv_provisioner's resizer).
            new_status["capacity"] = dict((volume.get("spec") or {}).get("capacity") or {})
        if new_status == status:
            return claim
        return self.api.update_status({**claim, "status": new_status})

    # --- binding -------------------------------------------------------------------------------------------

    def _bind(self, volume: Obj, claim: Obj) -> None:
        """bind: the volume names the claim, goes Bound; the claim names the volume, goes Bound."""
        volume = self.store.get(PVS, "", volume["metadata"]["name"]) or volume
        if not is_bound_to(volume, claim) or not (volume["spec"].get("claimRef") or {}).get("uid"):
            new = deep_copy(volume)
            new["spec"]["claimRef"] = claim_ref(claim)
            new["metadata"].setdefault("annotations", {})[ANN_BOUND_BY_CONTROLLER] = "yes"
            volume = self.api.update(new)
        volume = self._set_volume_phase(volume, "Bound")
        spec = claim.get("spec") or {}
        ann = annotations(claim)
        if spec.get("volumeName") != volume["metadata"]["name"] or ann.get(ANN_BIND_COMPLETED) != "yes":
            new_claim = deep_copy(claim)
            new_claim["spec"]["volumeName"] = volume["metadata"]["name"]
            new_ann = new_claim["metadata"].setdefault("annotations", {})
            new_ann[ANN_BIND_COMPLETED] = "yes"
            if not spec.get("volumeName"):
                new_ann[ANN_BOUND_BY_CONTROLLER] = "yes"
            claim = self.api.update(new_claim)
        self._set_claim_bound(claim, volume)

    # --- volumes -------------------------------------------------------------------------------------------

    def _set_volume_phase(self, volume: Obj, phase: str, message: str = "") -> Obj:
        status = volume.get("status") or {}
        if status.get("phase") == phase and status.get("message", "") == message:
            return volume
        new_status = {k: val for k, val in status.items() if k not in ("message", "reason")}
        new_status["phase"] = phase
        if message:
            new_status["message"] = message
        if status.get("phase") != phase:
            new_status["lastPhaseTransitionTime"] = format_time(self.clock.now())
        return self.api.update_status({**volume, "status": new_status})

    def sync_volume(self, volume: Obj) -> float | None:
        spec = volume.get("spec") or {}
        ref = spec.get("claimRef")
        if not ref:
            if (volume.get("status") or {}).get("phase") not in ("Available",):
                self._set_volume_phase(volume, "Available")
            return None
        if not ref.get("uid"):
            # Pre-bound by its creator to a claim that may not exist yet: available to that claim only.
            if (volume.get("status") or {}).get("phase") not in ("Available",):
                self._set_volume_phase(volume, "Available")
            claim = self.store.get(PVCS, ref.get("namespace", ""), ref.get("name", ""))
            if claim is not None:
                self.queue.add(claim_key(claim))
            return None
        claim = self.store.get(PVCS, ref.get("namespace", ""), ref.get("name", ""))
        if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
            claim = None  # a new claim of the same name is not the one the volume was bound to
        if claim is None:
            return self._release(volume)
        claim_volume = (claim.get("spec") or {}).get("volumeName")
        if not claim_volume:
            # Pre-bound (by the scheduler or the provisioner) and the claim not yet updated: the claim's sync binds.
            self.queue.add(claim_key(claim))
            return None
        if claim_volume == volume["metadata"]["name"]:
            self._set_volume_phase(volume, "Bound")
            return None
        # The claim went to another volume: a volume the controller bound is freed; a user's pre-binding stays.
        if annotations(volume).get(ANN_BOUND_BY_CONTROLLER) == "yes":
            new = deep_copy(volume)
            del new["spec"]["claimRef"]
            new["metadata"]["annotations"].pop(ANN_BOUND_BY_CONTROLLER, None)
            volume = self.api.update(new)
            self._set_volume_phase(volume, "Available")
        return None

    def _release(self, volume: Obj) -> float | None:
        """The claim is gone: Released, then the reclaim policy (reclaimVolume)."""
        phase = (volume.get("status") or {}).get("phase")
        if phase == "Failed":
            return None
        if phase != "Released":
            volume = self._set_volume_phase(volume, "Released")
        policy = (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return None
        if policy == "Recycle":
            # The recycler scrubs the volume (`rm -rf` in a pod) and frees it for a new claim.
            new = deep_copy(volume)
            del new["spec"]["claimRef"]
            volume = self.api.update(new)
            self.recorder.record(volume, "Normal", "RecyclerPod", "Recycler pod: Successfully assigned "
                                 f"default/recycler-for-{volume['metadata']['name']}", COMPONENT)
            self._set_volume_phase(volume, "Available")
            return None
        if annotations(volume).get(ANN_PROVISIONED_BY):
            return None  # the provisioner that made it deletes it (pv_provisioner.py)
        host_path = str(((volume.get("spec") or {}).get("hostPath") or {}).get("path") or "")
        if host_path and re.fullmatch(r"/tmp/.+", host_path):
            # The in-tree hostPath deleter removes directories under /tmp (and only there).
            self.api.delete(PVS, volume["metadata"]["name"])
            return None
        if host_path:
            message = f"host_path deleter only supports /tmp/.+ but received provided {host_path}"
        else:
            message = (f'error getting deleter volume plugin for volume "{volume["metadata"]["name"]}": '
                       "no deletable volume plugin matched")
        self.recorder.record(volume, "Warning", "VolumeFailedDelete", message, COMPONENT)
        self._set_volume_phase(volume, "Failed", message)
        return None


