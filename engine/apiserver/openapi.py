"""OpenAPI v3 for every served kind, with the official schemas, and an empty OpenAPI v2 document.

kubectl reads `/openapi/v3/<group-version>` for `explain` (the kind's schema, found by its
x-kubernetes-group-version-kind), for client-side `apply` (strategic merge patch computed from the schema's
x-kubernetes-patch-strategy and merge keys) and to see that PATCH takes `fieldValidation`, so the server validates
`apply`/`create` input (without a document it fails with "failed to download openapi").

The schemas come from the bundle engine/manifests/schema.py validates with (`kubernetes-validate`: JSON Schema
generated from each release's OpenAPI), the served Kubernetes version's release of it. They are turned back into
kube-apiserver's OpenAPI v3 form (one `type` rather than `[type, "null"]`, `#/components/schemas/` references
wrapped in `allOf` when the field describes itself). The bundle derives from OpenAPI v2, which kube-apiserver
writes without field enums and defaults, so those are missing: `kubectl explain` prints no `enum:` line and no
"Possible enum values" for a field such as deployment.spec.strategy.type. Paths are only each kind's create
(POST) and patch operations, what kubectl reads of them.

Documents are built on first request, all at once, and cached as bytes; the parsed bundle (1.6 MB of JSON) is let
go of after, and the root (`/openapi/v3`) needs no document built: its hashes digest what a document is made from.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from ..kinds import KindInfo, Registry
from ..manifests.schema import _DEFINITIONS_FILE, _pick_version, _schema_root
from . import discovery

Doc = dict[str, Any]
PATCH_MEDIA = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json")
FORMAT = 1  # of the documents built here: part of their hash, so kubectl's cache never serves an older build
_QUERY = ("dryRun", "fieldManager", "fieldValidation", "force")
_SCHEMAS = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
# Types kube-apiserver's OpenAPI writes by hand (their Go types marshal themselves); the bundle has them as
# unions of nullable types.
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_HAND_WRITTEN: dict[str, Doc] = {
    _INT_OR_STRING: {
        "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
                       "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to "
                       "have, for example, a JSON field that can accept a name or number.",
        "format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
    _QUANTITY: {"oneOf": [{"type": "string"}, {"type": "number"}]},
}
_KEY_ORDER = ("description", "type", "format", "required", "items", "properties", "additionalProperties", "allOf",
              "oneOf", "enum")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _convert(schema: Any, definition: bool = False) -> Any:
    """A bundle (JSON Schema) node in kube-apiserver's OpenAPI v3 form. `definition`: a top-level schema, whose
    generated apiVersion/kind enums (the bundle's addition) are dropped."""
    if not isinstance(schema, Mapping):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = {"$ref": _SCHEMAS + ref.rsplit("/", 1)[-1]}
        rest = {k: _convert(v) for k, v in schema.items() if k != "$ref"}
        return {**_ordered(rest), "allOf": [target]} if rest else target
    out: Doc = {}
    for key, value in schema.items():
        if key == "type":
            types = [value] if isinstance(value, str) else [t for t in value if t != "null"]
            if len(types) == 1:
                out["type"] = types[0]
        elif key == "properties" and isinstance(value, Mapping):
            out[key] = {name: _convert(prop) for name, prop in value.items()}
            if definition and "x-kubernetes-group-version-kind" in schema:
                for name in ("apiVersion", "kind"):
                    if isinstance(out[key].get(name), dict):
                        out[key][name].pop("enum", None)
        elif key == "additionalProperties" and value is False:
            continue  # the strict bundle's addition: kube-apiserver's schemas leave it out
        elif key in ("items", "additionalProperties"):
            out[key] = _convert(value)
        elif key in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
            out[key] = [_convert(v) for v in value]
        else:
            out[key] = value
    return _ordered(out)


def _ordered(node: Doc) -> Doc:
    rank = {key: i for i, key in enumerate(_KEY_ORDER)}
    return dict(sorted(node.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(definitions: Mapping[str, Any], roots: list[str]) -> dict[str, Doc]:
    """The named definitions and every definition they reference, converted."""
    out: dict[str, Doc] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in out:
            continue
        raw = definitions.get(name)
        if name in _HAND_WRITTEN:
            out[name] = _HAND_WRITTEN[name]
            continue
        if not isinstance(raw, Mapping):
            continue
        out[name] = _convert(raw, definition=True)
        found: set[str] = set()
        _refs(raw, found)
        pending.extend(found - set(out))
    return dict(sorted(out.items()))


def _operation(action: str, info: KindInfo, schema: str | None) -> Doc:
    """POST on the collection (`create`) or PATCH on an object, as kube-apiserver describes them; the PATCH
    parameters tell kubectl the server validates fields (fieldValidation)."""
    scope = "Namespaced" if info.namespaced else ""
    gv = "".join(part.capitalize() for part in (info.group.split(".")[0], info.version) if part)
    kind_ref = {"$ref": _SCHEMAS + schema} if schema else {"type": "object"}
    query = _QUERY if action == "patch" else _QUERY[:3]
    if action == "patch":
        body = {m: {"schema": {"$ref": _SCHEMAS + _META + "Patch"}} for m in PATCH_MEDIA}
    else:
        body = {"*/*": {"schema": kind_ref}}
    return {
        "operationId": f"{action}{gv or 'CoreV1'}{scope}{info.kind}",
        "parameters": [{"name": name, "in": "query",
                        "schema": {"type": "boolean" if name == "force" else "string", "uniqueItems": True}}
                       for name in query],
        "requestBody": {"content": body, "required": True},
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": kind_ref}}}},
        "x-kubernetes-action": "post" if action == "create" else action,
        "x-kubernetes-group-version-kind": {"group": info.group, "version": info.version, "kind": info.kind},
    }


def _schema_names(kinds: Mapping[tuple[str, str], str], info: KindInfo) -> list[str]:
    """The kind's definition, its List's when it can be listed, and autoscaling/v1 Scale when it scales."""
    wanted = [(info.api_version, info.kind)]
    if "list" in discovery.verbs(info):
        wanted.append((info.api_version, f"{info.kind}List"))
    if info.scalable:
        wanted.append(("autoscaling/v1", "Scale"))
    return [kinds[key] for key in wanted if key in kinds]


class OpenApi:
    """The served documents, built on first request and kept as JSON bytes."""

    def __init__(self, registry: Registry, server_version: str) -> None:
        self.registry = registry
        self.server_version = server_version
        self._built: dict[tuple[str, str, tuple[str, ...]], bytes] = {}

    def _keys(self) -> dict[tuple[str, str], tuple[str, str, tuple[str, ...]]]:
        """Each served group-version's cache key: what its document is made of."""
        keys = {}
        for group, versions in discovery.group_versions(self.registry).items():
            for version in versions:
                infos = discovery.kinds_in(self.registry, group, version)
                if infos:
                    keys[(group, version)] = (group, version, tuple(i.kind for i in infos))
        return keys

    def _hash(self, key: tuple[str, str, tuple[str, ...]]) -> str:
        made_of = json.dumps([key, self.server_version, _bundle_id(), FORMAT])
        return hashlib.sha512(made_of.encode()).hexdigest().upper()

    def root(self) -> Doc:
        """/openapi/v3: each group-version's document, with a hash clients use as a cache key."""
        return {"paths": {_gv_path(group, version): {
            "serverRelativeURL": f"/openapi/v3/{_gv_path(group, version)}?hash={self._hash(key)}"}
            for (group, version), key in self._keys().items()}}

    def group_version(self, group: str, version: str) -> bytes | None:
        keys = self._keys()
        key = keys.get((group, version))
        if key is None:
            return None
        if key not in self._built:
            # Every document at once, so the bundle is parsed once and let go of: only the bytes stay.
            definitions = _load_definitions(self.server_version)
            kinds = _kinds(definitions)
            for (g, v), k in keys.items():
                if k not in self._built:
                    document = self._build(definitions, kinds, g, v)
                    self._built[k] = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        return self._built[key]

    def _build(self, definitions: Mapping[str, Any], kinds: Mapping[tuple[str, str], str], group: str,
               version: str) -> Doc:
        paths: Doc = {}
        roots: list[str] = []
        for info in discovery.kinds_in(self.registry, group, version):
            names = _schema_names(kinds, info)
            roots.extend(names)
            schema = names[0] if names else None
            base = f"/{_gv_path(group, version)}/" + ("namespaces/{namespace}/" if info.namespaced else "")
            verbs = discovery.verbs(info)
            # kubectl explain finds a resource's kind through the operations on its path.
            if "create" in verbs:
                paths[f"{base}{info.plural}"] = {"post": _operation("create", info, schema)}
            if "patch" in verbs:
                paths[f"{base}{info.plural}/{{name}}"] = {"patch": _operation("patch", info, schema)}
        if paths:
            roots.append(_META + "Patch")
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.server_version},
                "paths": paths, "components": {"schemas": _closure(definitions, roots), "securitySchemes": {
                    "BearerToken": {"type": "apiKey", "description": "Bearer Token authentication",
                                    "name": "authorization", "in": "header"}}}}


def _kinds(definitions: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> definition name, from each definition's x-kubernetes-group-version-kind."""
    found: dict[tuple[str, str], str] = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or () if isinstance(schema, Mapping) else ():
            group, version = gvk.get("group") or "", gvk.get("version") or ""
            found.setdefault((f"{group}/{version}" if group else version, gvk.get("kind") or ""), name)
    return found


def _load_definitions(server_version: str) -> Mapping[str, Any]:
    """The bundle of the served Kubernetes minor version (`v1.36.0-local`), not the newest one the validator
    uses: a v1.37 schema differs (deployment.spec became required, descriptions changed). Its non-strict
    variant, as the strict one adds `additionalProperties: false` everywhere. Empty when none is installed."""
    root = _schema_root()
    if root is None:
        return {}
    major_minor = ".".join(server_version.lstrip("v").split(".")[:2])
    folder = root / f"v{major_minor}.0-local"
    if not (folder / _DEFINITIONS_FILE).is_file():
        picked = _pick_version(root)
        if picked is None:
            return {}
        folder = picked[1]
    try:
        document = json.loads((folder / _DEFINITIONS_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    found = document.get("$defs") or document.get("definitions")
    return found if isinstance(found, dict) else {}


@functools.cache
def _bundle_id() -> str:
    try:
        return metadata.version("kubernetes-validate")
    except metadata.PackageNotFoundError:  # not installed: documents have no schemas, whatever the version
        return ""


# --- OpenAPI v2: an empty document ---------------------------------------------------------------------------
# kubectl 1.32 validates input against OpenAPI v3, and asks for v2 only for a kind the v3 documents do not show:
# without an answer, `kubectl apply -f` of an unknown kind fails with "failed to download openapi" instead of
# kube-apiserver's "no matches for kind". A v2 document without definitions tells it there is no schema to check,
# so the request goes on to the API and fails there as it does against a real server. client-go asks for
# gnostic's protobuf encoding of the document; other clients get JSON.
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def v2_document(server_version: str) -> Doc:
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": server_version}, "paths": {},
            "definitions": {}}


def _proto_string(number: int, value: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2); the lengths here are under 128, one varint byte."""
    assert len(value) < 128
    return bytes([number << 3 | 2, len(value)]) + value


def v2_protobuf(server_version: str) -> bytes:
    """openapi_v2.Document{swagger: "2.0", info: Info{title, version}} (gnostic's OpenAPIv2.proto field numbers)."""
    info = _proto_string(1, b"Kubernetes") + _proto_string(2, server_version.encode())
    return _proto_string(1, b"2.0") + _proto_string(2, info)
