"""HorizontalPodAutoscaler in autoscaling/v1, converted to and from the autoscaling/v2 the engine stores, as
kube-apiserver converts them (`k/k pkg/apis/autoscaling/v1/conversion.go`; the annotations of
`pkg/apis/autoscaling/annotations.go`, all still written by v1.36).

autoscaling/v1 has only `targetCPUUtilizationPercentage`; whatever else a v2 HPA says travels in annotations:

    autoscaling.alpha.kubernetes.io/metrics          the other metrics, in v1's (v2beta1-shaped) MetricSpec
    autoscaling.alpha.kubernetes.io/behavior         spec.behavior, as Go marshals the internal type (`ScaleUp`,
                                                     `StabilizationWindowSeconds`, ... and `Tolerance`)
    autoscaling.alpha.kubernetes.io/current-metrics  status.currentMetrics, in v1's MetricStatus
    autoscaling.alpha.kubernetes.io/conditions       status.conditions

From v1 the other metrics come first and the CPU one last; the annotations are consumed (a v2 read shows none of
them). Checked against a v1.36 control plane: an HPA applied as autoscaling/v1 with the metrics and behavior
annotations reads back in v2 with them as fields, and a v2 HPA with two metrics and a behavior reads in v1 with
the annotations above.
"""

from __future__ import annotations

import copy
import json
from typing import Any

Obj = dict[str, Any]
API_VERSION = "autoscaling/v1"
METRICS = "autoscaling.alpha.kubernetes.io/metrics"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
ROUND_TRIP = (METRICS, BEHAVIOR, CURRENT_METRICS, CONDITIONS)
DEFAULT_CPU_UTILIZATION = 80
# The internal behavior's Go field names, as its annotation spells them, and the v2 JSON names.
_GO_NAMES = {
    "ScaleUp": "scaleUp",
    "ScaleDown": "scaleDown",
    "StabilizationWindowSeconds": "stabilizationWindowSeconds",
    "SelectPolicy": "selectPolicy",
    "Policies": "policies",
    "Type": "type",
    "Value": "value",
    "PeriodSeconds": "periodSeconds",
    "Tolerance": "tolerance",
}
_JSON_NAMES = {v: k for k, v in _GO_NAMES.items()}
_CONDITION_ORDER = ("type", "status", "lastTransitionTime", "reason", "message")


def _cpu_utilization(metric: Obj) -> int | None:
    resource = metric.get("resource") or {}
    if metric.get("type") == "Resource" and resource.get("name") == "cpu":
        return (resource.get("target") or {}).get("averageUtilization")
    return None


def _target(value: Any, average: Any, utilization: Any = None) -> Obj:
    """A v2 MetricTarget from v1's target fields: Utilization, else AverageValue, else Value."""
    if utilization is not None:
        return {"type": "Utilization", "averageUtilization": utilization}
    if average is not None:
        return {"type": "AverageValue", "averageValue": average}
    return {"type": "Value", "value": value}


def _metric_to_v2(metric: Obj) -> Obj:
    kind = metric.get("type")
    if kind == "Resource":
        s = metric.get("resource") or {}
        return {
            "type": kind,
            "resource": {
                "name": s.get("name"),
                "target": _target(None, s.get("targetAverageValue"), s.get("targetAverageUtilization")),
            },
        }
    if kind == "ContainerResource":
        s = metric.get("containerResource") or {}
        return {
            "type": kind,
            "containerResource": {
                "name": s.get("name"),
                "container": s.get("container"),
                "target": _target(None, s.get("targetAverageValue"), s.get("targetAverageUtilization")),
            },
        }
    if kind == "Pods":
        s = metric.get("pods") or {}
        return {
            "type": kind,
            "pods": {
                "metric": _metric_id(s.get("metricName"), s.get("selector")),
                "target": _target(None, s.get("targetAverageValue")),
            },
        }
    if kind == "Object":
        s = metric.get("object") or {}
        return {
            "type": kind,
            "object": {
                "describedObject": s.get("target"),
                "metric": _metric_id(s.get("metricName"), s.get("selector")),
                "target": _target(s.get("targetValue"), s.get("averageValue")),
            },
        }
    if kind == "External":
        s = metric.get("external") or {}
        return {
            "type": kind,
            "external": {
                "metric": _metric_id(s.get("metricName"), s.get("metricSelector")),
                "target": _target(s.get("targetValue"), s.get("targetAverageValue")),
            },
        }
    return {"type": kind}


