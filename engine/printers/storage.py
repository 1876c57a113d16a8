"""`kubectl get pv,pvc,sc` and `kubectl describe` for PersistentVolumes, PersistentVolumeClaims and StorageClasses.

Rows follow printPersistentVolume, printPersistentVolumeClaim and printStorageClass in
`k/k pkg/printers/internalversion/printers.go` (the v1.36 server-side tables, with the VOLUMEATTRIBUTESCLASS
column); describe follows PersistentVolumeDescriber, PersistentVolumeClaimDescriber and StorageClassDescriber in
`staging/src/k8s.io/kubectl/pkg/describe/describe.go`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.printers.describe import (
    _annotations_multiline,
    _describe_events,
    _labels_multiline,
    _Writer,
    rfc1123z,
)
from engine.printers.duration import age

Obj = Mapping[str, Any]
NONE = "<none>"
UNSET = "<unset>"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"

PV_COLUMNS = ("NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
              "VOLUMEATTRIBUTESCLASS", "REASON", "AGE")
PV_WIDE_COLUMNS = (*PV_COLUMNS, "VOLUMEMODE")
PVC_COLUMNS = ("NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE")
PVC_WIDE_COLUMNS = (*PVC_COLUMNS, "VOLUMEMODE")
SC_COLUMNS = ("NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE")

# storageutil.GetAccessModesAsString checks the modes in this order, whatever order the object lists them in.
_MODE_ABBREVIATIONS = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                       ("ReadWriteOncePod", "RWOP"))


def access_modes_text(modes: Iterable[Any] | None) -> str:
    present = set(modes or ())
    return ",".join(short for mode, short in _MODE_ABBREVIATIONS if mode in present)


def is_default_class(sc: Obj) -> bool:
    """storageutil.IsDefaultAnnotation: the GA annotation, or the beta one, set to "true"."""
    annotations = (sc.get("metadata") or {}).get("annotations") or {}
    return "true" in (annotations.get(DEFAULT_CLASS_ANNOTATION), annotations.get(BETA_DEFAULT_CLASS_ANNOTATION))


def claim_class(claim: Obj) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation wins over spec.storageClassName."""
    annotations = (claim.get("metadata") or {}).get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return str(annotations["volume.beta.kubernetes.io/storage-class"])
    return str((claim.get("spec") or {}).get("storageClassName") or "")


def volume_class(pv: Obj) -> str:
    annotations = (pv.get("metadata") or {}).get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return str(annotations["volume.beta.kubernetes.io/storage-class"])
    return str((pv.get("spec") or {}).get("storageClassName") or "")


def _storage(resources: Any) -> str:
    return str((resources or {}).get("storage", "")) if isinstance(resources, Mapping) else ""


def _phase(obj: Obj) -> str:
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    return str((obj.get("status") or {}).get("phase") or "")


def _attributes_class(spec: Obj) -> str:
    name = spec.get("volumeAttributesClassName")
    return UNSET if name in (None, "") else str(name)


def pv_row(pv: Obj, now: float) -> list[str]:
    meta, spec, status = pv.get("metadata") or {}, pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    return [str(meta.get("name", "")), _storage(spec.get("capacity")), access_modes_text(spec.get("accessModes")),
            str(spec.get("persistentVolumeReclaimPolicy") or ""), _phase(pv), claim, volume_class(pv),
            _attributes_class(spec), str(status.get("reason") or ""), age(meta.get("creationTimestamp"), now)]


def pv_row_wide(pv: Obj, now: float) -> list[str]:
    mode = (pv.get("spec") or {}).get("volumeMode")
    return [*pv_row(pv, now), str(mode) if mode else UNSET]


def pvc_row(claim: Obj, now: float) -> list[str]:
    meta, spec, status = claim.get("metadata") or {}, claim.get("spec") or {}, claim.get("status") or {}
    capacity = modes = ""
    if spec.get("volumeName"):  # printers.go shows what the bound volume gave, not what was asked for
        modes = access_modes_text(status.get("accessModes"))
        capacity = _storage(status.get("capacity"))
    return [str(meta.get("name", "")), _phase(claim), str(spec.get("volumeName") or ""), capacity, modes,
            claim_class(claim), _attributes_class(spec), age(meta.get("creationTimestamp"), now)]


