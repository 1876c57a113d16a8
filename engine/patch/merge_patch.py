"""RFC 7386 JSON merge patch, as kube-apiserver applies it (evanphx/json-patch.v4 MergePatch).

Members of the patch set to null delete; objects merge member by member; anything else (arrays included)
replaces. Like the server's library, nulls inside an object that is added where there was nothing are dropped,
while an array is taken exactly as written.
"""

from __future__ import annotations

from typing import Any

from ..store import deep_copy
from .errors import bad_request, go_json_type

__all__ = ["merge_patch", "prune_nulls"]


def merge_patch(obj: Any, patch: Any) -> Any:
    """`obj` with the merge patch `patch` (a decoded JSON value) applied; neither argument is modified.

    Raises ApiError 400 as the server does: `Invalid JSON Patch` for a null patch, a decoding error for a patch
    that is not an object.
    """
    if patch is None:
        raise bad_request("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise bad_request(f"error decoding patch: json: cannot unmarshal {go_json_type(patch)} into Go value of "
                          "type map[string]interface {}")
    patch = deep_copy(patch)  # JSON-shaped: several times faster than copy.deepcopy
    if not isinstance(obj, dict):
        return prune_nulls(patch)
    result = deep_copy(obj)
    _merge_into(result, patch)
    return result


def _merge_into(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
        elif doc.get(key) is None:
            doc[key] = prune_nulls(value)
        else:
            doc[key] = _merge_value(doc[key], value)


def _merge_value(current: Any, patch: Any) -> Any:
    if not isinstance(current, dict):
        return prune_nulls(patch)
    if not isinstance(patch, dict):
        return patch
    _merge_into(current, patch)
    return current


def prune_nulls(value: Any) -> Any:
    """Drop null members of objects, at any depth (pruneNulls); null array elements stay."""
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            prune_nulls(item)
    elif isinstance(value, list):
        for item in value:
            if item is not None:
                prune_nulls(item)
    return value
