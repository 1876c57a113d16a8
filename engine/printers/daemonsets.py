"""`kubectl get daemonsets`, `kubectl get controllerrevisions` and `kubectl describe daemonset`.

Rows follow printDaemonSet and printControllerRevision in `k/k pkg/printers/internalversion/printers.go`;
describe follows DaemonSetDescriber in `staging/src/k8s.io/kubectl/pkg/describe/describe.go`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.printers.describe import (
    _annotations_multiline,
    _describe_events,
    _describe_pod_template,
    _labels_multiline,
    _pod_phase_counts,
    _Writer,
)
from engine.printers.duration import age
from engine.printers.tables import _container_cells, format_label_selector, selector_string

Obj = dict[str, Any]
NONE = "<none>"

DAEMONSET_COLUMNS = ("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE")
DAEMONSET_WIDE_COLUMNS = (*DAEMONSET_COLUMNS, "CONTAINERS", "IMAGES", "SELECTOR")
CONTROLLERREVISION_COLUMNS = ("NAME", "CONTROLLER", "REVISION", "AGE")


def _count(status: Mapping[str, Any], key: str) -> str:
    return str(int(status.get(key) or 0))


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """labels.FormatLabels: `k=v` pairs sorted by key and joined by commas, `<none>` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def daemonset_row(ds: Obj, now: float) -> list[str]:
    status, spec = ds.get("status") or {}, ds.get("spec") or {}
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    return [ds["metadata"]["name"], _count(status, "desiredNumberScheduled"),
            _count(status, "currentNumberScheduled"), _count(status, "numberReady"),
            _count(status, "updatedNumberScheduled"), _count(status, "numberAvailable"),
            format_labels(node_selector), age(ds["metadata"].get("creationTimestamp"), now)]


def daemonset_row_wide(ds: Obj, now: float) -> list[str]:
    spec = ds.get("spec") or {}
    return [*daemonset_row(ds, now), *_container_cells(spec.get("template") or {}),
            format_label_selector(spec.get("selector"))]


def controller_name(obj: Mapping[str, Any]) -> str:
    """printControllerRevision's CONTROLLER: `<kind>.<group>/<name>` of the controller, lowercased kind."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            api_version = str(ref.get("apiVersion") or "")
            group = api_version.split("/")[0] if "/" in api_version else ""
            kind = str(ref.get("kind") or "").lower()
            return f"{kind}.{group}/{ref.get('name')}" if group else f"{kind}/{ref.get('name')}"
    return NONE


def controllerrevision_row(revision: Obj, now: float) -> list[str]:
    return [revision["metadata"]["name"], controller_name(revision), str(revision.get("revision", 0)),
            age(revision["metadata"].get("creationTimestamp"), now)]


def describe_daemonset(ds: Obj, pods: Iterable[Obj], events: Iterable[Obj] | None, now: float) -> str:
    """DaemonSetDescriber. It prints no Namespace line, and its counts are written without a tab, so they break
    the column block: "Pods Status:" is aligned on its own."""
    meta, spec, status = ds["metadata"], ds.get("spec") or {}, ds.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector)}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Desired Number of Nodes Scheduled: {int(status.get('desiredNumberScheduled') or 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {int(status.get('currentNumberScheduled') or 0)}\n")
    w.write(0, "Number of Nodes Scheduled with Up-to-date Pods: "
               f"{int(status.get('updatedNumberScheduled') or 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {int(status.get('numberAvailable') or 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {int(status.get('numberMisscheduled') or 0)}\n")
    w.write(0, f"Pods Status:\t{_pod_phase_counts(ds, pods)}\n")
    _describe_pod_template(w, spec.get("template"))
    _describe_events(w, list(events) if events is not None else None, now)
    return w.text()


def describe_pod_template(template: Obj | None) -> str:
    """`kubectl rollout history --revision=N`'s body: the revision's pod template as describe prints it."""
    w = _Writer()
    _describe_pod_template(w, template)
    return w.text()
