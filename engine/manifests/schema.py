"""Strict structural validation of manifests against the official Kubernetes OpenAPI schemas.

The schema *data* comes from the `kubernetes-validate` package (JSON schemas generated from each Kubernetes
release's OpenAPI document); its own jsonschema-based validator costs milliseconds per document, far too slow for
loading thousands of documents, so this module compiles the definitions into small checker nodes instead. A node is
created shallowly when first referenced and compiled (its properties, items and map values) the first time a value
is checked against it, so only the parts of the schema that manifests actually use are ever compiled, and `$ref`
cycles (JSONSchemaProps) are harmless.

`validate_structure(obj)` reports what `kubectl apply` with strict field validation would reject before any
semantic validation runs: unknown fields (with a "did you mean" suggestion) and values of the wrong JSON type.
It never raises and never imports the `kubernetes_validate` package itself (that would drag in jsonschema).
"""

from __future__ import annotations

import datetime
import difflib
import importlib.resources
import importlib.util
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["MAX_ERRORS", "schema_version", "validate_structure"]

MAX_ERRORS = 20  # per document: past this the author has a bigger problem than one more line would explain

_SCHEMA_PACKAGE = "kubernetes_validate"
_SCHEMA_FOLDER = "kubernetes-json-schema"
_DEFINITIONS_FILE = "_definitions.json"
# `v1.37.0-local-strict`: `local` means `$ref`s point inside the bundle, `strict` adds additionalProperties: false.
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(-local)?(-strict)?$")

_TYPE_ORDER = ("integer", "number", "string", "boolean", "object", "array", "null")
# Exact Python types that fully satisfy a JSON type with no deeper look; `bool` is deliberately absent from
# integer/number because `True` is an `int` in Python but a boolean in JSON.
_FAST_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}

# Definitions whose generated schema misdescribes what the API server accepts, or that must not be descended into.
_STRING_OR_NUMBER = frozenset({"string", "number"})
_STRING_OR_INTEGER = frozenset({"string", "integer"})
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"  # `cpu: 1` and `cpu: 500m`, strings parsed
# resource.ParseQuantity's first test; what passes it and still fails (a bad suffix) is the API's to refuse.
_QUANTITY_TEXT = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_QUANTITY_MESSAGE = f"quantities must match the regular expression '{_QUANTITY_TEXT.pattern}'"
_SPECIAL_DEFINITIONS: dict[str, frozenset[str] | None] = {  # None: any JSON value
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _STRING_OR_INTEGER,  # `maxSurge: 1` and `"25%"`
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": frozenset({"string"}),
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": frozenset({"string"}),
    "io.k8s.apimachinery.pkg.runtime.RawExtension": None,  # an embedded object of any kind
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": None,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": None,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": None,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": None,
}


class _Full(Exception):
    """Raised once a document has MAX_ERRORS errors: unwinding beats testing a counter at every field."""


class _Node:
    """A compiled schema: what JSON types it accepts and, for objects/arrays, how to check what is inside."""

    __slots__ = ("any", "array", "extra", "fast", "items", "names", "object", "props", "quantity", "raw", "ready",
                 "registry", "type_text", "types")

    def __init__(self, registry: _Registry, raw: Mapping[str, Any] | None, types: frozenset[str] | None) -> None:
        self.registry = registry
        self.raw = raw  # the schema to compile on first use; None once compiled or for built-in leaf nodes
        self.any = types is None
        self.types: frozenset[str] = types or frozenset()
        self.type_text = " or ".join(t for t in _TYPE_ORDER if t in self.types) or "null"
        self.object = "object" in self.types
        self.array = "array" in self.types
        self.props: dict[str, _Node] | None = None  # a closed object's fields
        self.names: list[str] = []  # sorted field names, for suggestions
        self.extra: _Node | None = None  # additionalProperties: the value schema of a map
        self.items: _Node | None = None
        fast: set[type] = set()
        for t in self.types:
            fast.update(_FAST_TYPES.get(t, ()))
        raw_map = raw or {}
        # Objects and arrays are "fast" (no descent needed) only when the schema says nothing about their contents.
        if self.object and not raw_map.get("properties") and not isinstance(raw_map.get("additionalProperties"),
                                                                            Mapping):
            fast.add(dict)
        if self.array and not isinstance(raw_map.get("items"), Mapping):
            fast.add(list)
        self.fast = frozenset(fast)
        self.quantity = False  # a resource.Quantity: its strings are parsed, not just typed
        self.ready = raw is None

    def compile(self) -> None:
        # Once per node, under a lock: two threads compiling together could otherwise leave a node half-built.
        with self.registry.compile_lock:
            if self.ready:
                return
            raw = self.raw or {}
            make = self.registry.make
            props = raw.get("properties")
            if self.object and isinstance(props, Mapping) and props:
                # Closed even without `additionalProperties: false` (the non-strict schema variant): kubectl's
                # default strict field validation rejects unknown fields of every built-in kind.
                self.props = {str(name): make(sub) for name, sub in props.items()}
                self.names = sorted(self.props)
            extra = raw.get("additionalProperties")
            if self.object and isinstance(extra, Mapping):
                self.extra = make(extra)
            items = raw.get("items")
            if self.array and isinstance(items, Mapping):
                self.items = make(items)
            self.raw = None
            self.ready = True  # last: readers test `ready` without the lock


