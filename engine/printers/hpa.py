"""`kubectl get hpa` and `kubectl describe hpa` (autoscaling/v2).

Rows follow printHorizontalPodAutoscaler and formatHPAMetrics in `k/k pkg/printers/internalversion/printers.go`
(two metrics, then `+ N more...`); describe follows describeHorizontalPodAutoscalerV2 and printDirectionBehavior
in `staging/src/k8s.io/kubectl/pkg/describe/describe.go`. Checked against kube-apiserver and kubectl of the kit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.printers.describe import _annotations_multiline, _describe_events, _labels_multiline, _Writer, rfc1123z
from engine.printers.duration import age
from engine.quantity import Quantity

Obj = dict[str, Any]

HPA_COLUMNS = ("NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE")
UNKNOWN = "<unknown>"
SHOWN_METRICS = 2


def quantity_text(value: Any) -> str:
    """A quantity as Go's Quantity.String() prints it (canonical)."""
    try:
        return str(Quantity.parse(value))
    except ValueError:
        return str(value)


def _current(statuses: list[Obj], i: int, key: str) -> Obj | None:
    if i < len(statuses) and isinstance(statuses[i], dict):
        found = statuses[i].get(key)
        return found.get("current") if isinstance(found, dict) else None
    return None


def _resource_target(name: str, target: Obj, current: Obj | None) -> str:
    if target.get("averageValue") is not None:
        now = quantity_text(current.get("averageValue")) if current and "averageValue" in current else UNKNOWN
        return f"{name}: {now}/{quantity_text(target['averageValue'])}"
    now = f"{current['averageUtilization']}%" if current and current.get("averageUtilization") is not None \
        else UNKNOWN
    wanted = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
    return f"{name}: {now}/{wanted}"


def format_metrics(specs: list[Obj], statuses: list[Obj]) -> str:
    """formatHPAMetrics: `cpu: 82%/50%`, `memory: <unknown>/100Mi`."""
    if not specs:
        return "<none>"
    shown = []
    for i, spec in enumerate(specs):
        kind = spec.get("type")
        if kind == "Resource":
            source = spec.get("resource") or {}
            shown.append(_resource_target(str(source.get("name", "")), source.get("target") or {},
                                          _current(statuses, i, "resource")))
        elif kind == "ContainerResource":
            source = spec.get("containerResource") or {}
            shown.append(_resource_target(str(source.get("name", "")), source.get("target") or {},
                                          _current(statuses, i, "containerResource")))
        elif kind == "Pods":
            target = ((spec.get("pods") or {}).get("target") or {}).get("averageValue")
            current = _current(statuses, i, "pods")
            now = quantity_text(current["averageValue"]) if current and "averageValue" in current else UNKNOWN
            shown.append(f"{now}/{quantity_text(target)}")
        else:
            shown.append("<unknown type>")
    text = ", ".join(shown[:SHOWN_METRICS])
    if len(shown) > SHOWN_METRICS:
        text += f" + {len(shown) - SHOWN_METRICS} more..."
    return text


def hpa_row(hpa: Obj, now: float) -> list[str]:
    meta, spec, status = hpa.get("metadata") or {}, hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    minimum = spec.get("minReplicas")
    return [str(meta.get("name", "")), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            format_metrics(list(spec.get("metrics") or ()), list(status.get("currentMetrics") or ())),
            "<unset>" if minimum is None else str(minimum), str(spec.get("maxReplicas", 0)),
            str(status.get("currentReplicas", 0)), age(meta.get("creationTimestamp"), now)]


def _describe_resource(w: _Writer, label: str, target: Obj, current: Obj | None) -> None:
    w.write(1, label)
    if target.get("averageValue") is not None:
        now = quantity_text(current.get("averageValue")) if current and "averageValue" in current else UNKNOWN
        w.write(0, f":\t{now} / {quantity_text(target['averageValue'])}\n")
        return
    now = UNKNOWN
    if current and current.get("averageUtilization") is not None:
        now = f"{current['averageUtilization']}% ({quantity_text(current.get('averageValue', 0))})"
    wanted = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
    w.write(1, f"(as a percentage of request):\t{now} / {wanted}\n")


def _describe_metrics(w: _Writer, specs: list[Obj], statuses: list[Obj]) -> None:
    for i, spec in enumerate(specs):
        kind = spec.get("type")
        if kind == "Resource":
            source = spec.get("resource") or {}
            _describe_resource(w, f"resource {source.get('name', '')} on pods", source.get("target") or {},
                               _current(statuses, i, "resource"))
        elif kind == "ContainerResource":
            source = spec.get("containerResource") or {}
            _describe_resource(w, f'resource {source.get("name", "")} of container "{source.get("container", "")}"'
                                  " on pods", source.get("target") or {}, _current(statuses, i, "containerResource"))
        elif kind == "Pods":
            pods = spec.get("pods") or {}
            current = _current(statuses, i, "pods")
            now = quantity_text(current["averageValue"]) if current and "averageValue" in current else UNKNOWN
            name = (pods.get("metric") or {}).get("name", "")
            target = quantity_text((pods.get("target") or {}).get("averageValue"))
            w.write(1, f'"{name}" on pods:\t{now} / {target}\n')
        else:
            w.write(1, f'<unknown metric type "{kind}">\n')


def _describe_direction(w: _Writer, title: str, rules: Obj | None) -> None:
    """printDirectionBehavior."""
    if rules is None:
        return
    w.write(1, f"{title}:\n")
    if rules.get("stabilizationWindowSeconds") is not None:
        w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
    policies = rules.get("policies") or []
    if policies:
        w.write(2, f"Select Policy: {rules.get('selectPolicy') or '<unset>'}\n")
        w.write(2, "Policies:\n")
        for p in policies:
            w.write(3, f"- Type: {p.get('type')}\tValue: {p.get('value')}\tPeriod: {p.get('periodSeconds')} seconds\n")


def describe_hpa(hpa: Obj, events: Iterable[Obj] | None, now: float) -> str:
    meta, spec, status = hpa.get("metadata") or {}, hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    _describe_metrics(w, list(spec.get("metrics") or ()), list(status.get("currentMetrics") or ()))
    minimum = spec.get("minReplicas")
    w.write(0, f"Min replicas:\t{'<unset>' if minimum is None else minimum}\n")
    w.write(0, f"Max replicas:\t{spec.get('maxReplicas', 0)}\n")
    behavior = spec.get("behavior")
    if behavior is not None:
        w.write(0, "Behavior:\n")
        _describe_direction(w, "Scale Up", behavior.get("scaleUp"))
        _describe_direction(w, "Scale Down", behavior.get("scaleDown"))
    w.write(0, f"{ref.get('kind', '')} pods:\t{status.get('currentReplicas', 0)} current / "
               f"{status.get('desiredReplicas', 0)} desired\n")
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    _describe_events(w, list(events) if events is not None else None, now)
    return w.text()
