"""PersistentVolumeClaim (v1): a request for storage that the pv-controller binds to a volume.

Defaults follow `k/k pkg/apis/core/v1/defaults.go` SetDefaults_PersistentVolumeClaim (volumeMode Filesystem,
phase Pending); validation follows `pkg/apis/core/validation/validation.go` ValidatePersistentVolumeClaim /
ValidatePersistentVolumeClaimUpdate. Admission: DefaultStorageClass (`plugin/pkg/admission/storage/
storageclass/setdefault`) names the default class on a claim that names none, StorageObjectInUseProtection adds
`kubernetes.io/pvc-protection`, and PersistentVolumeClaimResize (`plugin/pkg/admission/storage/
persistentvolume/resize`) lets a claim grow only when its class allows expansion.
"""

from __future__ import annotations

from typing import Any

from .. import errors as api_errors
from ..printers.storage import (
    PVC_COLUMNS,
    PVC_WIDE_COLUMNS,
    claim_class,
    describe_persistent_volume_claim,
    pvc_row,
    pvc_row_wide,
)
from ..quantity import parse_quantity
from ..resources import canonicalize_resource_list
from . import validation as v
from .persistentvolume import VOLUME_MODES, validate_access_modes
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .storageclass import default_class

PVC_PROTECTION = "kubernetes.io/pvc-protection"
IMMUTABLE_MESSAGE = "spec is immutable after creation except resources.requests and volumeAttributesClassName " \
                    "for bound claims"


def _default(claim: Obj) -> None:
    spec = claim.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("volumeMode", "Filesystem")
    resources = spec.get("resources")
    if isinstance(resources, dict):
        canonicalize_resource_list(resources.get("requests"))
        canonicalize_resource_list(resources.get("limits"))
    status = claim.get("status")
    if not isinstance(status, dict):
        status = claim["status"] = {}
    status.setdefault("phase", "Pending")


