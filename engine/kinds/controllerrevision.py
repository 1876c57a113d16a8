"""ControllerRevision (apps/v1): an immutable snapshot of a controller's template, one per revision. The DaemonSet
controller writes them (StatefulSets would too); `kubectl rollout history/undo` read them.

Validation follows `k/k pkg/apis/apps/validation` ValidateControllerRevision(Update). kubectl has no short name
for it.
"""

from __future__ import annotations

from ..printers.daemonsets import CONTROLLERREVISION_COLUMNS, controllerrevision_row
from . import validation as v
from .registry import REGISTRY, FieldErrors, KindInfo, Obj


def _validate(revision: Obj, old: Obj | None) -> FieldErrors:
    errors: FieldErrors = []
    if revision.get("data") is None:
        errors.append(v.required("data", "data is mandatory"))
    errors.extend(v.non_negative("revision", revision.get("revision", 0)))
    if old is not None:
        errors.extend(v.immutable("data", revision.get("data"), old.get("data")))
    return errors


CONTROLLERREVISION = REGISTRY.register(KindInfo(
    kind="ControllerRevision", group="apps", version="v1", plural="controllerrevisions", namespaced=True,
    validate=_validate, has_status=False, columns=CONTROLLERREVISION_COLUMNS, row=controllerrevision_row,
    # A DaemonSet adopts an orphaned revision its selector matches (ClaimControllerRevisions).
    adoptable=True,
))