def _metric_id(name: Any, selector: Any) -> Obj:
    out: Obj = {"name": name}
    if selector is not None:
        out["selector"] = selector
    return out


def _metric_to_v1(metric: Obj) -> Obj:
    kind = metric.get("type")
    field = {
        "Resource": "resource",
        "ContainerResource": "containerResource",
        "Pods": "pods",
        "Object": "object",
        "External": "external",
    }.get(str(kind), "")
    s = metric.get(field) or {}
    target = s.get("target") or {}
    out: Obj = {}
    if kind in ("Resource", "ContainerResource"):
        out = {"name": s.get("name")}
        if kind == "ContainerResource":
            out["container"] = s.get("container")
        out.update(
            {
                "targetAverageUtilization": target.get("averageUtilization"),
                "targetAverageValue": target.get("averageValue"),
            }
        )
    elif kind == "Pods":
        out = {
            "metricName": (s.get("metric") or {}).get("name"),
            "targetAverageValue": target.get("averageValue"),
            "selector": (s.get("metric") or {}).get("selector"),
        }
    elif kind == "Object":
        out = {
            "target": s.get("describedObject"),
            "metricName": (s.get("metric") or {}).get("name"),
            "targetValue": target.get("value"),
            "selector": (s.get("metric") or {}).get("selector"),
            "averageValue": target.get("averageValue"),
        }
    elif kind == "External":
        out = {
            "metricName": (s.get("metric") or {}).get("name"),
            "metricSelector": (s.get("metric") or {}).get("selector"),
            "targetValue": target.get("value"),
            "targetAverageValue": target.get("averageValue"),
        }
    return {"type": kind, field: {k: v for k, v in out.items() if v is not None}} if field else {"type": kind}


def _status_to_v1(status: Obj) -> Obj:
    kind = status.get("type")
    field = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(kind))
    if field is None:
        return {"type": kind}
    s = status.get(field) or {}
    current = s.get("current") or {}
    out: Obj = {"name": s.get("name")}
    if field == "containerResource":
        out["container"] = s.get("container")
    if current.get("averageUtilization") is not None:
        out["currentAverageUtilization"] = current["averageUtilization"]
    out["currentAverageValue"] = current.get("averageValue", "0")  # not omitempty in v1's MetricStatus
    return {"type": kind, field: out}


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {names.get(k, k): _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return value


def _go_behavior(behavior: Obj) -> Obj:
    """spec.behavior as json.Marshal writes the internal type: Go's field names, every field, null when unset."""

    def rules(r: Any) -> Any:
        if not isinstance(r, dict):
            return None
        return {
            "StabilizationWindowSeconds": r.get("stabilizationWindowSeconds"),
            "SelectPolicy": r.get("selectPolicy"),
            "Policies": [_renamed(p, _JSON_NAMES) for p in r.get("policies") or ()] or None,
            "Tolerance": r.get("tolerance"),
        }

    return {"ScaleUp": rules(behavior.get("scaleUp")), "ScaleDown": rules(behavior.get("scaleDown"))}


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def to_v2(hpa: Obj) -> Obj:
    """An autoscaling/v1 HPA (a manifest, a request body) as the autoscaling/v2 object it stands for."""
    out = copy.deepcopy(hpa)
    out["apiVersion"] = "autoscaling/v2"
    meta = out.get("metadata") if isinstance(out.get("metadata"), dict) else {}
    annotations = dict(meta.get("annotations") or {})
    spec_v1 = out.get("spec") if isinstance(out.get("spec"), dict) else {}
    spec: Obj = {k: spec_v1[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec_v1}
    metrics = [_metric_to_v2(m) for m in _loads(annotations.get(METRICS), [])]
    if spec_v1.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": spec_v1["targetCPUUtilizationPercentage"]},
                },
            }
        )
    if not metrics:  # v1's implicit default, made explicit
        metrics = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION},
                },
            }
        ]
    spec["metrics"] = metrics
    behavior = _loads(annotations.get(BEHAVIOR), None)
    if isinstance(behavior, dict):
        spec["behavior"] = _drop_nulls(_renamed(behavior, _GO_NAMES))
    out["spec"] = spec
    status_v1 = out.get("status") if isinstance(out.get("status"), dict) else None
    if status_v1 is not None:
        status = {
            k: status_v1[k]
            for k in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
            if k in status_v1
        }
        conditions = _loads(annotations.get(CONDITIONS), None)
        if conditions:
            status["conditions"] = conditions
        out["status"] = status
    for key in ROUND_TRIP:
        annotations.pop(key, None)
    if meta:
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
    return out


