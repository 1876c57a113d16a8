"""`kubectl get statefulsets` and `kubectl describe statefulset`.

Rows follow printStatefulSet in `k/k pkg/printers/internalversion/printers.go`; describe follows
StatefulSetDescriber / describeVolumeClaimTemplates in `staging/src/k8s.io/kubectl/pkg/describe/describe.go`.
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
    rfc1123z,
)
from engine.printers.duration import age
from engine.printers.storage import claim_class
from engine.printers.tables import _container_cells, selector_string

Obj = dict[str, Any]
NONE = "<none>"

STATEFULSET_COLUMNS = ("NAME", "READY", "AGE")
STATEFULSET_WIDE_COLUMNS = (*STATEFULSET_COLUMNS, "CONTAINERS", "IMAGES")


def _int(mapping: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = mapping.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def statefulset_row(sts: Obj, now: float) -> list[str]:
    """READY is status.readyReplicas over spec.replicas."""
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    return [sts["metadata"]["name"], f"{_int(status, 'readyReplicas')}/{_int(spec, 'replicas', 1)}",
            age(sts["metadata"].get("creationTimestamp"), now)]


def statefulset_row_wide(sts: Obj, now: float) -> list[str]:
    return [*statefulset_row(sts, now), *_container_cells((sts.get("spec") or {}).get("template") or {})]


def _describe_claim_templates(w: _Writer, templates: list[Obj]) -> None:
    if not templates:
        w.write(0, f"Volume Claims:\t{NONE}\n")
        return
    w.write(0, "Volume Claims:\n")
    for claim in templates:
        meta, spec = claim.get("metadata") or {}, claim.get("spec") or {}
        w.write(1, f"Name:\t{meta.get('name') or ''}\n")
        w.write(1, f"StorageClass:\t{claim_class(claim)}\n")
        # printLabelsMultilineWithIndent: kubectl starts continuation lines with the indent, which the tab
        # writer pads to the same column as the plain helper's empty cell.
        _labels_multiline(w, "  Labels", meta.get("labels"))
        _labels_multiline(w, "  Annotations", meta.get("annotations"))
        capacity = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{capacity if capacity is not None else '<default>'}\n")
        w.write(1, f"Access Modes:\t[{' '.join(str(m) for m in spec.get('accessModes') or ())}]\n")


def describe_statefulset(sts: Obj, pods: Iterable[Obj], events: Iterable[Obj] | None, now: float) -> str:
    meta, spec, status = sts["metadata"], sts.get("spec") or {}, sts.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Replicas:\t{_int(spec, 'replicas', 1)} desired | {_int(status, 'replicas')} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type') or ''}\n")
    rolling = strategy.get("rollingUpdate")
    if isinstance(rolling, dict) and rolling.get("partition") is not None:
        w.write(1, f"Partition:\t{rolling['partition']}\n")
        if rolling.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{rolling['maxUnavailable']}\n")
    w.write(0, f"Pods Status:\t{_pod_phase_counts(sts, pods)}\n")
    _describe_pod_template(w, spec.get("template"))
    _describe_claim_templates(w, list(spec.get("volumeClaimTemplates") or ()))
    _describe_events(w, list(events) if events is not None else None, now)
    return w.text()
