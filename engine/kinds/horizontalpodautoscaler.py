"""HorizontalPodAutoscaler (autoscaling/v2): defaults (`k/k pkg/apis/autoscaling/v2/defaults.go`: minReplicas 1,
CPU at 80 % when no metric is given, and a given `behavior` filled in with upstream's rules), validation
(`pkg/apis/autoscaling/validation/validation.go`), kubectl's columns and describe (engine/printers/hpa.py),
Argo CD's health check (gitops-engine `pkg/health/health_hpa.go`).

Only autoscaling/v2 is served: the engine's registry holds one version per kind, so autoscaling/v1 (which
kube-apiserver serves from the same storage by conversion) is not. kubectl uses v2, its preferred version.
The controller is `engine/controllers/horizontal.py`.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..printers.hpa import HPA_COLUMNS, describe_hpa, hpa_row
from ..quantity import ERR_FORMAT_WRONG, Quantity
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .resource_names import container_resource_name

RESOURCE = "horizontalpodautoscalers.autoscaling"
METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
# The metric source field of each type, in the order validateMetricSpec looks at them.
SOURCE_FIELDS = {"Object": "object", "External": "external", "Pods": "pods", "Resource": "resource",
                 "ContainerResource": "containerResource"}
SELECT_POLICIES = ["Disabled", "Max", "Min"]
POLICY_TYPES = ["Percent", "Pods"]
MAX_STABILIZATION_WINDOW_SECONDS = 3600
MAX_PERIOD_SECONDS = 1800
DEFAULT_CPU_UTILIZATION = 80
DEFAULT_SCALE_UP: Obj = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
    {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]}
# No stabilizationWindowSeconds: the controller's --horizontal-pod-autoscaler-downscale-stabilization (5m) applies.
DEFAULT_SCALE_DOWN: Obj = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _rules(given: Any, defaults: Obj) -> Obj:
    """copyHPAScalingRules: the given fields over a copy of the defaults."""
    out = copy.deepcopy(defaults)
    if isinstance(given, dict):
        out.update({k: val for k, val in given.items() if val is not None})
    return out


def _default(hpa: Obj) -> None:
    spec = hpa.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):  # only a given behavior is filled in; without one the controller's rules apply
        behavior["scaleUp"] = _rules(behavior.get("scaleUp"), DEFAULT_SCALE_UP)
        behavior["scaleDown"] = _rules(behavior.get("scaleDown"), DEFAULT_SCALE_DOWN)
    # PrepareForCreate resets the status; a new object's reads show `desiredReplicas: 0`.
    if not isinstance(hpa.get("status"), dict) or not hpa["status"]:
        hpa["status"] = {"desiredReplicas": 0}


def _decode(hpa: Obj) -> None:
    """A target quantity resource.Quantity cannot parse fails decoding, with the decoder's 400."""
    spec = hpa.get("spec")
    for metric in (spec.get("metrics") if isinstance(spec, dict) else None) or ():
        for source in (metric.values() if isinstance(metric, dict) else ()):
            target = source.get("target") if isinstance(source, dict) else None
            for key in ("averageValue", "value"):
                if isinstance(target, dict) and target.get(key) is not None:
                    try:
                        Quantity.parse(target[key])
                    except ValueError:
                        message = ('HorizontalPodAutoscaler in version "v2" cannot be handled as a '
                                   f"HorizontalPodAutoscaler: {ERR_FORMAT_WRONG}")
                        raise errors.ApiError(400, "BadRequest", message) from None


def _positive_quantity(path: str, value: Any) -> FieldErrors:
    if value is None:
        return []
    q = Quantity.parse(value)
    return [] if q.value > 0 else [v.invalid(path, str(q), "must be positive")]


