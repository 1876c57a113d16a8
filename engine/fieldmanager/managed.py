"""`metadata.managedFields` entries and the Update operation, as kube-apiserver's field manager keeps them
(k8s.io/apimachinery/pkg/util/managedfields/internal: fieldmanager.go, managedfieldsupdater.go, stripmeta.go,
capmanagers.go, buildmanagerinfo.go; structured-merge-diff merge/update.go Updater.Update).

Entries stay in their wire form (dicts with a `fieldsV1` set, see fieldpath.py); an entry that did not change is
handed on as the same dict, so a write that touches one manager copies one entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from . import fieldpath as fp
from .schema import TypeNode
from .typed import Comparison, compare

__all__ = ["MAX_UPDATE_MANAGERS", "VALUE_STRUCTS", "Entry", "create_base", "decode_request_entries", "identity",
           "manager_from_user_agent",
           "sort_entries", "stripped", "update_entries"]

Entry = dict[str, Any]
MAX_UPDATE_MANAGERS = 10  # DefaultMaxUpdateManagers
ANCIENT_CHANGES = "ancient-changes"
# stripmeta.go: fields nobody owns (the server sets them, or they name the object).
STRIPPED_META = frozenset({"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
                           "managedFields", "resourceVersion"})
_ROOT_SKIP = frozenset({"apiVersion", "kind"})
# Struct fields that are values, not pointers, in the Go types: an empty object has them already, so creating one
# does not add them as members of their own (upstream's `f:template` has no ".", `f:rollingUpdate` has one).
VALUE_STRUCTS = frozenset({"metadata", "spec", "status", "template", "strategy", "updateStrategy", "jobTemplate"})


def manager_from_user_agent(user_agent: str | None) -> str:
    """buildmanagerinfo.go: with no `fieldManager`, the User-Agent up to its first `/` (`kubectl/v1.32.4 (…)`
    → `kubectl`), at most 128 characters."""
    return (user_agent or "").split("/", 1)[0][:128]


def identity(entry: Entry) -> tuple[str, str, str, str]:
    """BuildManagerIdentifier: manager, operation, subresource, and the apiVersion for updaters only (an applier
    is the same manager whatever version it applies)."""
    operation = str(entry.get("operation") or "")
    version = "" if operation == "Apply" else str(entry.get("apiVersion") or "")
    return (str(entry.get("manager") or ""), operation, version, str(entry.get("subresource") or ""))


def identity_json(key: tuple[str, str, str, str]) -> str:
    """The identifier as upstream encodes it (a JSON ManagedFieldsEntry): conflicts are grouped by it."""
    manager, operation, version, subresource = key
    entry: dict[str, str] = {"manager": manager, "operation": operation}
    if version:
        entry["apiVersion"] = version
    if subresource:
        entry["subresource"] = subresource
    return json.dumps(entry, separators=(",", ":"))


def stripped(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the field manager sees it: no apiVersion/kind, no server-set metadata, no managedFields."""
    out = dict(obj)  # a copy and two pops: cheaper than a comprehension, and this runs for every apply
    out.pop("apiVersion", None)
    out.pop("kind", None)
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        kept = {k: v for k, v in meta.items() if k not in STRIPPED_META}
        if kept:
            out["metadata"] = kept
        else:
            out.pop("metadata", None)
    return out


def strip_set(fields: fp.FieldSet) -> fp.FieldSet:
    """The set without apiVersion, kind, metadata itself and the stripped metadata fields (StripMetaManager)."""
    if "f:metadata" not in fields and "f:apiVersion" not in fields and "f:kind" not in fields:
        return fields
    out = {k: v for k, v in fields.items() if k not in ("f:apiVersion", "f:kind")}
    meta = out.get("f:metadata")
    if meta is not None:
        kept = {k: v for k, v in meta.items() if k != "." and k[2:] not in STRIPPED_META}
        if kept:
            out["f:metadata"] = kept
        else:
            del out["f:metadata"]
    return out


def decode_request_entries(value: Any) -> list[Entry] | None:
    """managedFields a request carries, if they decode (DecodeManagedFields); None when they do not, so the live
    object's stand (a client that does not know of managedFields cannot drop them)."""
    if not isinstance(value, list) or not value:
        return None
    out: list[Entry] = []
    for entry in value:
        if not isinstance(entry, dict) or entry.get("operation") not in ("Apply", "Update"):
            return None
        if not entry.get("apiVersion") or entry.get("fieldsType") != "FieldsV1":
            return None
        fields = entry.get("fieldsV1")
        out.append({**entry, "fieldsV1": fp.sorted_set(fields) if isinstance(fields, dict) else {}})
    return out


