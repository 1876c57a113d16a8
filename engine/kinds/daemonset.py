"""DaemonSet (apps/v1): one pod per eligible node.

Defaults and validation follow `k/k pkg/apis/apps/v1/defaults.go` SetDefaults_DaemonSet and
`pkg/apis/apps/validation` ValidateDaemonSetSpec; the template generation annotation is what the registry strategy
(`pkg/registry/apps/daemonset/strategy.go` PrepareForCreate/PrepareForUpdate) keeps.
"""

from __future__ import annotations

from typing import Any

from ..printers.daemonsets import DAEMONSET_COLUMNS, DAEMONSET_WIDE_COLUMNS, daemonset_row, daemonset_row_wide
from ..printers.daemonsets import describe_daemonset as _describe_text
from ..quoting import go_quote
from . import validation as v
from .deployment import _int_or_percent
from .podspec import default_pod_template
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .workload import validate_workload

ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"
STRATEGIES = [ROLLING_UPDATE, ON_DELETE]  # in the order the API server lists them
# The template generation, kept by the API server for pods made before revision hashes (DeprecatedTemplateGeneration).
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"


def _default(ds: Obj) -> None:
    spec = ds.get("spec")
    if not isinstance(spec, dict):
        return
    strategy = spec.setdefault("updateStrategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", ROLLING_UPDATE)
        if strategy["type"] == ROLLING_UPDATE:
            strategy.setdefault("rollingUpdate", {})
        # A rollingUpdate block is defaulted whatever the type (an OnDelete one keeps it, as the API server does).
        rolling = strategy.get("rollingUpdate")
        if isinstance(rolling, dict):
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    default_pod_template(spec.get("template"))
    # PrepareForCreate starts the template generation at 1; on update `_prepare_update` replaces it.
    meta = ds.setdefault("metadata", {})
    if isinstance(meta, dict):
        annotations = meta.get("annotations")
        if not isinstance(annotations, dict):
            annotations = meta["annotations"] = {}
        annotations.setdefault(TEMPLATE_GENERATION_ANNOTATION, "1")


def _prepare_update(ds: Obj, old: Obj) -> None:
    """PrepareForUpdate: the template generation is the stored one, plus one when the template changed."""
    old_annotations = (old.get("metadata") or {}).get("annotations") or {}
    try:
        generation = int(old_annotations.get(TEMPLATE_GENERATION_ANNOTATION, "0"))
    except ValueError:
        generation = 0
    if (ds.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
        generation += 1
    if generation > 0:
        ds["metadata"].setdefault("annotations", {})[TEMPLATE_GENERATION_ANNOTATION] = str(generation)


def _validate_rolling(path: str, rolling: Any) -> FieldErrors:
    """ValidateRollingUpdateDaemonSet: both bounds are ints or percentages up to 100%, not both 0, and a surge
    only with maxUnavailable 0."""
    if not isinstance(rolling, dict):
        return [v.type_error(path, rolling, "object")]
    unavailable_errors, unavailable, unavailable_pct = _int_or_percent(f"{path}.maxUnavailable",
                                                                       rolling.get("maxUnavailable"))
    surge_errors, surge, surge_pct = _int_or_percent(f"{path}.maxSurge", rolling.get("maxSurge"))
    errors = unavailable_errors
    if unavailable_pct and unavailable is not None and unavailable > 100:
        errors.append(v.invalid(f"{path}.maxUnavailable", rolling.get("maxUnavailable"),
                                "must not be greater than 100%"))
    if not unavailable and not surge:
        errors.append(v.required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    errors.extend(surge_errors)
    if surge_pct and surge is not None and surge > 100:
        errors.append(v.invalid(f"{path}.maxSurge", rolling.get("maxSurge"), "must not be greater than 100%"))
    if surge and unavailable:
        errors.append(v.invalid(f"{path}.maxSurge", rolling.get("maxSurge"),
                                "may not be set when maxUnavailable is non-zero"))
    return errors


def _validate(ds: Obj, old: Obj | None) -> FieldErrors:
    errors = validate_workload(ds, old, kind_word="daemonset")
    spec = ds.get("spec")
    if not isinstance(spec, dict):
        return errors
    strategy = spec.get("updateStrategy") or {}
    if not isinstance(strategy, dict):
        return [*errors, v.type_error("spec.updateStrategy", strategy, "object")]
    kind = strategy.get("type")
    if kind == ROLLING_UPDATE:
        errors.extend(_validate_rolling("spec.updateStrategy.rollingUpdate", strategy.get("rollingUpdate")))
    elif kind != ON_DELETE:
        rolling = "null" if strategy.get("rollingUpdate") is None else "{...}"
        shown = f'{{"Type":{go_quote(str(kind or ""))},"RollingUpdate":{rolling}}}'
        errors.append(("spec.updateStrategy", f"Unsupported value: {shown}: supported values: "
                       + ", ".join(go_quote(s) for s in STRATEGIES)))
    return errors


def _status_int(status: Obj, key: str) -> int:
    value = status.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def daemonset_health(ds: Obj) -> Health:
    """gitops-engine health_daemonset.go getAppsv1DaemonSetHealth (its messages, typo included)."""
    meta, spec, status = ds.get("metadata") or {}, ds.get("spec") or {}, ds.get("status") or {}
    if meta.get("generation", 0) > _status_int(status, "observedGeneration"):
        return Health("Progressing",
                      "Waiting for rollout to finish: observed daemon set generation less then desired generation")
    updated, desired = _status_int(status, "updatedNumberScheduled"), _status_int(status, "desiredNumberScheduled")
    available = _status_int(status, "numberAvailable")
    if (spec.get("updateStrategy") or {}).get("type") == ON_DELETE:
        return Health("Healthy", f"daemon set {updated} out of {desired} new pods have been updated")
    name = go_quote(str(meta.get("name", "")))
    if updated < desired:
        return Health("Progressing", f"Waiting for daemon set {name} rollout to finish: {updated} out of {desired} "
                                     "new pods have been updated...")
    if available < desired:
        return Health("Progressing", f"Waiting for daemon set {name} rollout to finish: {available} of {desired} "
                                     "updated pods are available...")
    return Health("Healthy")


def _problems(ds: Obj) -> list[tuple[str, str]]:
    """Daemon pods on nodes that should not run them (a changed nodeSelector, a new NoExecute-free taint)."""
    status = ds.get("status") or {}
    misscheduled = _status_int(status, "numberMisscheduled")
    if misscheduled:
        return [("Misscheduled", f"{misscheduled} node(s) run a daemon pod they should not run")]
    return []


def _describe(ds: Obj, ctx: DescribeContext) -> str:
    return _describe_text(ds, ctx.dependents(ds, "pods"), ctx.events(ds), ctx.now())


DAEMONSET = REGISTRY.register(KindInfo(
    kind="DaemonSet", group="apps", version="v1", plural="daemonsets", namespaced=True, short_names=("ds",),
    default=_default, validate=_validate, prepare_update=_prepare_update,
    columns=DAEMONSET_COLUMNS, row=daemonset_row, wide_columns=DAEMONSET_WIDE_COLUMNS, wide_row=daemonset_row_wide,
    describe=_describe, health=daemonset_health, problems=_problems,
    restartable=True, rollout=True, owns_pods=True,
))