def _validate_target(path: str, target: Obj) -> FieldErrors:
    """validateMetricTarget."""
    errs: FieldErrors = []
    kind = target.get("type")
    if not kind:
        errs.append(v.required(f"{path}.type", "must specify a metric target type"))
    if kind not in ("Utilization", "Value", "AverageValue"):
        errs.append(v.invalid(f"{path}.type", kind or "", "must be either Utilization, Value, or AverageValue"))
    errs += _positive_quantity(f"{path}.value", target.get("value"))
    errs += _positive_quantity(f"{path}.averageValue", target.get("averageValue"))
    utilization = target.get("averageUtilization")
    if utilization is not None and (not isinstance(utilization, int) or utilization < 1):
        errs.append(v.invalid(f"{path}.averageUtilization", utilization, "must be greater than 0"))
    return errs


def _validate_resource_source(path: str, source: Obj, container: bool) -> FieldErrors:
    """validateResourceSource / validateContainerResourceSource."""
    errs: FieldErrors = []
    name = source.get("name")
    if not name:
        errs.append(v.required(f"{path}.name", "must specify a resource name"))
    else:
        errs += container_resource_name(f"{path}.name", str(name))
    if container:
        if not source.get("container"):
            errs.append(v.required(f"{path}.container", "must specify a container"))
        else:
            errs += v.dns1123_label(f"{path}.container", source["container"])
    target = source.get("target") if isinstance(source.get("target"), dict) else {}
    errs += _validate_target(f"{path}.target", target)
    if target.get("averageUtilization") is None and target.get("averageValue") is None:
        errs.append(v.required(f"{path}.target.averageUtilization",
                               "must set either a target raw value or a target utilization"))
    if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
        errs.append(v.forbidden(f"{path}.target.averageValue",
                                "may not set both a target raw value and a target utilization"))
    return errs


def _validate_metric(path: str, metric: Obj) -> FieldErrors:
    """validateMetricSpec, for the sources the engine measures (Resource, ContainerResource); the others are
    checked for presence only."""
    errs: FieldErrors = []
    kind = metric.get("type")
    if not kind:
        errs.append(v.required(f"{path}.type", "must specify a metric source type"))
    if kind not in METRIC_TYPES:
        errs.append(v.unsupported(f"{path}.type", kind or "", METRIC_TYPES))
    present = [field for field in SOURCE_FIELDS.values() if metric.get(field) is not None]
    if present and isinstance(metric.get(present[0]), dict) and present[0] in ("resource", "containerResource"):
        errs += _validate_resource_source(f"{path}.{present[0]}", metric[present[0]],
                                          present[0] == "containerResource")
    expected = SOURCE_FIELDS.get(str(kind))
    if expected is not None and metric.get(expected) is None:
        errs.append(v.required(f"{path}.{expected}", "must populate information for the given metric source"))
    if len(present) != 1:
        errs += [v.forbidden(f"{path}.{field}", "must populate the given metric source only")
                 for field in present if field != expected]
    return errs