def is_reset(value: Any) -> bool:
    """`managedFields: [{}]` clears them (the documented way to reset ownership)."""
    return isinstance(value, list) and len(value) == 1 and value[0] == {}


_ZERO_TIME = ""


def sort_entries(entries: list[Entry]) -> list[Entry]:
    """sortEncodedManagedFields: by operation (Apply first), time, manager, apiVersion, subresource."""
    return sorted(entries, key=lambda e: (str(e.get("operation") or ""), str(e.get("time") or _ZERO_TIME),
                                          str(e.get("manager") or ""), str(e.get("apiVersion") or ""),
                                          str(e.get("subresource") or "")))


def new_entry(key: tuple[str, str, str, str], api_version: str, fields: fp.FieldSet, time: str | None) -> Entry:
    manager, operation, _, subresource = key
    entry: Entry = {"manager": manager, "operation": operation, "apiVersion": api_version}
    if time:
        entry["time"] = time
    entry["fieldsType"] = "FieldsV1"
    entry["fieldsV1"] = fields
    if subresource:
        entry["subresource"] = subresource
    return entry


def create_base(obj: dict[str, Any], t: TypeNode) -> dict[str, Any]:
    """The zero value the field manager compares a created object with: the Go type's empty struct, which
    already holds its value-typed structs (as `{}`) and its fields without omitempty (as null)."""
    out: dict[str, Any] = {}
    required = t.required()
    for name, value in obj.items():
        if name in VALUE_STRUCTS and isinstance(value, dict):
            out[name] = create_base(value, t.field(name))
        elif name in required:
            out[name] = create_base(value, t.field(name)) if isinstance(value, dict) else None
    return out


def comparison(old: dict[str, Any], new: dict[str, Any], t: TypeNode) -> Comparison:
    return compare(stripped(old), stripped(new), t)


def update_entries(entries: Iterable[Entry], cmp: Comparison, manager: str, api_version: str,
                   subresource: str, time: str, ignore: frozenset[str] = frozenset()) -> list[Entry] | None:
    """Updater.Update plus managedFieldsUpdater: every manager loses what was removed; the updating manager
    gains what it added or modified (merged into its earlier entry, whose time moves on). `ignore`: top-level
    fields the operation may not own (the reset fields: `status` for the main resource). None: nothing changed.
    """
    if cmp.same():
        return None
    own_key = (manager, "Update", api_version, subresource)
    gained = fp.union(cmp.modified, cmp.added)
    # An update is a forced apply: whatever it changes leaves its other owners, whatever it removes leaves all.
    taken = fp.union(gained, cmp.removed)
    if ignore:
        gained = {k: v for k, v in gained.items() if k[2:] not in ignore}
    gained = strip_set(gained)
    out: list[Entry] = []
    previous: fp.FieldSet = {}
    previous_entry: Entry | None = None
    for entry in entries:
        fields = entry.get("fieldsV1") or {}
        if identity(entry) == own_key:
            previous, previous_entry = fp.difference(fields, cmp.removed), entry
            continue
        rest = fp.difference(fields, taken)
        if not rest:
            continue  # a manager left with nothing is dropped
        out.append(entry if rest is fields else {**entry, "fieldsV1": rest})
    if gained:
        out.append(new_entry(own_key, api_version, fp.union(previous, gained), time))
    elif previous and previous_entry is not None:
        out.append(previous_entry if previous is previous_entry.get("fieldsV1")
                   else {**previous_entry, "fieldsV1": previous})
    return sort_entries(cap_update_managers(out, api_version))


def cap_update_managers(entries: list[Entry], api_version: str) -> list[Entry]:
    """capManagersManager: past ten updaters, the oldest fold into one `ancient-changes` entry."""
    updaters = [e for e in entries if e.get("operation") == "Update"]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return entries
    updaters.sort(key=lambda e: str(e.get("time") or ""))
    folded = updaters[:len(updaters) - MAX_UPDATE_MANAGERS + 1]
    bucket_key = (ANCIENT_CHANGES, "Update", api_version, "")
    fields: fp.FieldSet = {}
    time = None
    keep = []
    for entry in entries:
        if any(entry is f for f in folded) or identity(entry) == bucket_key:
            fields = fp.union(fields, entry.get("fieldsV1") or {})
            time = entry.get("time") or time
        else:
            keep.append(entry)
    keep.append(new_entry(bucket_key, api_version, fields, time))
    return keep
