"""Lease (coordination.k8s.io/v1): each kubelet renews one in kube-node-lease as its heartbeat."""

from __future__ import annotations

from ..printers.duration import age
from .registry import REGISTRY, KindInfo, Obj


def _row(lease: Obj, now: float) -> list[str]:
    """printLease (pkg/printers/internalversion/printers.go): NAME HOLDER AGE, an unset holder prints empty."""
    meta = lease.get("metadata") or {}
    return [meta.get("name", ""), str((lease.get("spec") or {}).get("holderIdentity") or ""),
            age(meta.get("creationTimestamp"), now)]


LEASE = REGISTRY.register(KindInfo(
    kind="Lease", group="coordination.k8s.io", version="v1", plural="leases", namespaced=True,
    has_status=False, columns=("NAME", "HOLDER", "AGE"), row=_row,
    # The lease strategy never sets metadata.generation: renewals (spec.renewTime) do not bump one.
    generation_tracks_spec=False,
))
