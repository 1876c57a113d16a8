"""Declarative apply: server-side for the watched folders, client-side for `Cluster.apply`.

`server_side_apply` is what a folder sync does: server-side apply (engine/fieldmanager) under the `k9py` field
manager, forced, as Argo CD and Flux apply with server-side apply.

`apply_object` is client-side `kubectl apply`, kept for the library's `Cluster.apply`: the last applied document is
kept in the `kubectl.kubernetes.io/last-applied-configuration` annotation, and an update is a three-way merge:
fields the new document declares win; fields the previous document declared but the new one does not are removed;
fields nobody declared (status, controller-set fields, defaults) are kept. Differs from kubectl: lists are replaced
whole rather than merged by key (strategic merge). Fields inside a declared list that only defaulting set are
re-defaulted by the API, so the result is the same for built-in kinds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from .. import errors
from ..api import LAST_APPLIED, Api
from ..kinds import KindInfo
from ..kinds.decoding import first_type_error
from ..store import deep_copy
from .loader import parse_text, yaml_type
from .schema import validate_structure

Obj = dict[str, Any]
# kubectl's last-applied-configuration text: compact JSON, keys sorted (one encoder, not one a call).
_LAST_APPLIED_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
# The field manager of the watched folders' server-side applies (Argo CD's is `argocd-controller`, Flux's
# `kustomize-controller`).
FIELD_MANAGER = "k9py"


def parse_documents(manifests: str | Obj | Iterable[Obj]) -> list[Obj]:
    """YAML/JSON text (multi-document), one object, or a list of objects; `kind: List` is flattened."""
    if isinstance(manifests, str):
        parsed, problems = parse_text(manifests, "<input>")
        if problems:
            raise errors.bad_request(f"error parsing YAML: {problems[0]}")
        docs = [d.obj for d in parsed]
    elif isinstance(manifests, dict):
        docs = [manifests]
    else:
        docs = list(manifests)
    out: list[Obj] = []
    for doc in docs:
        if not isinstance(doc, dict):
            raise errors.bad_request(f"each document must be a mapping (an object), got {yaml_type(doc)}")
        if doc.get("kind") == "List" or (str(doc.get("kind", "")).endswith("List") and "items" in doc):
            out.extend(parse_documents(doc.get("items") or []))
        else:
            out.append(deep_copy(doc))
    return out


def three_way_merge(live: Any, last: Any, new: Any) -> Any:
    if not isinstance(new, dict) or not isinstance(live, dict):
        return deep_copy(new)
    last = last if isinstance(last, dict) else {}
    merged = dict(live)
    for key in last:
        if key not in new:
            merged.pop(key, None)
    for key, value in new.items():
        merged[key] = three_way_merge(live.get(key), last.get(key), value)
    return merged


# schema.validate_structure's words: the decoder's `unknown field "spec.replica"`, then its suggestion, if any.
_UNKNOWN_FIELD = re.compile(r'^(unknown field ("[^"]*"))(?: \(did you mean ("[^"]*")\?\))?$')


def strict_field_errors(info_kind: str, version: str, group: str, name: str, doc: Obj) -> errors.ApiError | None:
    """Unknown fields and wrong types, as `kubectl apply`'s default strict field validation refuses them."""
    problems = validate_structure(doc)
    if not problems:
        return None
    # The decoder lists unknown fields sorted by path, whatever their order in the document.
    unknown = sorted((path, msg) for path, msg in problems if msg.startswith("unknown field"))
    if len(unknown) < len(problems):  # a wrong type stops the decoder before strict decoding looks at fields
        decoding = first_type_error(doc, info_kind, version, str(doc.get("apiVersion")))
        if decoding is not None:
            return decoding
    if unknown:
        # The API server's words, whole, then k9py's suggestions after them (one per misspelt field).
        parts = [_UNKNOWN_FIELD.match(msg) for _, msg in unknown]
        bare = [part[1] if part else msg for part, (_, msg) in zip(parts, unknown, strict=True)]
        hints = [f"{part[3]} for {part[2]}" if len(parts) > 1 else part[3] for part in parts if part and part[3]]
        message = (f'{info_kind} in version "{version}" cannot be handled as a {info_kind}: strict decoding error: '
                   + ", ".join(bare) + (f" (did you mean {', '.join(hints)}?)" if hints else ""))
        return errors.ApiError(
            400, "BadRequest", message, name=name, group=group, kind=info_kind,
            causes=[{"reason": "FieldValueUnknown", "message": msg, "field": path} for path, msg in unknown])
    return errors.invalid(info_kind, group, name, problems)