def pvc_row_wide(claim: Obj, now: float) -> list[str]:
    mode = (claim.get("spec") or {}).get("volumeMode")
    return [*pvc_row(claim, now), str(mode) if mode else UNSET]


def sc_row(sc: Obj, now: float) -> list[str]:
    meta = sc.get("metadata") or {}
    name = str(meta.get("name", "")) + (" (default)" if is_default_class(sc) else "")
    expansion = sc.get("allowVolumeExpansion")
    return [name, str(sc.get("provisioner") or ""), str(sc.get("reclaimPolicy") or "Delete"),
            str(sc.get("volumeBindingMode") or "Immediate"), "true" if expansion else "false",
            age(meta.get("creationTimestamp"), now)]


# =========================================================================== describe


def _finalizers(meta: Obj) -> str:
    return "[" + " ".join(str(f) for f in meta.get("finalizers") or ()) + "]"  # Go's %v of a []string


def _status_line(w: _Writer, obj: Obj, now: float) -> None:
    meta = obj.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {age(meta['deletionTimestamp'], now)})\n")
    else:
        w.write(0, f"Status:\t{(obj.get('status') or {}).get('phase', '')}\n")


def _node_affinity(w: _Writer, affinity: Any) -> None:
    """printVolumeNodeAffinity and printNodeSelectorTermsMultilineWithIndent."""
    w.write(0, "Node Affinity:\t")
    required = affinity.get("required") if isinstance(affinity, Mapping) else None
    if not isinstance(required, Mapping):
        w.write(0, f"{NONE}\n")
        return
    w.write(0, "\n")
    w.write(1, "Required Terms:\t")
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        w.write(0, f"{NONE}\n")
        return
    w.write(0, "\n")
    for i, term in enumerate(terms):
        w.write(2, f"Term {i}:\t")
        expressions = (term or {}).get("matchExpressions") or []
        if not expressions:
            w.write(0, f"{NONE}\n")
            continue
        for j, req in enumerate(expressions):
            if j:
                w.write(2, "\t")
            text = f"{req.get('key', '')} {str(req.get('operator', '')).lower()}"
            if req.get("values"):
                text += f" [{', '.join(str(x) for x in req['values'])}]"
            w.write(0, f"{text}\n")


