"""Server-side apply: merge an applied configuration into the live object, prune what its manager stopped
applying, and refuse (or, forced, take over) fields other managers own with other values.

Ports structured-merge-diff merge/update.go (Updater.Apply, prune, addBackOwnedItems, addBackDanglingItems,
update's conflict check) and merge/conflict.go, with kube-apiserver's wrappers around them
(k8s.io/apimachinery/pkg/util/managedfields/internal): skipnonapplied.go (`before-first-apply`),
lastappliedmanager.go (kubectl's upgrade from client-side apply), conflict.go (the 409 Status).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import ApiError
from . import fieldpath as fp
from .managed import (
    Entry,
    identity,
    identity_json,
    new_entry,
    sort_entries,
    strip_set,
    stripped,
    update_entries,
)
from .schema import TypeNode
from .typed import compare, ensure_named_fields_are_members, merge, remove_items, to_field_set

__all__ = ["ApplyResult", "apply", "conflict_error", "describe_manager"]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
Key = tuple[str, str, str, str]


class ApplyResult:
    """The object to write (None: nothing changed but ownership) and its new managedFields entries."""

    __slots__ = ("entries", "object")

    def __init__(self, obj: dict[str, Any] | None, entries: list[Entry]) -> None:
        self.object = obj
        self.entries = entries


def describe_manager(key: Key) -> str:
    """printManager: `"kubectl"`, `"kubectl" with subresource "scale" using apps/v1` (the identifier has no
    time, so updaters never show one). `key` is a managedFields identity (managed.identity)."""
    manager, operation, version, subresource = key
    text = json.dumps(manager)
    if subresource:
        text += f" with subresource {json.dumps(subresource)}"
    if operation == "Update":
        text += f" using {version}"
    return text


def conflict_error(conflicts: list[tuple[Key, tuple[str, ...]]]) -> ApiError:
    """NewConflictError: 409 Conflict, one FieldManagerConflict cause per field."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {describe_manager(key)}",
               "field": fp.path_string(path)} for key, path in conflicts]
    if len(conflicts) == 1:
        key, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {describe_manager(key)}: {fp.path_string(path)}"
    else:
        by_manager: dict[str, list[tuple[Key, tuple[str, ...]]]] = {}
        for key, path in conflicts:
            by_manager.setdefault(identity_json(key), []).append((key, path))
        lines = []
        for name in sorted(by_manager):
            group = by_manager[name]
            lines.append(f"conflicts with {describe_manager(group[0][0])}:")
            lines.extend(f"- {fp.path_string(path)}" for _, path in group)
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(409, "Conflict", message, causes=causes)


def _sets(entries: list[Entry]) -> dict[Key, fp.FieldSet]:
    return {identity(e): e.get("fieldsV1") or {} for e in entries}


def _prune(merged: dict[str, Any], sets: dict[Key, fp.FieldSet], last: fp.FieldSet,
           t: TypeNode) -> dict[str, Any]:
    """Updater.prune: fields the applier applied last time and no longer does go, unless someone owns them."""
    if not last:
        return merged
    pruned = remove_items(merged, ensure_named_fields_are_members(last, t), t)
    # addBackOwnedItems
    owned: fp.FieldSet = {}
    for fields in sets.values():
        owned = fp.union(owned, fields)
    merged_set = ensure_named_fields_are_members(to_field_set(merged, t), t)
    pruned_set = ensure_named_fields_are_members(to_field_set(pruned, t), t)
    owned = ensure_named_fields_are_members(owned, t)
    pruned = remove_items(merged, fp.difference(merged_set, fp.union(pruned_set, owned)), t)
    # addBackDanglingItems
    pruned_set = ensure_named_fields_are_members(to_field_set(pruned, t), t)
    last_e = ensure_named_fields_are_members(last, t)
    return remove_items(merged, fp.intersection(fp.difference(merged_set, pruned_set), last_e), t)


def _allowed_by_last_applied(live: dict[str, Any], t: TypeNode) -> fp.FieldSet | None:
    """lastAppliedManager: what kubectl's client-side last-applied annotation says this object was applied with."""
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        last = json.loads(text)
        return to_field_set(stripped(last), t) if isinstance(last, dict) else None
    except ValueError:
        return None


