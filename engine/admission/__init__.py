"""kube-apiserver's admission plugins that judge a request by other objects of its namespace, in their order:
LimitRanger mutates (before validation), then, after validation, LimitRanger validates and ResourceQuota (the
last plugin) checks and charges. `engine/api.py` calls `mutate` and `validate`; the other plugins k9py models
live with their kinds (ServiceAccount, DefaultTolerationSeconds: `engine/kinds/pod.py`), except Priority, which
reads PriorityClasses (`priority.py`, after LimitRanger as in the API server's plugin order).

A namespace without LimitRanges or ResourceQuotas costs two dictionary lookups: the store counts objects per
namespace, so nothing is listed unless there is something to enforce.
"""

from __future__ import annotations

from typing import Any

from ..kinds import KindInfo, Obj
from . import limitranger, priority, resourcequota

__all__ = ["mutate", "validate"]


def mutate(api: Any, info: KindInfo, obj: Obj, old: Obj | None) -> None:
    """Mutating admission, before the object is validated: LimitRanger's defaults on a new pod, then its priority."""
    if old is not None or info.resource != "pods":
        return
    meta = obj.get("metadata")
    if isinstance(meta, dict) and api.store.count("limitranges", meta.get("namespace", "")):
        limitranger.mutate(api, info, obj)
    priority.admit(api, obj)


def validate(api: Any, info: KindInfo, obj: Obj, old: Obj | None, dry_run: bool = False, subresource: str = "") -> None:
    """Validating admission, after validation and allocation, before the write: raises the plugin's 403."""
    if not info.namespaced or subresource:
        return  # quota and limit ranges ignore sub-resource requests (scale, status) and cluster-scoped kinds
    namespace = obj["metadata"].get("namespace", "")
    store = api.store
    if store.count("limitranges", namespace):
        limitranger.validate(api, info, obj, old)
    if store.count("resourcequotas", namespace):
        resourcequota.admit(api, info, obj, old, dry_run)
