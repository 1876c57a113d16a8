"""StorageClass (storage.k8s.io/v1): how claims of a class get their volumes.

Defaults follow `k/k pkg/apis/storage/v1/defaults.go` SetDefaults_StorageClass (reclaimPolicy Delete,
volumeBindingMode Immediate); validation follows `pkg/apis/storage/validation/validation.go` ValidateStorageClass
and ValidateStorageClassUpdate. Every provisioner a class names is simulated (k9py's pv-controller creates the
volume), except `kubernetes.io/no-provisioner`, which upstream uses for classes of statically made local volumes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..printers.storage import SC_COLUMNS, describe_storage_class, is_default_class, sc_row
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

IMMEDIATE = "Immediate"
WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer"
NO_PROVISIONER = "kubernetes.io/no-provisioner"
RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = [IMMEDIATE, WAIT_FOR_FIRST_CONSUMER]


def _default(sc: Obj) -> None:
    sc.setdefault("reclaimPolicy", "Delete")
    sc.setdefault("volumeBindingMode", IMMEDIATE)


def _validate(sc: Obj, old: Obj | None) -> FieldErrors:
    errors: FieldErrors = []
    provisioner = sc.get("provisioner")
    if not provisioner:
        errors.append(v.required("provisioner"))
    elif isinstance(provisioner, str):
        # validateProvisioner: a qualified name (lower case) of at most 63 characters.
        if len(provisioner) > 63:
            errors.append(v.too_long("provisioner", provisioner, 63))
        errors.extend(v.qualified_name("provisioner", provisioner.lower()))
    else:
        errors.append(v.type_error("provisioner", provisioner, "string"))
    parameters = sc.get("parameters")
    errors.extend(v.is_mapping("parameters", parameters))
    if isinstance(parameters, dict) and len(parameters) > 512:
        errors.append(("parameters", "Too many: must have at most 512 items"))
    policy = sc.get("reclaimPolicy")
    if policy not in RECLAIM_POLICIES:
        errors.append(v.unsupported("reclaimPolicy", policy, RECLAIM_POLICIES))
    mode = sc.get("volumeBindingMode")
    if mode not in BINDING_MODES:
        errors.append(v.unsupported("volumeBindingMode", mode, BINDING_MODES))
    if old is not None:
        # ValidateStorageClassUpdate: only metadata, allowVolumeExpansion and mountOptions may change.
        if sc.get("parameters") != old.get("parameters"):
            errors.append(v.forbidden("parameters", "updates to parameters are forbidden."))
        errors.extend(v.immutable("provisioner", sc.get("provisioner"), old.get("provisioner")))
        errors.extend(v.immutable("reclaimPolicy", sc.get("reclaimPolicy"), old.get("reclaimPolicy")))
        errors.extend(v.immutable("volumeBindingMode", sc.get("volumeBindingMode"), old.get("volumeBindingMode")))
    return errors


def default_class(classes: Iterable[Obj]) -> Obj | None:
    """storageutil.GetDefaultClass: of the classes marked default, the newest (ties: the first by name), as the
    DefaultStorageClass admission plugin and the pv-controller's retroactive defaulting choose."""
    marked = [sc for sc in classes if is_default_class(sc)]
    if not marked:
        return None
    marked.sort(key=lambda sc: sc["metadata"]["name"])
    marked.sort(key=lambda sc: sc["metadata"].get("creationTimestamp") or "", reverse=True)
    return marked[0]


def binding_mode(sc: Obj | None) -> str:
    return str((sc or {}).get("volumeBindingMode") or IMMEDIATE)


def _describe(sc: Obj, ctx: DescribeContext) -> str:
    return describe_storage_class(sc, ctx.events(sc), ctx.now())


STORAGECLASS = REGISTRY.register(KindInfo(
    kind="StorageClass", group="storage.k8s.io", version="v1", plural="storageclasses", namespaced=False,
    short_names=("sc",), default=_default, validate=_validate, has_status=False,
    columns=SC_COLUMNS, row=sc_row, describe=_describe,
))
