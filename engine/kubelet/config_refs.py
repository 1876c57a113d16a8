"""What a pod needs from ConfigMaps and Secrets before its containers can start, and the kubelet's words when it
is missing (`kubelet_pods.go` makeEnvironmentVariables, the configmap/secret/projected volume plugins).

A container whose environment names a missing ConfigMap or Secret (or key) fails to be created with
`CreateContainerConfigError`; a volume made from one cannot be mounted, and the pod waits in ContainerCreating.
`optional: true` references are skipped when missing, as in Kubernetes.
"""

from __future__ import annotations

from typing import Any

import attrs

Obj = dict[str, Any]
SOURCES = {"configMap": ("configmaps", "configmap", "ConfigMap"), "secret": ("secrets", "secret", "Secret")}


def _not_found(kind: str, name: Any) -> str:
    return f'{SOURCES[kind][1]} "{name}" not found'


def _lookup(store: Any, kind: str, namespace: str, name: Any) -> Obj | None:
    return store.get(SOURCES[kind][0], namespace, str(name))


def _keys(obj: Obj) -> set[str]:
    return {*(obj.get("data") or {}), *(obj.get("binaryData") or {})}


def env_error(store: Any, namespace: str, container: Obj) -> str | None:
    """The error building this container's environment runs into, or None. envFrom first, then env, in order."""
    for source in container.get("envFrom") or ():
        for field, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(field)
            if isinstance(ref, dict) and _lookup(store, kind, namespace, ref.get("name")) is None \
                    and not ref.get("optional"):
                return _not_found(kind, ref.get("name"))
    for env in container.get("env") or ():
        value_from = env.get("valueFrom") if isinstance(env, dict) else None
        if not isinstance(value_from, dict):
            continue
        for field, kind in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            ref = value_from.get(field)
            if not isinstance(ref, dict) or ref.get("optional"):
                continue
            obj = _lookup(store, kind, namespace, ref.get("name"))
            if obj is None:
                return _not_found(kind, ref.get("name"))
            if ref.get("key") not in _keys(obj):
                return f"couldn't find key {ref.get('key')} in {SOURCES[kind][2]} {namespace}/{ref.get('name')}"
    return None


def _source_error(store: Any, namespace: str, kind: str, source: Obj) -> str | None:
    name = source.get("name") if kind == "configMap" else source.get("secretName", source.get("name"))
    obj = _lookup(store, kind, namespace, name)
    if obj is None:
        return None if source.get("optional") else _not_found(kind, name)
    keys = _keys(obj)
    for item in source.get("items") or ():
        if isinstance(item, dict) and item.get("key") not in keys and not source.get("optional"):
            what = "configmap references non-existent config key" if kind == "configMap" \
                else "references non-existent secret key"
            return f"{what}: {item.get('key')}"
    return None


def volume_error(store: Any, namespace: str, volume: Obj) -> str | None:
    """Why MountVolume.SetUp fails for this volume right now, or None."""
    for kind in SOURCES:
        source = volume.get(kind)
        if isinstance(source, dict):
            return _source_error(store, namespace, kind, source)
    projected = volume.get("projected")
    if isinstance(projected, dict):
        problems = [problem for item in projected.get("sources") or () if isinstance(item, dict)
                    for kind in SOURCES if isinstance(item.get(kind), dict)
                    if (problem := _source_error(store, namespace, kind, item[kind])) is not None]
        if problems:
            return problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
    return None


def mounted_volumes(spec: Obj) -> list[Obj]:
    """The volumes some container mounts: the kubelet waits for these before it starts the pod."""
    used = {m.get("name") for key in ("initContainers", "containers") for c in spec.get(key) or ()
            for m in c.get("volumeMounts") or () if isinstance(m, dict)}
    return [v for v in spec.get("volumes") or () if isinstance(v, dict) and v.get("name") in used]


@attrs.frozen
class VolumeWait:
    """Why some of a pod's volumes are not mounted, split by who in the kubelet knows it (volumemanager):
    `setup`, the volume plugin's SetUp error (the reconciler's `FailedMount` events, retried with back-off);
    `unprocessed`, the desired-state populator's error for a claim it cannot follow to a volume;
    `unattached`, attachable volumes the attach/detach controller has not attached here (held by another node)."""

    setup: dict[str, str] = attrs.Factory(dict)
    unprocessed: dict[str, str] = attrs.Factory(dict)
    unattached: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.setup or self.unprocessed or self.unattached)

    def unable_message(self) -> str:
        """WaitForAttachAndMount's error when the populator failed (PopPodErrors), after the kubelet's
        `Unable to attach or mount volumes: ` (kubelet.go SyncPod): the lists sorted and printed as Go's %v
        prints a []string, the populator's errors sorted and joined with "; "."""
        unmounted = sorted({*self.setup, *self.unprocessed, *self.unattached})
        return (f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(unmounted)}], unattached "
                f"volumes=[{' '.join(sorted(self.unattached))}], failed to process "
                f"volumes=[{' '.join(sorted(self.unprocessed))}]: {'; '.join(sorted(set(self.unprocessed.values())))}")


