"""Types for the typed walkers, read from the official OpenAPI definitions engine/manifests/schema.py has loaded.

kube-apiserver converts its OpenAPI models to structured-merge-diff schemas (k8s.io/kube-openapi/pkg/schemaconv);
the same rules apply here:
- a list is associative by `x-kubernetes-list-type: map` and its `x-kubernetes-list-map-keys`, a set by
  `x-kubernetes-list-type: set`, atomic by `atomic`; without the extension, `x-kubernetes-patch-strategy: merge`
  makes it associative (keyed by `x-kubernetes-patch-merge-key`, or a set without one); anything else is atomic;
- a struct or map is atomic by `x-kubernetes-map-type: atomic`, separable otherwise;
- Quantity, IntOrString, Time and MicroTime are scalars; preserve-unknown-fields, RawExtension and kinds the
  schemas lack are "deduced": maps separable, lists atomic (typed/deduced.go).
Nodes are built on first use and cached per definition, so only the parts of the schema objects use are read.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..manifests.schema import _load_registry

__all__ = ["DEDUCED", "TypeNode", "type_for"]

_SCALARS = frozenset({
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
})
# Key fields with a schema default (`+default="TCP"` in the Go types), used when an applied list item omits them.
KEY_DEFAULTS: dict[str, Any] = {"protocol": "TCP"}


class TypeNode:
    """One type: `struct` (named fields), `map` (one value type), `list`, `scalar`, or `deduced`."""

    __slots__ = ("_children", "_definitions", "_elem", "_elem_raw", "_fields", "_raw", "atomic", "dict_shape",
                 "keys", "kind", "list_shape", "list_type")

    def __init__(self, definitions: Mapping[str, Any] | None, raw: Mapping[str, Any] | None,
                 extensions: Mapping[str, Any] | None = None) -> None:
        self._definitions = definitions
        self._raw = raw or {}
        self._fields: dict[str, TypeNode] = {}
        self._elem: TypeNode | None = None
        self._elem_raw: Any = None
        self.atomic = False
        self.keys: tuple[str, ...] = ()
        self.list_type = ""  # "map", "set" or "atomic" for lists
        raw = self._raw
        types = raw.get("type")
        types = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else set()
        if definitions is None or raw.get("x-kubernetes-preserve-unknown-fields"):
            self.kind = "deduced"
        elif isinstance(raw.get("properties"), Mapping) and raw["properties"]:
            self.kind = "struct"
            self.atomic = raw.get("x-kubernetes-map-type") == "atomic"
        elif "array" in types:
            self.kind = "list"
            self._elem_raw = raw.get("items")
            self.list_type, self.keys = _list_type(extensions or {})
            self.atomic = self.list_type == "atomic"
        elif "object" in types:
            extra = raw.get("additionalProperties")
            if isinstance(extra, Mapping):
                self.kind = "map"
                self._elem_raw = extra
                self.atomic = raw.get("x-kubernetes-map-type") == "atomic"
            else:
                self.kind = "deduced"
        elif types:
            self.kind = "scalar"
        else:
            self.kind = "deduced"
        # How the typed walkers take a map or a list of this type (typed.py's `_shape`, decided once here):
        # "map" (separable fields), "list" (associative items) or "leaf".
        separable = self.kind == "deduced" or (self.kind in ("struct", "map") and not self.atomic)
        self.dict_shape = "map" if separable else "leaf"
        self.list_shape = "list" if self.kind == "list" and not self.atomic else "leaf"
        self._children: dict[str, tuple[TypeNode, bool]] = {}

    def field(self, name: str) -> TypeNode:
        """The type of a struct field or map value; DEDUCED for what the schema does not know."""
        found = self._fields.get(name)
        if found is not None:
            return found
        if self.kind == "map":
            return self.elem()
        if self.kind != "struct":
            return DEDUCED
        prop = self._raw["properties"].get(name)
        node = _resolve(self._definitions, prop) if isinstance(prop, Mapping) else DEDUCED
        self._fields[name] = node
        return node

    def child(self, name: str) -> tuple[TypeNode, bool]:
        """`field(name)` and `has_field(name)` at once, cached: what to_field_set asks of every field."""
        found = self._children.get(name)
        if found is None:
            found = self._children[name] = (self.field(name), self.has_field(name))
        return found

    def has_field(self, name: str) -> bool:
        """A named field of a struct (FindField): what EnsureNamedFieldsAreMembers promotes."""
        return self.kind == "struct" and name in self._raw["properties"]

    def required(self) -> tuple[str, ...]:
        """A struct's required fields: in the Go types these lack `omitempty`, so an empty object already has
        them (as null or as an empty struct)."""
        names = self._raw.get("required") if self.kind == "struct" else None
        return tuple(names) if isinstance(names, list) else ()

    def elem(self) -> TypeNode:
        if self._elem is None:
            self._elem = _resolve(self._definitions, self._elem_raw) if isinstance(self._elem_raw, Mapping) \
                else DEDUCED
        return self._elem


def _list_type(ext: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """getListElementRelationship (kube-openapi schemaconv)."""
    list_type = ext.get("x-kubernetes-list-type")
    if list_type == "map":
        return "map", tuple(ext.get("x-kubernetes-list-map-keys") or ())
    if list_type in ("set", "atomic"):
        return str(list_type), ()
    strategy = ext.get("x-kubernetes-patch-strategy")
    if isinstance(strategy, str) and "merge" in strategy.split(","):
        key = ext.get("x-kubernetes-patch-merge-key")
        return ("map", (key,)) if isinstance(key, str) and key else ("set", ())
    return "atomic", ()


DEDUCED = TypeNode(None, None)
_cache: dict[str, TypeNode] = {}
_lock = threading.Lock()


def _resolve(definitions: Mapping[str, Any] | None, raw: Mapping[str, Any]) -> TypeNode:
    """A property's type: its `$ref` (through a single `allOf`) or its inline schema, with the property's own
    extensions (list type, keys), which sit beside the `$ref` or on the array schema."""
    target = raw
    all_of = raw.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], Mapping):
        target = all_of[0]
    ref = target.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        node = _definition(definitions, name)
        if raw.get("x-kubernetes-map-type") == "atomic" and not node.atomic:
            node = _atomic_copy(node)
        return node
    return TypeNode(definitions, target, raw)


def _atomic_copy(node: TypeNode) -> TypeNode:
    copy = TypeNode(node._definitions, node._raw)
    copy.atomic = True
    return copy


def _definition(definitions: Mapping[str, Any] | None, name: str) -> TypeNode:
    node = _cache.get(name)
    if node is None:
        raw = (definitions or {}).get(name)
        if name in _SCALARS:
            raw = {"type": "string"}
        elif name.endswith(("runtime.RawExtension", "apiextensions.v1.JSON")):
            raw = None
        with _lock:
            node = _cache.setdefault(name, TypeNode(definitions if raw is not None else None,
                                                    raw if isinstance(raw, Mapping) else None, raw))
    return node


def type_for(api_version: str, kind: str) -> TypeNode:
    """The root type of a built-in kind; DEDUCED for kinds the schemas lack (custom resources)."""
    found = _roots.get((api_version, kind))
    if found is not None:
        return found
    registry = _load_registry()
    if registry is None:
        return DEDUCED
    name = registry.kinds.get((api_version, kind))
    found = DEDUCED if name is None else _definition(registry.definitions, name)
    with _lock:
        return _roots.setdefault((api_version, kind), found)


_roots: dict[tuple[str, str], TypeNode] = {}  # type_for's answers: asked for every write of a tracked object
