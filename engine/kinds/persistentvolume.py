"""PersistentVolume (v1): a piece of storage, made by an administrator or by a provisioner for a claim.

Defaults follow `k/k pkg/apis/core/v1/defaults.go` SetDefaults_PersistentVolume (reclaim policy Retain,
volumeMode Filesystem, phase Pending); validation follows `pkg/apis/core/validation/validation.go`
ValidatePersistentVolume / ValidatePersistentVolumeUpdate. The StorageObjectInUseProtection admission plugin
(`plugin/pkg/admission/storage/storageobjectinuseprotection`) adds the `kubernetes.io/pv-protection` finalizer.
"""

from __future__ import annotations

from typing import Any

from ..printers.storage import (
    PV_COLUMNS,
    PV_WIDE_COLUMNS,
    describe_persistent_volume,
    pv_row,
    pv_row_wide,
)
from ..quantity import canonical_quantity, parse_quantity
from ..timeutil import format_time
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj

PV_PROTECTION = "kubernetes.io/pv-protection"
ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
VOLUME_MODES = ["Block", "Filesystem"]
# The PersistentVolumeSource fields, in the order ValidatePersistentVolumeSpec checks them (the second one found is
# the one reported as "may not specify more than 1 volume type").
SOURCES = ("gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte",
           "cinder", "cephfs", "iscsi", "fc", "flocker", "azureFile", "vsphereVolume", "azureDisk",
           "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi")


def _default(pv: Obj) -> None:
    spec = pv.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    host = spec.get("hostPath")
    if isinstance(host, dict):
        host.setdefault("type", "")  # SetDefaults_HostPathVolumeSource
    capacity = spec.get("capacity")
    if isinstance(capacity, dict):
        for key, value in capacity.items():
            try:
                capacity[key] = canonical_quantity(value)
            except ValueError:
                continue
    status = pv.get("status")
    if not isinstance(status, dict):
        status = pv["status"] = {}
    status.setdefault("phase", "Pending")