class _Registry:
    """All definitions of one Kubernetes version, indexed by apiVersion+kind, compiled on demand."""

    def __init__(self, version: str, definitions: Mapping[str, Any]) -> None:
        self.version = version
        self.definitions = definitions
        self.nodes: dict[str, _Node] = {}
        self.lock = threading.RLock()  # guards `nodes`; re-entrant because `allOf: [$ref]` nests definition()
        self.compile_lock = threading.Lock()  # separate: compiling creates nodes, which takes `lock`
        self.any = _Node(self, None, None)
        self.kinds: dict[tuple[str, str], str] = {}
        for name, schema in definitions.items():
            gvks = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, Mapping) else None
            for gvk in gvks if isinstance(gvks, list) else ():
                if not isinstance(gvk, Mapping):
                    continue
                group, ver, kind = gvk.get("group") or "", gvk.get("version"), gvk.get("kind")
                if isinstance(ver, str) and isinstance(kind, str):
                    self.kinds.setdefault((f"{group}/{ver}" if group else ver, kind), name)

    def definition(self, name: str) -> _Node:
        node = self.nodes.get(name)
        if node is None:
            with self.lock:
                node = self.nodes.get(name)
                if node is None:
                    node = self._definition_node(name)
                    self.nodes[name] = node
        return node

    def _definition_node(self, name: str) -> _Node:
        if name == _QUANTITY:
            node = _Node(self, None, _STRING_OR_NUMBER)
            node.quantity, node.fast = True, frozenset({int, float})
            return node
        if name in _SPECIAL_DEFINITIONS:
            special = _SPECIAL_DEFINITIONS[name]
            return self.any if special is None else _Node(self, None, special)
        schema = self.definitions.get(name)
        if not isinstance(schema, Mapping):
            return self.any  # a dangling $ref must not turn into false errors
        return self._node(schema)

    def make(self, schema: Any) -> _Node:
        if not isinstance(schema, Mapping):
            return self.any
        ref = schema.get("$ref")
        if isinstance(ref, str):
            # `#/$defs/NAME`, `#/definitions/NAME` or `/api/_definitions.json#/$defs/NAME`; names have no slash.
            return self.definition(ref.rsplit("/", 1)[-1])
        return self._node(schema)

    def _node(self, schema: Mapping[str, Any]) -> _Node:
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return self.any
        if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
            return _Node(self, None, _STRING_OR_INTEGER)
        for combinator in ("oneOf", "anyOf"):
            branches = schema.get(combinator)
            if isinstance(branches, list):
                # Only unions of plain types (Quantity, IntOrString) are understood; anything richer is accepted
                # rather than guessed at, since a false error on a valid manifest is worse than a missed one.
                union: set[str] = set()
                for branch in branches:
                    if not isinstance(branch, Mapping) or set(branch) - {"type", "format", "description"}:
                        return self.any
                    branch_types = _types(branch.get("type"))
                    if branch_types is None:
                        return self.any
                    union |= branch_types
                return _Node(self, None, frozenset(union))
        all_of = schema.get("allOf")
        if isinstance(all_of, list):
            return self.make(all_of[0]) if len(all_of) == 1 else self.any
        types = _types(schema.get("type"))
        if types is None:
            if isinstance(schema.get("properties"), Mapping):
                types = frozenset({"object"})
            else:
                return self.any  # no type at all (apiextensions JSON): any value
        return _Node(self, schema, types)


