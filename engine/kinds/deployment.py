"""Deployment (apps/v1)."""

from __future__ import annotations

import json
from typing import Any

from ..printers.describe import describe_deployment
from ..printers.tables import DEPLOYMENT_COLUMNS, DEPLOYMENT_WIDE_COLUMNS, deployment_row, deployment_row_wide
from ..quoting import go_quote
from . import validation as v
from .podspec import default_pod_template
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .workload import validate_workload

STRATEGIES = ["Recreate", "RollingUpdate"]


def _default(d: Obj) -> None:
    spec = d.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            if isinstance(rolling, dict):
                rolling.setdefault("maxUnavailable", "25%")
                rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    default_pod_template(spec.get("template"))


def _int_or_percent(path: str, value: Any) -> tuple[FieldErrors, int | None, bool]:
    """(errors, number, is_percent) for an IntOrString field."""
    if value is None:
        return [], None, False
    if isinstance(value, bool):
        return [v.type_error(path, value, "integer or percentage")], None, False
    if isinstance(value, int):
        if value < 0:
            return [v.invalid(path, value, "must be greater than or equal to 0")], None, False
        return [], value, False
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return [], int(value[:-1]), True
    return [v.invalid(path, value, "a valid percent string must be a numeric string followed by an ending "
                                   "'%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")], None, False


def _strategy_json(kind: Any, rolling: Any) -> str:
    shown_rolling = None
    if isinstance(rolling, dict):
        shown_rolling = {"MaxUnavailable": rolling.get("maxUnavailable"), "MaxSurge": rolling.get("maxSurge")}
    return json.dumps({"Type": kind, "RollingUpdate": shown_rolling}, separators=(",", ":"), ensure_ascii=False)


def _validate(d: Obj, old: Obj | None) -> FieldErrors:
    errors = validate_workload(d, old, kind_word="deployment")
    spec = d.get("spec")
    if not isinstance(spec, dict):
        return errors
    errors.extend(v.positive("spec.progressDeadlineSeconds", spec.get("progressDeadlineSeconds")))
    deadline, min_ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds", 0)
    if isinstance(deadline, int) and isinstance(min_ready, int) and deadline <= min_ready:
        errors.append(v.invalid("spec.progressDeadlineSeconds", deadline,
                                "must be greater than minReadySeconds"))
    strategy = spec.get("strategy") or {}
    if not isinstance(strategy, dict):
        return [*errors, v.type_error("spec.strategy", strategy, "object")]
    kind = strategy.get("type", "RollingUpdate")
    if kind not in STRATEGIES:
        # v1.36 names the whole strategy, printed as the internal struct's JSON (field names as declared).
        errors.append(("spec.strategy", f"Unsupported value: {_strategy_json(kind, strategy.get('rollingUpdate'))}: "
                                        f"supported values: {', '.join(go_quote(s) for s in STRATEGIES)}"))
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate" and rolling is not None:
        errors.append(v.forbidden("spec.strategy.rollingUpdate",
                                  "may not be specified when strategy `type` is 'Recreate'"))
    if kind == "RollingUpdate" and isinstance(rolling, dict):
        path = "spec.strategy.rollingUpdate"
        unavail_errors, unavail, unavail_pct = _int_or_percent(f"{path}.maxUnavailable", rolling.get("maxUnavailable"))
        surge_errors, surge, _ = _int_or_percent(f"{path}.maxSurge", rolling.get("maxSurge"))
        errors.extend(unavail_errors + surge_errors)
        if unavail_pct and unavail is not None and unavail > 100:
            errors.append(v.invalid(f"{path}.maxUnavailable", rolling.get("maxUnavailable"),
                                    "must not be greater than 100%"))
        if unavail == 0 and surge == 0:
            errors.append(v.invalid(f"{path}.maxUnavailable", rolling.get("maxUnavailable"),
                                    "may not be 0 when `maxSurge` is 0"))
    return errors


def _count(value: Any, default: int) -> int:
    """A replica count as health reads it: the API default for anything that is not a number (a null that reached
    the store some other way must not crash a health check)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def deployment_health(d: Obj) -> Health:
    """gitops-engine health_deployment.go."""
    meta, spec, status = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
    if spec.get("paused"):
        return Health("Suspended", "Deployment is paused")
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return Health("Progressing",
                      "Waiting for rollout to finish: observed deployment generation less than desired generation")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return Health("Degraded", f"Deployment {go_quote(meta.get('name', ''))} exceeded its progress deadline")
    desired = _count(spec.get("replicas"), 1)
    updated = status.get("updatedReplicas", 0)
    replicas = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    if updated < desired:
        return Health("Progressing", f"Waiting for rollout to finish: {updated} out of {desired} new replicas "
                                     "have been updated...")
    if replicas > updated:
        return Health("Progressing", f"Waiting for rollout to finish: {replicas - updated} old replicas are "
                                     "pending termination...")
    if available < updated:
        return Health("Progressing", f"Waiting for rollout to finish: {available} of {updated} updated replicas "
                                     "are available...")
    return Health("Healthy")


def _describe(d: Obj, ctx: DescribeContext) -> str:
    return describe_deployment(d, ctx.dependents(d, "replicasets.apps"), ctx.events(d), ctx.now())


def _problems(d: Obj) -> list[tuple[str, str]]:
    """Conditions that need a person: a rollout past its deadline, pods the ReplicaSet could not create."""
    out = []
    for cond in (d.get("status") or {}).get("conditions") or ():
        if cond.get("reason") == "ProgressDeadlineExceeded":
            out.append(("ProgressDeadlineExceeded", cond.get("message", "")))
        if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
            out.append((cond.get("reason", "ReplicaFailure"), cond.get("message", "")))
    return out


DEPLOYMENT = REGISTRY.register(KindInfo(
    kind="Deployment", group="apps", version="v1", plural="deployments", namespaced=True,
    short_names=("deploy",), console_aliases=("dp",), default=_default, validate=_validate,
    columns=DEPLOYMENT_COLUMNS, row=deployment_row,
    wide_columns=DEPLOYMENT_WIDE_COLUMNS, wide_row=deployment_row_wide,
    describe=_describe, health=deployment_health, problems=_problems,
    scalable=True, restartable=True, rollout=True, owns_pods=True,
))