def volume_wait(store: Any, namespace: str, spec: Obj) -> VolumeWait:
    """What keeps the volumes the pod waits for from being mounted on its node right now."""
    if not spec.get("volumes"):
        return NO_WAIT
    node = str(spec.get("nodeName") or "")
    setup: dict[str, str] = {}
    unprocessed: dict[str, str] = {}
    unattached: list[str] = []
    for volume in mounted_volumes(spec):
        name = str(volume.get("name"))
        if isinstance(volume.get("persistentVolumeClaim"), dict):
            error = claim_processing_error(store, namespace, volume)
            if error is not None:
                unprocessed[name] = error
            elif attached_elsewhere(store, namespace, node, volume):
                unattached.append(name)
        elif (error := volume_error(store, namespace, volume)) is not None:
            setup[name] = error
    return VolumeWait(setup, unprocessed, tuple(unattached)) if setup or unprocessed or unattached else NO_WAIT


NO_WAIT = VolumeWait()


# --- PersistentVolumeClaim volumes (storage; engine/controllers/pv_*.py bind them) ------------------------------

# Volume sources that are attached to a node before they are mounted (attachable plugins); hostPath, local and
# NFS volumes are mounted directly and never meet the attach/detach controller.
ATTACHABLE_SOURCES = ("csi", "awsElasticBlockStore", "gcePersistentDisk", "azureDisk", "cinder", "vsphereVolume",
                      "rbd", "iscsi", "fc", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")


def multi_attach_allowed(pv: Obj) -> bool:
    """util.IsMultiAttachAllowed: a volume offering ReadWriteMany or ReadOnlyMany (or no mode) may be attached to
    several nodes; a ReadWriteOnce / ReadWriteOncePod one to one node at a time."""
    modes = (pv.get("spec") or {}).get("accessModes") or ()
    return not modes or "ReadWriteMany" in modes or "ReadOnlyMany" in modes


def needs_exclusive_attach(pv: Obj) -> bool:
    spec = pv.get("spec") or {}
    return any(spec.get(source) is not None for source in ATTACHABLE_SOURCES) and not multi_attach_allowed(pv)


def _uses_claim(pod: Obj, claim_name: str) -> bool:
    return any(isinstance(v, dict) and (v.get("persistentVolumeClaim") or {}).get("claimName") == claim_name
               for v in (pod.get("spec") or {}).get("volumes") or ())


def claim_holders(store: Any, namespace: str, claim_name: str) -> list[Obj]:
    """The pods that hold a claim's volume attached: scheduled and not finished (a terminating pod keeps it until
    it is gone), oldest first — the attach/detach controller attached the volume for the first of them."""
    pods = [pod for pod in store.iter("pods", namespace)
            if (pod.get("spec") or {}).get("nodeName")
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and _uses_claim(pod, claim_name)]
    pods.sort(key=lambda pod: (pod["metadata"].get("creationTimestamp") or "", pod["metadata"]["name"]))
    return pods


def attached_node(store: Any, namespace: str, claim_name: str) -> str | None:
    holders = claim_holders(store, namespace, claim_name)
    return str(holders[0]["spec"]["nodeName"]) if holders else None


def claim_processing_error(store: Any, namespace: str, volume: Obj) -> str | None:
    """The desired-state populator's error for a claim volume (desired_state_of_world_populator.go
    createVolumeSpec, getPVCExtractPV, getPVSpec): the claim is missing, being deleted or unbound, or its volume is
    missing or bound elsewhere. None: the claim leads to its volume."""
    claim_name = str(volume["persistentVolumeClaim"].get("claimName") or "")
    prefix = f"error processing PVC {namespace}/{claim_name}: "
    claim = store.get("persistentvolumeclaims", namespace, claim_name)
    if claim is None:
        return f'{prefix}failed to fetch PVC from API server: persistentvolumeclaims "{claim_name}" not found'
    if claim["metadata"].get("deletionTimestamp"):
        return prefix + "PVC is being deleted"
    if (claim.get("status") or {}).get("phase") != "Bound":
        return prefix + "PVC is not bound"
    volume_name = (claim.get("spec") or {}).get("volumeName") or ""
    if not volume_name:
        return prefix + "PVC has empty pvc.Spec.VolumeName"
    pv = store.get("persistentvolumes", "", volume_name)
    if pv is None:
        return f'{prefix}failed to fetch PV {volume_name} from API server: persistentvolumes "{volume_name}" not found'
    claim_ref = (pv.get("spec") or {}).get("claimRef")
    if not isinstance(claim_ref, dict):
        return (f"{prefix}found PV object {volume_name} but it has a nil pv.Spec.ClaimRef indicating it is not yet "
                "bound to the claim")
    if claim_ref.get("uid") != claim["metadata"].get("uid"):
        return (f"{prefix}found PV object {volume_name} but its pv.Spec.ClaimRef.UID {claim_ref.get('uid', '')} "
                f"does not point to claim.UID {claim['metadata'].get('uid', '')}")
    return None


def attached_elsewhere(store: Any, namespace: str, node_name: str, volume: Obj) -> bool:
    """A claim's ReadWriteOnce attachable volume held by a pod on another node: the attach/detach controller
    will not attach it here (Multi-Attach), and the kubelet's VerifyControllerAttachedVolume keeps failing
    without an event of its own."""
    claim_name = str(volume["persistentVolumeClaim"].get("claimName") or "")
    claim = store.get("persistentvolumeclaims", namespace, claim_name) or {}
    pv = store.get("persistentvolumes", "", (claim.get("spec") or {}).get("volumeName") or "")
    if pv is None or not needs_exclusive_attach(pv):
        return False
    node = attached_node(store, namespace, claim_name)
    return node is not None and node != node_name