def _types(raw: Any) -> frozenset[str] | None:
    """The non-null JSON types a `type` keyword allows; None when it is absent or unreadable."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        return None
    return frozenset(t for t in raw if t != "null")


_registry: _Registry | None = None
_registry_loaded = False
_registry_lock = threading.Lock()


def _schema_root() -> Path | None:
    # find_spec locates the package without importing it: importing kubernetes_validate pulls in jsonschema and
    # referencing (~90 ms), and only its data files are wanted here.
    spec = importlib.util.find_spec(_SCHEMA_PACKAGE)
    if spec is None:
        return None
    for location in spec.submodule_search_locations or ():
        folder = Path(location) / _SCHEMA_FOLDER
        if folder.is_dir():
            return folder
    folder = Path(str(importlib.resources.files(_SCHEMA_PACKAGE) / _SCHEMA_FOLDER))
    return folder if folder.is_dir() else None


def _pick_version(root: Path) -> tuple[str, Path] | None:
    """The newest Kubernetes version bundled, preferring its strict `-local` variant."""
    best: tuple[tuple[int, ...], Path] | None = None
    for entry in root.iterdir():
        match = _VERSION_DIR.match(entry.name)
        if not match or not (entry / _DEFINITIONS_FILE).is_file():
            continue
        major, minor, patch, local, strict = match.groups()
        rank = (int(major), int(minor), int(patch), bool(local), bool(strict))
        if best is None or rank > best[0]:
            best = (rank, entry)
    if best is None:
        return None
    return "v{}.{}.{}".format(*best[0][:3]), best[1]


def _load_registry() -> _Registry | None:
    global _registry, _registry_loaded
    if _registry_loaded:
        return _registry
    with _registry_lock:
        if not _registry_loaded:
            try:
                root = _schema_root()
                picked = _pick_version(root) if root else None
                if picked:
                    version, folder = picked
                    document = json.loads((folder / _DEFINITIONS_FILE).read_bytes())
                    definitions = document.get("$defs") or document.get("definitions")
                    if isinstance(definitions, Mapping):
                        _registry = _Registry(version, definitions)
            except (OSError, ValueError, ImportError):
                _registry = None  # no schemas installed or unreadable: validation is off, never an exception
            _registry_loaded = True
    return _registry


def schema_version() -> str | None:
    """The Kubernetes version whose schemas are used (`v1.37.0`), or None when none are installed."""
    registry = _load_registry()
    return registry.version if registry else None


def validate_structure(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, message) pairs for unknown fields and wrongly typed values in one manifest document.

    Paths look like `spec.template.spec.containers[0].image` (map entries as `metadata.labels[app]`). Messages
    follow Kubernetes' wording: `unknown field "spec.replica" (did you mean "replicas"?)`, which names the field
    itself as kubectl's strict decoding error does, and `Invalid value: "three": must be of type integer`, which
    goes after `path: ` as in apimachinery's field errors. Kinds the schemas do not know (CRDs, typos in `kind`)
    give [], as does anything that is not a mapping; top-level `status` is not checked; null is accepted for
    every field, as the API server does. At most MAX_ERRORS errors are returned.
    """
    try:
        if not isinstance(obj, Mapping):
            return []
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return []
        registry = _load_registry()
        if registry is None:
            return []
        name = registry.kinds.get((api_version, kind))
        if name is None:
            return []
        root = registry.definition(name)
        if "status" in obj:
            obj = {k: v for k, v in obj.items() if k != "status"}
    except (TypeError, ValueError, RecursionError):
        return []  # a Mapping whose methods misbehave, or a schema that only refers to itself: nothing to check
    errors: list[tuple[str, str]] = []
    try:
        _visit(root, obj, "", errors)
    except _Full:
        pass
    except RecursionError:
        # Only the recursive CRD schema can nest this deep, and only with absurd input; say so instead of crashing.
        if len(errors) < MAX_ERRORS:
            errors.append(("", "document nests too deeply to validate"))
    return errors


