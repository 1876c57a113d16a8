"""PATCH bodies by content type: which function applies a patch to the stored object, and server-side apply.

Server-side apply (`application/apply-patch+yaml`, or `+json`) is not a patch of the stored object but an
operation of the field manager (engine/fieldmanager): `apply_request` checks the request as kube-apiserver's
PATCH handler does and hands the configuration to `Api.apply`. Every other write names its field manager with
`field_manager` (the `fieldManager` parameter, else the User-Agent's product, as upstream).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import patch as patches
from ..api import Api
from ..errors import ApiError, bad_request
from ..fieldmanager import manager_from_user_agent
from ..kinds import KindInfo
from .query_params import flag
from .status import unsupported_patch_type

Obj = dict[str, Any]
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_JSON = "application/apply-patch+json"
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


def is_apply(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() in (APPLY_PATCH, APPLY_PATCH_JSON)


def _patch_options_invalid(field: str, reason: str, message: str) -> ApiError:
    return ApiError(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: {field}: {message}',
                    group="meta.k8s.io", kind="PatchOptions",
                    causes=[{"reason": reason, "message": message, "field": field}])


def field_manager(query: Mapping[str, str], user_agent: str | None) -> str:
    """The request's field manager: `fieldManager`, else the User-Agent's product (`kubectl`)."""
    return query.get("fieldManager") or manager_from_user_agent(user_agent)


def check_not_forced(query: Mapping[str, str]) -> None:
    """`force` belongs to apply only (ValidatePatchOptions)."""
    if "force" in query:
        raise _patch_options_invalid("force", "FieldValueForbidden",
                                     "Forbidden: may not be specified for non-apply patch")


def apply_request(api: Api, info: KindInfo, name: str, namespace: str | None, subresource: str | None,
                  body: Any, query: Mapping[str, str], dry_run: bool) -> tuple[Obj, bool]:
    """PATCH with an apply configuration: (the object, whether it was created)."""
    manager = query.get("fieldManager") or ""
    if not manager:
        raise _patch_options_invalid("fieldManager", "FieldValueRequired",
                                     "Required value: is required for apply patch")
    if not isinstance(body, dict):
        raise bad_request(f"the body of the request was not a {info.kind} object")
    api_version, kind = str(body.get("apiVersion") or ""), str(body.get("kind") or "")
    if not api_version or not kind:
        group, _, version = api_version.rpartition("/")
        raise bad_request(f"invalid object type: {group}/{version}, Kind={kind}")
    if kind != info.kind or api_version != info.api_version:
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API version "
                          f"({info.api_version})" if api_version != info.api_version else
                          f"the kind in the data ({kind}) does not match the expected kind ({info.kind})")
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        meta = body["metadata"] = {}
    if meta.get("name", name) != name:
        raise bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})")
    if info.namespaced and namespace is not None and meta.get("namespace") not in (None, "", namespace):
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    force = flag(query, "force")
    return api.apply(info, name, namespace, body, manager, force=force, subresource=subresource, dry_run=dry_run)


def patcher_for(content_type: str) -> Patcher:
    media = content_type.split(";")[0].strip().lower()
    found = _PATCHERS.get(media)
    if found is None:
        raise unsupported_patch_type()
    return found
