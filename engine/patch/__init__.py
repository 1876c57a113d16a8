"""The three patch formats of the Kubernetes API, applied to plain Kubernetes-shaped dicts, with no HTTP.

- `json_patch(obj, ops)`: RFC 6902 (`application/json-patch+json`), as evanphx/json-patch.v4 applies it;
- `merge_patch(obj, patch)`: RFC 7386 (`application/merge-patch+json`);
- `strategic_merge_patch(obj, patch, schema=None)`: apimachinery's strategic merge patch
  (`application/strategic-merge-patch+json`), with the built-in kinds' patch metadata from the OpenAPI schemas;
- `create_three_way_merge_patch(original, modified, current, schema)`: the patch client-side `kubectl apply`
  sends.
Each returns a new object and leaves its arguments alone; failures raise engine.errors.ApiError carrying the
`Status` a real API server answers with (400, 413, 415, 422 or 500, as kube-apiserver v1.36 does).
"""

from .json_patch import MAX_JSON_PATCH_OPERATIONS, json_patch
from .merge_patch import merge_patch
from .meta import PatchMeta, PatchSchema, patch_schema
from .strategic import CUSTOM_RESOURCE_PATCH_TYPES, strategic_merge_patch

__all__ = [
    "CUSTOM_RESOURCE_PATCH_TYPES",
    "MAX_JSON_PATCH_OPERATIONS",
    "PatchMeta",
    "PatchSchema",
    "json_patch",
    "merge_patch",
    "patch_schema",
    "strategic_merge_patch",
]
