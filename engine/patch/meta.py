"""Patch metadata (patch strategy and merge key of each field) read from the official OpenAPI schemas.

kube-apiserver takes these from the Go struct tags of the built-in types (`patchStrategy:"merge"
patchMergeKey:"name"`); the OpenAPI documents carry the same tags as `x-kubernetes-patch-strategy` and
`x-kubernetes-patch-merge-key`, so the definitions engine/manifests/schema.py already loads serve here too
(loaded once, shared). `PatchSchema` answers strategicpatch's LookupPatchMeta questions: for a field of an
object, its metadata and the schema of its value; for a list field, the schema of its elements.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..manifests.schema import _load_registry

__all__ = ["PatchMeta", "PatchSchema", "SchemaLookupError", "patch_schema"]

_STRATEGY = "x-kubernetes-patch-strategy"
_MERGE_KEY = "x-kubernetes-patch-merge-key"

# Definitions that are scalars in JSON although their schema says little (or says "object").
_SCALAR_DEFINITIONS = frozenset({
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
})


class SchemaLookupError(Exception):
    """The schema has no such field, or the field is not what the data needs; the text is upstream's."""


@dataclass(frozen=True)
class PatchMeta:
    """A field's patch strategies (split at commas) and merge key, as the struct tags would give them."""

    strategies: tuple[str, ...] = ()
    merge_key: str = ""


class PatchSchema:
    """One schema node: a struct (named properties), a map (one value schema), a list, a scalar, or anything.

    "anything" (preserve-unknown-fields, RawExtension, a missing definition) answers every lookup with no
    metadata, so such values merge as plain maps and replace as plain lists.
    """

    __slots__ = ("_definitions", "_raw", "items", "kind", "name", "values")

    def __init__(self, definitions: Mapping[str, Any], raw: Mapping[str, Any] | None, name: str) -> None:
        self._definitions = definitions
        self._raw = raw or {}
        self.name = name  # the Go type name upstream's messages use (`PodSpec`), or a kind ("map", "struct")
        self.kind, self.values, self.items = _classify(self._raw)

    def lookup_struct(self, key: str) -> tuple[PatchSchema, PatchMeta]:
        """LookupPatchMetadataForStruct: the value schema and metadata of field `key`."""
        if self.kind == "map":
            return self._resolve(self.values, "map"), PatchMeta()
        if self.kind == "any":
            return self, PatchMeta()
        if self.kind != "struct":
            raise SchemaLookupError("merging an object in json but data type is not map or struct, instead is: "
                                    + ("slice" if self.kind == "list" else "string"))
        prop = self._raw["properties"].get(key)
        if not isinstance(prop, Mapping):
            raise SchemaLookupError(f'unable to find api field in struct {self.name} for the json field "{key}"')
        return self._resolve(prop, "struct"), _meta(prop)

    def lookup_slice(self, key: str) -> tuple[PatchSchema, PatchMeta]:
        """LookupPatchMetadataForSlice: the element schema and metadata of list field `key`."""
        field, meta = self.lookup_struct(key)
        if field.kind != "list":
            # What OpenAPI-based lookup does (PatchMetaFromOpenAPIV3): a field that is not an array is its own
            # element schema. Live objects never hold a list where their type has none, so this only matters for
            # hand-built schemas such as upstream's test type, whose pointer field is patched as a list.
            return field, meta
        return field._resolve(field.items, "struct"), meta

    def _resolve(self, raw: Any, fallback_name: str) -> PatchSchema:
        return _resolve(self._definitions, raw, fallback_name)


def _classify(raw: Mapping[str, Any]) -> tuple[str, Any, Any]:
    """(kind, map value schema, list item schema) of an already dereferenced schema."""
    if raw.get("x-kubernetes-preserve-unknown-fields"):
        return "any", None, None
    types = raw.get("type")
    types = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else set()
    if isinstance(raw.get("properties"), Mapping) and raw["properties"]:
        return "struct", None, None
    if "array" in types:
        return "list", None, raw.get("items")
    if "object" in types:
        extra = raw.get("additionalProperties")
        return ("map", extra, None) if isinstance(extra, Mapping) else ("any", None, None)
    if types:
        return "scalar", None, None
    return "any", None, None


def _meta(prop: Mapping[str, Any]) -> PatchMeta:
    strategy = prop.get(_STRATEGY)
    merge_key = prop.get(_MERGE_KEY)
    return PatchMeta(tuple(strategy.split(",")) if isinstance(strategy, str) and strategy else (),
                     merge_key if isinstance(merge_key, str) else "")


_cache: dict[str, PatchSchema] = {}
_cache_lock = threading.Lock()


def _resolve(definitions: Mapping[str, Any], raw: Any, fallback_name: str) -> PatchSchema:
    """Follow `$ref` / single `allOf` to a definition (cached by name) or build an inline node."""
    if not isinstance(raw, Mapping):
        return PatchSchema(definitions, None, fallback_name)
    all_of = raw.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], Mapping):
        raw = all_of[0]
    ref = raw.get("$ref")
    if not isinstance(ref, str):
        return PatchSchema(definitions, raw, fallback_name)
    name = ref.rsplit("/", 1)[-1]
    return _definition(definitions, name)


def _definition(definitions: Mapping[str, Any], name: str) -> PatchSchema:
    node = _cache.get(name)
    if node is None:
        raw = definitions.get(name)
        if name in _SCALAR_DEFINITIONS:
            raw = {"type": "string"}
        with _cache_lock:
            node = _cache.setdefault(name, PatchSchema(definitions, raw if isinstance(raw, Mapping) else None,
                                                       name.rsplit(".", 1)[-1]))
    return node


def patch_schema(api_version: str, kind: str) -> PatchSchema | None:
    """The patch schema of a built-in kind (`apps/v1`, `Deployment`); None for kinds the schemas lack (CRDs)."""
    registry = _load_registry()
    if registry is None:
        return None
    name = registry.kinds.get((api_version, kind))
    return None if name is None else _definition(registry.definitions, name)
