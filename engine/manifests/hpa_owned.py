"""A watched folder and a HorizontalPodAutoscaler: who owns `spec.replicas`.

A Deployment whose file declares `replicas: 3` and that an HPA scales to 7 is, to a folder applied as declared,
drift: every sync (a save, `S`, `--self-heal`) would set it back to 3 and the HPA would scale it up again, as
Argo CD's self-heal and Flux's reconciliation do. Their advice:

- Argo CD: leave `spec.replicas` out of the manifest, or ignore it, `ignoreDifferences` on the
  `/spec/replicas` JSON pointer of the Deployment, with `RespectIgnoreDifferences=true` so a sync applies the
  live value instead of the declared one;
- Flux: leave `spec.replicas` out of the manifest (its docs on HPAs; kustomize-controller has no ignore rule).

k9py does the Argo CD way, without asking: once an HPA in the object's namespace targets it (its
`scaleTargetRef` names the object's kind and name), the folder's `spec.replicas` is the initial size only. It is
applied when the object is created; afterwards every apply of the document (a save, a re-sync, self-heal) applies
the live count instead, so it changes nothing and the HPA's next scale takes the field back, and drift ignores
`spec.replicas` (never OutOfSync, never reverted, never written back by `w`). Leaving `replicas` out of the file
works too, as in Argo CD and Flux.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kinds import REGISTRY
from ..store import Store
from .diff import FieldDiff

Obj = dict[str, Any]
HPA_RESOURCE = "horizontalpodautoscalers.autoscaling"
REPLICAS_PATH = "spec.replicas"


def scaling_hpa(store: Store, obj: Obj) -> str | None:
    """The name of an HPA that scales `obj` (the first by name), or None."""
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        return None
    return scaled_by(store.iter(HPA_RESOURCE, str(meta.get("namespace") or "")), obj)


def scaled_by(hpas: Iterable[Obj], obj: Obj) -> str | None:
    """The name of the HPA among `hpas` (those of `obj`'s namespace, from any API server) that scales `obj`, the
    first by name; None when none does."""
    info = REGISTRY.by_kind(str(obj.get("kind", "")))
    meta = obj.get("metadata") or {}
    if info is None or not info.scalable or not isinstance(meta, dict):
        return None
    found = [hpa["metadata"]["name"] for hpa in hpas if _targets(hpa, info.group, info.kind, str(meta.get("name", "")))]
    return min(found) if found else None


def _targets(hpa: Obj, group: str, kind: str, name: str) -> bool:
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    api_version = str(ref.get("apiVersion") or "")
    return (
        ref.get("kind") == kind
        and ref.get("name") == name
        and (api_version.split("/")[0] if "/" in api_version else "") == group
    )


def respecting_hpa(store: Store, declared: Obj, live: Obj | None) -> Obj:
    """`declared` as a folder applies it: with the live `spec.replicas` when an HPA scales the live object."""
    if live is None or scaling_hpa(store, live) is None:
        return declared
    return with_live_replicas(declared, live)


def with_live_replicas(declared: Obj, live: Obj) -> Obj:
    """`declared` with `live`'s `spec.replicas` in place of its own (the document as applied once an HPA scales)."""
    replicas = (live.get("spec") or {}).get("replicas")
    spec = declared.get("spec")
    if not isinstance(spec, dict) or "replicas" not in spec or replicas is None or spec["replicas"] == replicas:
        return declared
    return {**declared, "spec": {**spec, "replicas": replicas}}


def without_hpa_fields(store: Store, live: Obj | None, diffs: list[FieldDiff]) -> list[FieldDiff]:
    """`diffs` without `spec.replicas` when an HPA scales the live object: the HPA's to set, not the folder's."""
    if not diffs or live is None or not any(d.path == REPLICAS_PATH for d in diffs):
        return diffs
    if scaling_hpa(store, live) is None:
        return diffs
    return without_replicas(diffs)


def without_replicas(diffs: list[FieldDiff]) -> list[FieldDiff]:
    """`diffs` without `spec.replicas`, for an object an HPA scales."""
    return [d for d in diffs if d.path != REPLICAS_PATH]
