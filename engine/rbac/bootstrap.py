"""The bootstrap policy kube-apiserver reconciles at start (plugin/pkg/auth/authorizer/rbac/bootstrappolicy):
`cluster-admin` bound to system:masters, the user-facing `admin`, `edit` and `view` (aggregated from the
`system:aggregate-to-*` roles and anything else carrying their labels), what every authenticated user may do
(`system:basic-user`, `system:discovery`, `system:public-info-viewer`), the other system roles a user meets, and
the controllers' own roles and bindings (`system:controller:*`, bound to kube-system ServiceAccounts), so that
`kubectl get clusterroles` lists what a real cluster lists. k9py's controllers, scheduler and kubelets do not use
them: they are trusted and never authorized (engine/rbac/access.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .authorizer import GROUP
from .bootstrap_data import CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES

Obj = dict[str, Any]
API_VERSION = f"{GROUP}/v1"


def bootstrap_objects() -> Iterator[Obj]:
    """Fresh copies: the roles, then their bindings."""
    for data, kind in ((CLUSTER_ROLES, "ClusterRole"), (CLUSTER_ROLE_BINDINGS, "ClusterRoleBinding")):
        for item in data:
            obj: Obj = {"apiVersion": API_VERSION, "kind": kind}
            for key, value in item.items():
                obj[key] = _copy(value)
            yield obj


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def ensure_bootstrap_policy(api: Any) -> None:
    """Create what is missing (a user may delete a default role, as on a real cluster; kube-apiserver would put it
    back at its next start, and so does k9py's next start)."""
    api.ensure_created(bootstrap_objects(), "rbac-bootstrap")