def _declared(api: Api, doc: Obj, namespace: str | None) -> tuple[KindInfo, str, Obj]:
    """The checks `kubectl apply` makes before it sends a document (strict field validation, a name), and the
    document as it is applied: its namespace filled in (dropped from a cluster-scoped kind), without a
    last-applied annotation. Only the mappings that differ are copied; the rest is `doc`'s own, which nothing
    here changes (the API copies what it is given)."""
    info = api.kind_of(doc)
    strict = strict_field_errors(info.kind, info.version, info.group, str((doc.get("metadata") or {}).get("name", "")),
                                 doc)
    if strict is not None:
        raise strict
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        # What the API server says of it, every error at once: a dry-run create.
        api.create(deep_copy(doc), namespace, dry_run=True)
        raise errors.invalid(info.kind, info.group, "", [
            ("metadata.name", "Required value: a watched folder tracks each object by its name (the API server "
                              f"would name this {info.kind} anew on every apply)")])
    ns = (meta.get("namespace") or namespace or "default") if info.namespaced else ""
    declared_meta = dict(meta)
    if info.namespaced:
        declared_meta["namespace"] = ns
    else:
        # kubectl and the API server ignore a namespace on a cluster-scoped kind (the object is stored without
        # one), so a Namespace or ClusterRole written with `namespace: default` is applied as they would.
        declared_meta.pop("namespace", None)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        # An exported manifest's copy of an older apply is not the user's content.
        declared_meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return info, ns, {**doc, "metadata": declared_meta}


def apply_object(api: Api, doc: Obj, namespace: str | None = None) -> Obj:
    """Client-side `kubectl apply` (Cluster.apply): a three-way merge recorded in the last-applied annotation."""
    info, ns, declared = _declared(api, doc, namespace)
    declared_meta = declared["metadata"]
    annotations = declared_meta.get("annotations")
    last_applied_text = _LAST_APPLIED_JSON.encode(declared)
    live = api.store.get(info.resource, ns, declared_meta["name"])
    if live is None:
        with_last_applied = {**annotations, LAST_APPLIED: last_applied_text} if isinstance(annotations, dict) \
            else {LAST_APPLIED: last_applied_text}
        return api.create({**declared, "metadata": {**declared_meta, "annotations": with_last_applied}})
    previous_text = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
    try:
        previous = json.loads(previous_text) if previous_text else {}
    except ValueError:
        previous = {}
    merged = three_way_merge(live, previous, declared)
    # A new mapping: when no document declared annotations, the merged ones are still the live object's own.
    merged["metadata"]["annotations"] = {**(merged["metadata"].get("annotations") or {}),
                                         LAST_APPLIED: last_applied_text}
    merged["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    return api.update(merged)


def server_side_apply(api: Api, doc: Obj, namespace: str | None = None, *, manager: str = FIELD_MANAGER,
                      dry_run: bool = False) -> Obj:
    """`kubectl apply --server-side --force-conflicts --field-manager=k9py`, as Argo CD's `ServerSideApply=true`
    and Flux's kustomize-controller apply: the folder is the desired state, so its fields are taken from any other
    manager; fields this manager applied before and the document no longer declares are removed unless another
    manager owns them too. No last-applied annotation is written. Returns the live object (with `dry_run`, the
    object the apply would store, and nothing is written)."""
    info, ns, declared = _declared(api, doc, namespace)
    obj, _ = api.apply(info, str(declared["metadata"]["name"]), ns or None, declared, manager, force=True,
                       dry_run=dry_run)
    return obj
