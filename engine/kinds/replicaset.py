"""ReplicaSet (apps/v1)."""

from __future__ import annotations

from ..printers.describe import describe_replicaset
from ..printers.tables import REPLICASET_COLUMNS, REPLICASET_WIDE_COLUMNS, replicaset_row, replicaset_row_wide
from .podspec import default_pod_template
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .workload import validate_workload


def _default(rs: Obj) -> None:
    spec = rs.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        default_pod_template(spec.get("template"))


def _validate(rs: Obj, old: Obj | None) -> FieldErrors:
    return validate_workload(rs, old, kind_word="replicaset")


def _health(rs: Obj) -> Health:
    """gitops-engine health_replicaset.go."""
    meta, spec, status = rs.get("metadata") or {}, rs.get("spec") or {}, rs.get("status") or {}
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return Health("Progressing",
                      "Waiting for rollout to finish: observed replica set generation less than desired generation")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
            return Health("Degraded", cond.get("message", ""))
    desired = spec.get("replicas")
    desired = desired if isinstance(desired, int) and not isinstance(desired, bool) else 1  # as defaulting would
    available = status.get("availableReplicas", 0)
    if available < desired:
        return Health("Progressing",
                      f"Waiting for rollout to finish: {available} out of {desired} new replicas are available...")
    return Health("Healthy")


def _describe(rs: Obj, ctx: DescribeContext) -> str:
    return describe_replicaset(rs, ctx.dependents(rs, "pods"), ctx.events(rs), ctx.now())


REPLICASET = REGISTRY.register(KindInfo(
    kind="ReplicaSet", group="apps", version="v1", plural="replicasets", namespaced=True, short_names=("rs",),
    default=_default, validate=_validate, columns=REPLICASET_COLUMNS, row=replicaset_row,
    wide_columns=REPLICASET_WIDE_COLUMNS, wide_row=replicaset_row_wide, describe=_describe, health=_health,
    scalable=True, owns_pods=True, adoptable=True,
))