def requested_storage(claim: Obj) -> Any:
    return (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")


def _validate_request(spec: Obj) -> FieldErrors:
    resources = spec.get("resources")
    requests = resources.get("requests") if isinstance(resources, dict) else None
    storage = requests.get("storage") if isinstance(requests, dict) else None
    if storage is None:
        return [v.required("spec.resources[storage]")]
    try:
        if parse_quantity(storage) <= 0:
            return [v.invalid("spec.resources[storage]", str(storage), "must be greater than zero")]
    except ValueError:
        return [v.invalid("spec.resources.requests[storage]", storage,
                          "quantities must match the regular expression "
                          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    return []


def _comparable_spec(spec: Obj, old_spec: Obj, old_bound: bool) -> tuple[Obj, Obj]:
    """The two specs with what an update may change taken out (ValidatePersistentVolumeClaimUpdate)."""
    new, old = dict(spec), dict(old_spec)
    new.pop("volumeAttributesClassName", None)
    old.pop("volumeAttributesClassName", None)
    if not old.get("volumeName"):
        new.pop("volumeName", None)  # binding fills it in
        old.pop("volumeName", None)
    if old.get("storageClassName") is None:
        new.pop("storageClassName", None)  # RetroactiveDefaultStorageClass may set it once
        old.pop("storageClassName", None)
    if old_bound:
        new_res = dict(new.get("resources") or {})
        old_res = dict(old.get("resources") or {})
        new_res.pop("requests", None)
        old_res.pop("requests", None)
        new["resources"], old["resources"] = new_res, old_res
    return new, old


def _validate(claim: Obj, old: Obj | None) -> FieldErrors:
    spec = claim.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec")] if spec is None else [v.type_error("spec", spec, "object")]
    errors = validate_access_modes("spec.accessModes", spec.get("accessModes"), "at least 1 access mode is required")
    errors.extend(v.label_selector("spec.selector", spec.get("selector")))
    errors.extend(_validate_request(spec))
    if spec.get("storageClassName"):
        errors.extend(v.dns1123_subdomain("spec.storageClassName", spec["storageClassName"]))
    if spec.get("volumeMode") not in VOLUME_MODES:
        errors.append(v.unsupported("spec.volumeMode", spec.get("volumeMode"), VOLUME_MODES))
    if old is None or errors:
        return errors
    old_spec, old_status = old.get("spec") or {}, old.get("status") or {}
    bound = old_status.get("phase") == "Bound"
    new_cmp, old_cmp = _comparable_spec(spec, old_spec, bound)
    if new_cmp != old_cmp:
        # Upstream appends a diff of the two Go structs; k9py gives the sentence only.
        errors.append(v.forbidden("spec", IMMUTABLE_MESSAGE))
    elif bound:
        capacity = (old_status.get("capacity") or {}).get("storage")
        try:
            if capacity is not None and parse_quantity(requested_storage(claim)) < parse_quantity(capacity):
                errors.append(v.forbidden("spec.resources.requests.storage",
                                          "field can not be less than status.capacity"))
        except ValueError:
            pass
    return errors


def _allocate(api: Any, claim: Obj, old: Obj | None) -> FieldErrors:
    meta = claim["metadata"]
    if old is None:
        spec = claim["spec"]
        if spec.get("storageClassName") is None and not claim_class(claim):
            chosen = default_class(api.store.iter("storageclasses.storage.k8s.io"))
            if chosen is not None:
                spec["storageClassName"] = chosen["metadata"]["name"]
        finalizers = meta.setdefault("finalizers", [])
        if PVC_PROTECTION not in finalizers:
            finalizers.append(PVC_PROTECTION)
        return []
    try:
        grows = parse_quantity(requested_storage(claim)) > parse_quantity(requested_storage(old))
    except (TypeError, ValueError):
        grows = False
    if grows:
        name = meta.get("name", "")
        if (old.get("status") or {}).get("phase") != "Bound":
            raise api_errors.forbidden("persistentvolumeclaims", "", name,
                                       "Only bound persistent volume claims can be expanded")
        sc = api.store.get("storageclasses.storage.k8s.io", "", claim_class(old)) if claim_class(old) else None
        if sc is None or not sc.get("allowVolumeExpansion"):
            raise api_errors.forbidden("persistentvolumeclaims", "", name,
                                       "only dynamically provisioned pvc can be resized and the storageclass that "
                                       "provisions the pvc must support resize")
    return []


def claims_of_pod(pod: Obj) -> list[str]:
    """The claim names a pod's persistentVolumeClaim volumes use (generic ephemeral volumes are not modelled)."""
    names = []
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        source = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
        if source is None:
            continue
        if isinstance(source, dict) and source.get("claimName"):
            names.append(str(source["claimName"]))
    return names


def _describe(claim: Obj, ctx: DescribeContext) -> str:
    meta = claim["metadata"]
    pods = [pod for pod in ctx.list("pods", meta.get("namespace", "")) if meta["name"] in claims_of_pod(pod)]
    pods.sort(key=lambda pod: pod["metadata"]["name"])
    return describe_persistent_volume_claim(claim, pods, ctx.events(claim), ctx.now())


def _health(claim: Obj) -> Health:
    """gitops-engine health_pvc.go getCorev1PVCHealth."""
    phase = (claim.get("status") or {}).get("phase")
    if phase == "Lost":
        return Health("Degraded")
    if phase == "Pending":
        return Health("Progressing")
    if phase == "Bound":
        return Health("Healthy")
    return Health("Unknown")


def _problems(claim: Obj) -> list[tuple[str, str]]:
    """Claims that wait for a person: one whose volume is gone, and one with no class and no volume to bind."""
    if claim["metadata"].get("deletionTimestamp"):
        return []
    phase = (claim.get("status") or {}).get("phase")
    if phase == "Lost":
        return [("ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")]
    if phase == "Pending" and not claim_class(claim) and not (claim.get("spec") or {}).get("volumeName"):
        return [("FailedBinding", "no persistent volumes available for this claim and no storage class is set")]
    return []


PERSISTENTVOLUMECLAIM = REGISTRY.register(KindInfo(
    kind="PersistentVolumeClaim", group="", version="v1", plural="persistentvolumeclaims", namespaced=True,
    short_names=("pvc",), default=_default, validate=_validate, allocate=_allocate,
    columns=PVC_COLUMNS, row=pvc_row, wide_columns=PVC_WIDE_COLUMNS, wide_row=pvc_row_wide,
    describe=_describe, health=_health, problems=_problems,
))
