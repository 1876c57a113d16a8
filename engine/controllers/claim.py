"""Adopting and releasing objects, as client-go's ControllerRefManager does for every workload controller
(pkg/controller/controller_ref_manager.go ClaimObject: AdoptPod / ReleasePod)."""

from __future__ import annotations

from typing import Any

from ..api import Api
from ..errors import ApiError
from ..podutil import owner_reference
from ..store import deep_copy

Obj = dict[str, Any]


def set_controller(api: Api, obj: Obj, owner_uid: str, owner: Obj | None) -> Obj | None:
    """Drop the owner reference to `owner_uid` from `obj`, and add one to `owner` as its controller if given
    (adopt), else leave it unowned (release). Returns the updated object, or None when the update was refused
    (the object changed or went meanwhile: the next sync sees it afresh)."""
    new = deep_copy(obj)
    refs = [r for r in new["metadata"].get("ownerReferences") or () if r.get("uid") != owner_uid]
    if owner is not None:
        refs.append(owner_reference(owner))
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)  # omitempty: no empty list left behind
    try:
        return api.update(new)
    except ApiError:
        return None
