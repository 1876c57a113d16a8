"""PATCH bodies by content type: which function applies a patch to the stored object.

Server-side apply (`application/apply-patch+yaml`) is not served yet: it answers 415 with a message that says
what to use instead, so `kubectl apply --server-side` fails clearly rather than half-working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import patch as patches
from ..errors import ApiError
from .status import unsupported_patch_type

Obj = dict[str, Any]
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)
Patcher = Callable[[Obj, Any], Obj]


def _strategic(current: Obj, body: Any) -> Obj:
    # The patch metadata (merge keys, strategies) comes from the object's own apiVersion and kind.
    return patches.strategic_merge_patch(current, body)


_PATCHERS: dict[str, Patcher] = {
    JSON_PATCH: patches.json_patch,
    MERGE_PATCH: patches.merge_patch,
    STRATEGIC_MERGE_PATCH: _strategic,
}


def patcher_for(content_type: str) -> Patcher:
    media = content_type.split(";")[0].strip().lower()
    if media == APPLY_PATCH:
        raise ApiError(415, "UnsupportedMediaType",
                       "server-side apply (application/apply-patch+yaml) is not supported by k9py yet: use "
                       "client-side `kubectl apply` (without --server-side), or a merge or JSON patch")
    found = _PATCHERS.get(media)
    if found is None:
        raise unsupported_patch_type()
    return found