def apply(live: dict[str, Any], config: dict[str, Any], entries: list[Entry], t: TypeNode, manager: str,
          api_version: str, subresource: str, force: bool, time: str,
          ignore: frozenset[str] = frozenset()) -> ApplyResult:
    """Apply `config` for `manager` to `live` (an object with only its name and namespace when creating).

    `ignore`: top-level fields this endpoint resets (`status` on the main resource), which the applier never
    owns. Raises the 409 conflict error unless `force`.
    """
    live_s = stripped(live)
    if not entries and live_s:
        # skipNonAppliedManager: an object nobody tracked yet is first attributed to `before-first-apply`.
        cmp = compare({}, live_s, t)
        entries = update_entries([], cmp, "before-first-apply", api_version, "", time, ignore) or []
    config_s = stripped(config)
    fields = strip_set(to_field_set(config_s, t))
    if ignore:
        fields = {k: v for k, v in fields.items() if k[2:] not in ignore}
        config_s = {k: v for k, v in config_s.items() if k not in ignore}
    key: Key = (manager, "Apply", "", subresource)
    if not live_s and not entries:
        # A create: nobody else owns anything, so nothing conflicts and nothing is pruned; the applier owns what
        # it applied. (The general path would compare the empty object with the whole new one to learn as much,
        # which is most of the cost of creating a folder of 100,000 objects.)
        return ApplyResult({**config_s, "apiVersion": live.get("apiVersion"), "kind": live.get("kind"),
                            "metadata": {**(live.get("metadata") or {}), **(config_s.get("metadata") or {})}},
                           [_shared_entry(key, api_version, fields, time)])
    sets = _sets(entries)
    last = sets.get(key, {})
    sets[key] = fields
    merged = merge(live_s, config_s, t)
    merged = _prune(merged, sets, last, t)
    try:
        sets = _update_sets(live_s, merged, sets, key, force, t)
    except _Conflicts as exc:
        if manager != "kubectl":
            raise conflict_error(exc.conflicts) from None
        allowed = _allowed_by_last_applied(live, t)
        rest = [(k, p) for k, p in exc.conflicts if allowed is None or not fp.has(allowed, p)]
        if rest:
            raise conflict_error(rest) from None
        sets = _update_sets(live_s, merged, _sets(entries) | {key: fields}, key, True, t)
    changed = merged != live_s
    by_key = {identity(e): e for e in entries}
    out: list[Entry] = []
    for k, fields_k in sets.items():
        if k == key:
            previous = by_key.get(key)
            when = time if changed else (previous or {}).get("time")
            out.append(new_entry(key, api_version, fields_k, when))
            continue
        entry = by_key[k]
        out.append(entry if fields_k is entry.get("fieldsV1") else {**entry, "fieldsV1": fields_k})
    result = {**merged, "apiVersion": live.get("apiVersion"), "kind": live.get("kind")}
    meta = dict(live.get("metadata") or {})
    meta.update(merged.get("metadata") or {})
    for name in [n for n in meta if n not in (merged.get("metadata") or {})
                 and n not in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
                               "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")]:
        del meta[name]  # pruned metadata (labels, annotations) must go, server-set fields stay
    result["metadata"] = meta
    return ApplyResult(result if changed else None, sort_entries(out))


# Entries of objects created by an apply, by their content. A set holds field names, not values, so the objects of
# a folder are mostly of a few shapes (a thousand Deployments written alike have one set), and entries are never
# changed in place (a change makes a new one): objects created alike in the same second share one entry rather
# than each holding a copy of dozens of nested dicts. Bounded: forgetting an entry only costs the next copy.
_SHARED: dict[str, Entry] = {}
_SHARED_MAX = 4096


def _shared_entry(key: Key, api_version: str, fields: fp.FieldSet, time: str) -> Entry:
    # repr of a set of string keys in canonical order: equal sets print alike, and it is quicker than JSON
    text = "\0".join((*key, api_version, time, repr(fields)))
    entry = _SHARED.get(text)
    if entry is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        entry = _SHARED[text] = new_entry(key, api_version, fields, time)
    return entry


class _Conflicts(Exception):
    def __init__(self, conflicts: list[tuple[Key, tuple[str, ...]]]) -> None:
        super().__init__("conflicts")
        self.conflicts = conflicts


def _update_sets(live: dict[str, Any], merged: dict[str, Any], sets: dict[Key, fp.FieldSet], applier: Key,
                 force: bool, t: TypeNode) -> dict[Key, fp.FieldSet]:
    """Updater.update: others' fields the apply changes conflict (or, forced, change hands); removed fields leave
    every manager; managers left with nothing go."""
    cmp = compare(live, merged, t)
    changed = fp.union(cmp.modified, cmp.added)
    conflicts: dict[Key, fp.FieldSet] = {}
    for key in sorted(sets, key=identity_json):
        if key == applier:
            continue
        both = fp.intersection(sets[key], changed)
        if both:
            conflicts[key] = both
    if conflicts and not force:
        raise _Conflicts([(key, path) for key, both in conflicts.items() for path in fp.members(both)])
    out: dict[Key, fp.FieldSet] = {}
    for key, fields in sets.items():
        if key in conflicts:
            fields = fp.difference(fields, conflicts[key])
        fields = fp.difference(fields, cmp.removed)
        if fields or key == applier:
            out[key] = fields
    return out