def _validate_rules(path: str, rules: Any) -> FieldErrors:
    """validateScalingRules and validateScalingPolicy."""
    if not isinstance(rules, dict):
        return []
    errs: FieldErrors = []
    window = rules.get("stabilizationWindowSeconds")
    if isinstance(window, int) and window < 0:
        errs.append(v.invalid(f"{path}.stabilizationWindowSeconds", window, "must be greater than or equal to zero"))
    if isinstance(window, int) and window > MAX_STABILIZATION_WINDOW_SECONDS:
        errs.append(v.invalid(f"{path}.stabilizationWindowSeconds", window,
                              f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        errs.append(v.unsupported(f"{path}.selectPolicy", select, SELECT_POLICIES))
    policies = rules.get("policies") or []
    if not policies:
        errs.append(v.required(f"{path}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(policies if isinstance(policies, list) else []):
        at = f"{path}.policies[{i}]"
        policy = policy if isinstance(policy, dict) else {}
        if policy.get("type") not in POLICY_TYPES:
            errs.append(v.unsupported(f"{at}.type", policy.get("type") or "", POLICY_TYPES))
        value, period = policy.get("value") or 0, policy.get("periodSeconds") or 0
        if value <= 0:
            errs.append(v.invalid(f"{at}.value", value, "must be greater than zero"))
        if period <= 0:
            errs.append(v.invalid(f"{at}.periodSeconds", period, "must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            errs.append(v.invalid(f"{at}.periodSeconds", period, f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return errs


def _validate_ref(path: str, ref: Any) -> FieldErrors:
    """ValidateCrossVersionObjectReference: kind and name, each a valid path segment."""
    ref = ref if isinstance(ref, dict) else {}
    errs: FieldErrors = []
    for key in ("kind", "name"):
        value = ref.get(key)
        if not value:
            errs.append(v.required(f"{path}.{key}"))
        elif not isinstance(value, str) or value in (".", "..") or "/" in value or "%" in value:
            errs.append(v.invalid(f"{path}.{key}", value, "may not be '.' or '..' and may not contain '/' or '%'"))
    return errs


def _validate(hpa: Obj, old: Obj | None) -> FieldErrors:
    spec = hpa.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec")]
    errs: FieldErrors = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas")
    if isinstance(minimum, int) and minimum < 1:
        errs.append(v.invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if not isinstance(maximum, int):
        maximum = 0  # an int32 in Go: absent is 0, and both checks below see it
    if maximum < 1:
        errs.append(v.required("spec.maxReplicas", "must be set and greater than 0"))
    if isinstance(minimum, int) and maximum < minimum:
        errs.append(v.invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"))
    errs += _validate_ref("spec.scaleTargetRef", spec.get("scaleTargetRef"))
    metrics = spec.get("metrics") or []
    for i, metric in enumerate(metrics if isinstance(metrics, list) else []):
        errs += _validate_metric(f"spec.metrics[{i}]", metric if isinstance(metric, dict) else {})
    if minimum == 0 and not any(isinstance(m, dict) and m.get("type") in ("Object", "External") for m in metrics):
        errs.append(v.forbidden("spec.metrics",
                                "must specify at least one Object or External metric to support scaling to zero "
                                "replicas"))
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        errs += _validate_rules("spec.behavior.scaleUp", behavior.get("scaleUp"))
        errs += _validate_rules("spec.behavior.scaleDown", behavior.get("scaleDown"))
    return errs


def _describe(hpa: Obj, ctx: DescribeContext) -> str:
    return describe_hpa(hpa, ctx.events(hpa), ctx.now())


# Argo CD's HPA health: the first condition that is a known failure (Degraded) or a known success (Healthy) decides.
_DEGRADED = {("AbleToScale", "FailedGetScale"), ("AbleToScale", "FailedUpdateScale"),
             ("ScalingActive", "FailedGetResourceMetric"), ("ScalingActive", "InvalidSelector")}
_HEALTHY = {("AbleToScale", "SucceededRescale"), ("ScalingLimited", "DesiredWithinRange"),
            ("ScalingLimited", "TooFewReplicas"), ("ScalingLimited", "TooManyReplicas")}


def hpa_health(hpa: Obj) -> Health:
    for c in (hpa.get("status") or {}).get("conditions") or ():
        key = (c.get("type"), c.get("reason"))
        if key in _DEGRADED:
            return Health("Degraded", str(c.get("message", "")))
        if key in _HEALTHY:
            return Health("Healthy", str(c.get("message", "")))
    return Health("Progressing", "Waiting to Autoscale")


def _problems(hpa: Obj) -> list[tuple[str, str]]:
    health = hpa_health(hpa)
    if health.status != "Degraded":
        return []
    reason = next((c.get("reason", "") for c in (hpa.get("status") or {}).get("conditions") or ()
                   if c.get("status") == "False"), "Degraded")
    return [(str(reason), health.message)]


HPA = REGISTRY.register(KindInfo(
    kind="HorizontalPodAutoscaler", group="autoscaling", version="v2", plural="horizontalpodautoscalers",
    namespaced=True, short_names=("hpa",), default=_default, validate=_validate, decode=_decode,
    columns=HPA_COLUMNS, row=hpa_row, describe=_describe, health=hpa_health, problems=_problems,
))