def _visit(node: _Node, value: Any, path: str, errors: list[tuple[str, str]]) -> None:
    """Check `value` (not None, and not already accepted by the caller's fast type test) against `node`."""
    if not node.ready:
        node.compile()
    if node.any:
        return
    if isinstance(value, (dict, Mapping)):  # dict first: it settles real documents before the slow ABC check
        if node.object:
            if node.props is not None:
                _check_fields(node, value, path, errors)
            elif node.extra is not None:
                _check_map(node.extra, value, path, errors)
            return
    elif isinstance(value, (list, tuple)):
        if node.array:
            if node.items is not None:
                _check_items(node.items, value, path, errors)
            return
    elif _scalar_matches(node.types, value):
        if node.quantity and isinstance(value, str) and not _QUANTITY_TEXT.match(value):
            _add(errors, path, f"Invalid value: {_render(value)}: {_QUANTITY_MESSAGE}")
        return
    _add(errors, path, f"Invalid value: {_render(value)}: must be of type {node.type_text}")


def _check_fields(node: _Node, obj: Mapping[Any, Any], path: str, errors: list[tuple[str, str]]) -> None:
    props = node.props or {}
    prefix = path + "." if path else ""
    extra = node.extra
    for key, value in obj.items():
        child = props.get(key)
        if child is None:
            field = prefix + (key if isinstance(key, str) else str(key))
            if extra is not None:  # properties plus a value schema for the rest (not used by built-in kinds)
                if value is not None and type(value) not in extra.fast:
                    _visit(extra, value, field, errors)
                continue
            _add(errors, field, _unknown_message(node, key, field))
            continue
        # The common case is a scalar of the right type: settle it here without a call.
        if value is None or type(value) in child.fast:
            continue
        _visit(child, value, prefix + key, errors)


def _check_map(extra: _Node, obj: Mapping[Any, Any], path: str, errors: list[tuple[str, str]]) -> None:
    fast = extra.fast
    for key, value in obj.items():
        if value is None or type(value) in fast:
            continue
        _visit(extra, value, f"{path}[{key}]", errors)


def _check_items(item: _Node, values: list[Any] | tuple[Any, ...], path: str, errors: list[tuple[str, str]]) -> None:
    fast = item.fast
    for index, value in enumerate(values):
        if value is None or type(value) in fast:
            continue
        _visit(item, value, f"{path}[{index}]", errors)


def _scalar_matches(types: frozenset[str], value: Any) -> bool:
    """The slow path for scalars the fast exact-type test did not settle (subclasses, 3.0, dates)."""
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, int):
        return "integer" in types or "number" in types
    if isinstance(value, float):
        # JSON has one number type: 3.0 is an integer there, and Kubernetes' decoder accepts it for int fields.
        return "number" in types or ("integer" in types and value.is_integer())
    if isinstance(value, (str, datetime.date)):
        # A YAML timestamp the caller did not turn back into text is still a string in the JSON Kubernetes sees.
        return "string" in types
    return False


def _add(errors: list[tuple[str, str]], path: str, message: str) -> None:
    errors.append((path, message))
    if len(errors) >= MAX_ERRORS:
        raise _Full


def _unknown_message(node: _Node, key: Any, field: str) -> str:
    message = f"unknown field {_quote(field)}"
    suggestion = _suggest(str(key), node.names)
    return f"{message} (did you mean {_quote(suggestion)}?)" if suggestion else message


def _suggest(key: str, names: list[str]) -> str | None:
    lowered = key.lower()
    for name in names:  # a case slip (imagePullpolicy) is the likeliest typo: prefer it to fuzzy matches
        if name.lower() == lowered:
            return name
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _render(value: Any, limit: int = 80) -> str:
    """A value as Kubernetes prints it in `Invalid value:`: strings quoted, numbers and booleans bare."""
    if isinstance(value, str) and len(value) > limit:
        return _quote(value[: limit - 5] + "...")  # keep the quotes so it still reads as a string
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=True)
    except Exception:  # only cosmetic: a value whose str() fails must not turn a report into a crash
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
