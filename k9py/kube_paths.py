"""Where a kind's objects live in the Kubernetes API: `/api/v1/namespaces/NS/pods`, `/apis/apps/v1/deployments`."""

from __future__ import annotations

from engine.kinds import REGISTRY, KindInfo


def collection_path(info: KindInfo, namespace: str | None = None) -> str:
    """The list/watch URL of a kind: in one namespace, or across all of them (and for cluster-scoped kinds)."""
    root = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    scope = f"/namespaces/{namespace}" if namespace and info.namespaced else ""
    return f"{root}{scope}/{info.plural}"


def object_path(info: KindInfo, name: str, namespace: str | None = None, subresource: str = "") -> str:
    return f"{collection_path(info, namespace or 'default')}/{name}" + (f"/{subresource}" if subresource else "")


def kind_of_resource(resource: str) -> KindInfo:
    """The kind of a qualified resource name (`replicasets.apps`, `pods`), as the printers name them."""
    return REGISTRY.resolve(resource)