def _source(w: _Writer, spec: Obj) -> None:
    """The volume source block, for the sources k9py's volumes use; others print their type name."""
    w.write(0, "Source:\n")
    if isinstance(spec.get("hostPath"), Mapping):
        host = spec["hostPath"]
        w.write(2, "Type:\tHostPath (bare host directory volume)\n")
        w.write(2, f"Path:\t{host.get('path', '')}\n")
        w.write(2, f"HostPathType:\t{host.get('type', '')}\n")
    elif isinstance(spec.get("local"), Mapping):
        w.write(2, "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n")
        w.write(2, f"Path:\t{spec['local'].get('path', '')}\n")
    elif isinstance(spec.get("nfs"), Mapping):
        nfs = spec["nfs"]
        w.write(2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n")
        w.write(2, f"Server:\t{nfs.get('server', '')}\n")
        w.write(2, f"Path:\t{nfs.get('path', '')}\n")
        w.write(2, f"ReadOnly:\t{'true' if nfs.get('readOnly') else 'false'}\n")
    elif isinstance(spec.get("csi"), Mapping):
        csi = spec["csi"]
        w.write(2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n")
        w.write(2, f"Driver:\t{csi.get('driver', '')}\n")
        w.write(2, f"FSType:\t{csi.get('fsType', '')}\n")
        w.write(2, f"VolumeHandle:\t{csi.get('volumeHandle', '')}\n")
        w.write(2, f"ReadOnly:\t{'true' if csi.get('readOnly') else 'false'}\n")
        # printCSIPersistentVolumeAttributesMultilineIndent writes every piece at LEVEL_2, hence the extra indent
        # before each key=value.
        attributes = csi.get("volumeAttributes") or {}
        w.write(2, "VolumeAttributes:\t")
        if not attributes:
            w.write(2, f"{NONE}\n")
        for i, key in enumerate(sorted(attributes)):
            if i:
                w.write(2, "")
                w.write(2, "\t")
            line = f"{key}={attributes[key]}"
            w.write(2, f"{line[:140]}...\n" if len(line) > 140 else f"{line}\n")
    # Any other type: kubectl prints nothing under Source for a type it has no printer for.


def describe_persistent_volume(pv: Obj, events: Sequence[Obj] | None, now: float) -> str:
    meta, spec, status = pv.get("metadata") or {}, pv.get("spec") or {}, pv.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_finalizers(meta)}\n")
    w.write(0, f"StorageClass:\t{volume_class(pv)}\n")
    _status_line(w, pv, now)
    ref = spec.get("claimRef") or {}
    w.write(0, f"Claim:\t{ref.get('namespace', '')}/{ref.get('name', '')}\n" if ref else "Claim:\t\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n")
    w.write(0, f"Access Modes:\t{access_modes_text(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{_storage(spec.get('capacity'))}\n")
    _node_affinity(w, spec.get("nodeAffinity"))
    w.write(0, f"Message:\t{status.get('message', '')}\n")
    _source(w, spec)
    if events is not None:
        _describe_events(w, events, now)
    return w.text()


def describe_persistent_volume_claim(claim: Obj, pods: Sequence[Obj], events: Sequence[Obj] | None,
                                     now: float) -> str:
    meta, spec, status = claim.get("metadata") or {}, claim.get("spec") or {}, claim.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"StorageClass:\t{claim_class(claim)}\n")
    _status_line(w, claim, now)
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_finalizers(meta)}\n")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes_text(status.get("accessModes"))
        capacity = _storage(status.get("capacity"))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, "Used By:\t")
    if not pods:
        w.write(0, f"{NONE}\n")
    for i, pod in enumerate(pods):
        if i:
            w.write(0, "\t")
        w.write(0, f"{(pod.get('metadata') or {}).get('name', '')}\n")
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t{rfc1123z(c.get('lastProbeTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    if events is not None:
        _describe_events(w, events, now)
    return w.text()


def _go_map_value(annotations: Mapping[str, Any]) -> str:
    """describe's printAnnotations for StorageClass: `k=v` pairs joined by commas (annotations are a flat
    map here, last-applied-configuration included)."""
    return ",".join(f"{k}={annotations[k]}" for k in sorted(annotations)) if annotations else NONE


def describe_storage_class(sc: Obj, events: Sequence[Obj] | None, now: float) -> str:
    meta = sc.get("metadata") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"IsDefaultClass:\t{'Yes' if is_default_class(sc) else 'No'}\n")
    w.write(0, f"Annotations:\t{_go_map_value(meta.get('annotations') or {})}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner', '')}\n")
    w.write(0, f"Parameters:\t{_go_map_value(sc.get('parameters') or {})}\n")
    expansion = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{UNSET if expansion is None else ('True' if expansion else 'False')}\n")
    options = sc.get("mountOptions") or []
    w.write(0, f"MountOptions:\t{NONE}\n" if not options else "MountOptions:\n")
    for option in options:
        w.write(1, f"{option}\n")
    if sc.get("reclaimPolicy"):
        w.write(0, f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n")
    if sc.get("volumeBindingMode"):
        w.write(0, f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n")
    topologies = sc.get("allowedTopologies") or []
    if topologies:
        w.write(0, "AllowedTopologies:\t\n")
        for i, term in enumerate(topologies):
            w.write(1, f"Term {i}:\t")
            for j, expr in enumerate((term or {}).get("matchLabelExpressions") or []):
                if j:
                    w.write(1, "\t")
                w.write(0, f"{expr.get('key', '')} in [{', '.join(str(x) for x in expr.get('values') or [])}]\n")
    if events is not None:
        _describe_events(w, events, now)
    return w.text()
