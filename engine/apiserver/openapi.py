"""Just enough OpenAPI v3 for kubectl: which paths exist and that PATCH takes `fieldValidation`.

kubectl 1.32 validates `apply`/`create` input by asking the server to (`fieldValidation=Strict`) when the
server's OpenAPI v3 document shows that parameter on the kind's PATCH operation; without a document it fails
with "failed to download openapi". Schemas (`components`) are left out for now: `kubectl explain` and
OpenAPI-driven patch computation need them (kubectl's client-side apply then falls back to its built-in types'
patch metadata, the same merge keys). Serving the official schemas is a later step.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..kinds import KindInfo, Registry
from . import discovery

Doc = dict[str, Any]
# Patch types listed for PATCH. Strategic merge patch is served, but listing it would make kubectl look for a
# schema to compute its patch from, and there is none yet (see above).
PATCH_MEDIA = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
_QUERY = ("dryRun", "fieldManager", "fieldValidation", "force")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _patch_operation(info: KindInfo) -> Doc:
    scope = "Namespaced" if info.namespaced else ""
    gv = "".join(part.capitalize() for part in (info.group.split(".")[0], info.version) if part)
    return {
        "operationId": f"patch{gv or 'CoreV1'}{scope}{info.kind}",
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                       for name in _QUERY],
        "requestBody": {"content": {m: {"schema": {"type": "object"}} for m in PATCH_MEDIA}, "required": True},
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": info.group, "version": info.version, "kind": info.kind},
    }


def group_version_document(registry: Registry, group: str, version: str, server_version: str) -> Doc | None:
    infos = discovery.kinds_in(registry, group, version)
    if not infos:
        return None
    paths: Doc = {}
    for info in infos:
        base = f"/{_gv_path(group, version)}/" + ("namespaces/{namespace}/" if info.namespaced else "")
        paths[f"{base}{info.plural}/{{name}}"] = {"patch": _patch_operation(info)}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": server_version}, "paths": paths,
            "components": {"schemas": {}}}


def root(registry: Registry, server_version: str) -> Doc:
    """/openapi/v3: each group-version's document, with a hash clients use as a cache key."""
    paths = {}
    for group, versions in discovery.group_versions(registry).items():
        for version in versions:
            document = group_version_document(registry, group, version, server_version)
            digest = hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest()[:64].upper()
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


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