def to_v1(hpa: Obj) -> Obj:
    """A stored autoscaling/v2 HPA as autoscaling/v1 shows it."""
    out = {k: copy.deepcopy(v) for k, v in hpa.items() if k not in ("spec", "status")}
    out["apiVersion"] = API_VERSION
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    metrics = list(spec.get("metrics") or ())
    v1_spec: Obj = {
        "scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef")),
        "minReplicas": spec.get("minReplicas"),
        "maxReplicas": spec.get("maxReplicas"),
    }
    cpu = next(
        (m for m in metrics if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu"), None
    )
    if cpu is not None and _cpu_utilization(cpu) is not None:
        v1_spec["targetCPUUtilizationPercentage"] = _cpu_utilization(cpu)
    out["spec"] = {k: v for k, v in v1_spec.items() if v is not None}
    v1_status: Obj = {k: status[k] for k in ("observedGeneration", "lastScaleTime") if k in status}
    v1_status["currentReplicas"] = status.get("currentReplicas", 0)
    v1_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    for current in status.get("currentMetrics") or ():
        resource = current.get("resource") or {}
        if current.get("type") == "Resource" and resource.get("name") == "cpu":
            utilization = (resource.get("current") or {}).get("averageUtilization")
            if utilization is not None:
                v1_status["currentCPUUtilizationPercentage"] = utilization
    out["status"] = v1_status
    meta = out.setdefault("metadata", {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in ROUND_TRIP}
    others = [_metric_to_v1(m) for m in metrics if _cpu_utilization(m) is None]
    if others:
        annotations[METRICS] = _dumps(others)
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR] = _dumps(_go_behavior(spec["behavior"]))
    if status.get("currentMetrics"):
        annotations[CURRENT_METRICS] = _dumps([_status_to_v1(s) for s in status["currentMetrics"]])
    if status.get("conditions"):
        # In the internal condition's field order, as json.Marshal writes a struct.
        annotations[CONDITIONS] = _dumps([{k: c[k] for k in _CONDITION_ORDER if k in c} for c in status["conditions"]])
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))  # Go marshals a map's keys in order
    return out


def _loads(text: Any, default: Any) -> Any:
    if not isinstance(text, str):
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def as_stored(doc: Obj) -> Obj:
    """`doc` in the version the engine stores: an autoscaling/v1 HPA as autoscaling/v2, anything else as it is."""
    if isinstance(doc, dict) and doc.get("apiVersion") == API_VERSION and doc.get("kind") == "HorizontalPodAutoscaler":
        return to_v2(doc)
    return doc