def validate_access_modes(path: str, modes: Any, required_detail: str = "") -> FieldErrors:
    """The access-mode rules shared with claims (ValidatePersistentVolumeSpec / ValidatePersistentVolumeClaimSpec)."""
    if not modes:
        return [v.required(path, required_detail)]
    if not isinstance(modes, list):
        return [v.type_error(path, modes, "array")]
    errors: FieldErrors = [v.unsupported(path, mode, ACCESS_MODES) for mode in modes if mode not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errors.append(v.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errors


def _validate_node_affinity(path: str, affinity: Any) -> FieldErrors:
    if affinity is None:
        return []
    if not isinstance(affinity, dict):
        return [v.type_error(path, affinity, "object")]
    required = affinity.get("required")
    if required is None:
        return []
    terms = (required or {}).get("nodeSelectorTerms") if isinstance(required, dict) else None
    if not terms:
        return [v.required(f"{path}.required.nodeSelectorTerms", "must have at least one node selector term")]
    errors: FieldErrors = []
    for i, term in enumerate(terms):
        for j, expr in enumerate((term or {}).get("matchExpressions") or []):
            p = f"{path}.required.nodeSelectorTerms[{i}].matchExpressions[{j}]"
            op = expr.get("operator")
            if op in ("In", "NotIn") and not expr.get("values"):
                errors.append(v.required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
            elif op not in ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"):
                errors.append(v.unsupported(f"{p}.operator", op,
                                            ["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"]))
            errors.extend(v.qualified_name(f"{p}.key", expr.get("key", "")))
    return errors


def _validate_capacity(capacity: Any) -> FieldErrors:
    if not capacity:
        return [v.required("spec.capacity"), ("spec.capacity", 'Unsupported value: null: supported values: "storage"')]
    if not isinstance(capacity, dict):
        return [v.type_error("spec.capacity", capacity, "object")]
    errors: FieldErrors = []
    if "storage" not in capacity or len(capacity) > 1:
        shown = "map[" + " ".join(f"{k}:{capacity[k]}" for k in sorted(capacity)) + "]"
        errors.append(("spec.capacity", f'Unsupported value: {shown}: supported values: "storage"'))
    for key, value in capacity.items():
        try:
            if parse_quantity(value) <= 0:
                errors.append(v.invalid(f"spec.capacity[{key}]", str(value), "must be greater than zero"))
        except ValueError:
            errors.append(v.invalid(f"spec.capacity[{key}]", value,
                                    "quantities must match the regular expression "
                                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
    return errors


def _validate_source(spec: Obj) -> FieldErrors:
    present = [name for name in SOURCES if spec.get(name) is not None]
    if not present:
        return [v.required("spec", "must specify a volume type")]
    errors: FieldErrors = [v.forbidden(f"spec.{name}", "may not specify more than 1 volume type")
                           for name in present[1:]]
    host = spec.get("hostPath")
    if isinstance(host, dict):
        if not host.get("path"):
            errors.append(v.required("spec.hostPath.path"))
        kinds = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate",
                 "Socket"]
        if host.get("type") not in kinds:
            errors.append(v.unsupported("spec.hostPath.type", host.get("type"), kinds))
    local = spec.get("local")
    if isinstance(local, dict):
        if not local.get("path"):
            errors.append(v.required("spec.local.path"))
        if not (spec.get("nodeAffinity") or {}).get("required"):
            errors.append(v.required("spec.nodeAffinity", "Local volume requires node affinity"))
    nfs = spec.get("nfs")
    if isinstance(nfs, dict):
        if not nfs.get("server"):
            errors.append(v.required("spec.nfs.server"))
        if not nfs.get("path"):
            errors.append(v.required("spec.nfs.path"))
    csi = spec.get("csi")
    if isinstance(csi, dict):
        if not csi.get("driver"):
            errors.append(v.required("spec.csi.driver"))
        else:
            # ValidateCSIDriverName: a DNS subdomain of at most 63 characters.
            errors.extend(v.dns1123_subdomain("spec.csi.driver", csi["driver"]))
        if not csi.get("volumeHandle"):
            errors.append(v.required("spec.csi.volumeHandle"))
    return errors


def _validate(pv: Obj, old: Obj | None) -> FieldErrors:
    spec = pv.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec")] if spec is None else [v.type_error("spec", spec, "object")]
    errors = validate_access_modes("spec.accessModes", spec.get("accessModes"))
    errors.extend(_validate_capacity(spec.get("capacity")))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy not in RECLAIM_POLICIES:
        errors.append(v.unsupported("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))
    if spec.get("storageClassName"):
        errors.extend(v.dns1123_subdomain("spec.storageClassName", spec["storageClassName"]))
    if spec.get("volumeMode") not in VOLUME_MODES:
        errors.append(v.unsupported("spec.volumeMode", spec.get("volumeMode"), VOLUME_MODES))
    errors.extend(_validate_source(spec))
    errors.extend(_validate_node_affinity("spec.nodeAffinity", spec.get("nodeAffinity")))
    if old is not None:
        old_spec = old.get("spec") or {}
        # ValidatePersistentVolumeUpdate: the source, the mode and a set node affinity are fixed at creation.
        if any(spec.get(name) != old_spec.get(name) for name in SOURCES):
            errors.append(v.forbidden("spec.persistentvolumesource",
                                      "spec.persistentvolumesource is immutable after creation"))
        errors.extend(v.immutable("spec.volumeMode", spec.get("volumeMode"), old_spec.get("volumeMode")))
        if old_spec.get("nodeAffinity") and spec.get("nodeAffinity") != old_spec.get("nodeAffinity"):
            errors.append(v.forbidden("spec.nodeAffinity", "field is immutable"))
    return errors


def _allocate(api: Any, pv: Obj, old: Obj | None) -> FieldErrors:
    """PrepareForCreate (the phase's transition time) and the StorageObjectInUseProtection admission plugin."""
    if old is None:
        status = pv.setdefault("status", {})
        status["phase"] = "Pending"
        status["lastPhaseTransitionTime"] = format_time(api.clock.now())
        finalizers = pv["metadata"].setdefault("finalizers", [])
        if PV_PROTECTION not in finalizers:
            finalizers.append(PV_PROTECTION)
    return []


def _describe(pv: Obj, ctx: DescribeContext) -> str:
    return describe_persistent_volume(pv, ctx.events(pv), ctx.now())


def _health(pv: Obj) -> Health:
    """gitops-engine has no PersistentVolume check; a Failed volume (its recycle or delete failed) needs a
    person, so the dashboard colours it as Degraded."""
    status = pv.get("status") or {}
    if status.get("phase") == "Failed":
        return Health("Degraded", str(status.get("message") or ""))
    return Health("Healthy")


def _problems(pv: Obj) -> list[tuple[str, str]]:
    status = pv.get("status") or {}
    if status.get("phase") == "Failed":
        return [("VolumeFailed", str(status.get("message") or "the volume failed"))]
    return []


PERSISTENTVOLUME = REGISTRY.register(KindInfo(
    kind="PersistentVolume", group="", version="v1", plural="persistentvolumes", namespaced=False,
    short_names=("pv",), default=_default, validate=_validate, allocate=_allocate,
    columns=PV_COLUMNS, row=pv_row, wide_columns=PV_WIDE_COLUMNS, wide_row=pv_row_wide,
    describe=_describe, health=_health, problems=_problems,
))
