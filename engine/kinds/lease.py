"""Lease (coordination.k8s.io/v1): each kubelet renews one in kube-node-lease as its heartbeat."""

from __future__ import annotations

from .registry import REGISTRY, KindInfo

LEASE = REGISTRY.register(KindInfo(
    kind="Lease", group="coordination.k8s.io", version="v1", plural="leases", namespaced=True,
    has_status=False, columns=("NAME", "HOLDER", "AGE"),
))
