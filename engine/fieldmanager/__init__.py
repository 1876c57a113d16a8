"""Field management as kube-apiserver does it: `metadata.managedFields` on writes, and server-side apply.

- fieldpath.py: field sets in their FieldsV1 form, their algebra, and upstream's path strings;
- schema.py: list/map types from the official OpenAPI schemas (list-type, map keys, patch-merge-key fallbacks);
- typed.py: ToFieldSet, Compare, Merge, RemoveItems on plain dicts;
- managed.py: the entries and the Update operation;
- apply.py: the Apply operation, pruning and conflicts.

- lazy.py: the entries of objects only engine components wrote, built when read.

engine/api.py calls `record_update` for writes and `apply` for server-side apply. Who pays: a write with a named
manager (every request of the HTTP API) is recorded at once. An engine-internal write (a controller, the kubelet)
is recorded at once only when the object already has managedFields, that is, when a client created or touched it;
the thousands of pods and events the controllers create for themselves note only who wrote them (lazy.py), and
their entries are built when an API read shows them or a client's write needs them. Comparing an object with its
next version walks only what changed.
"""

from __future__ import annotations

from typing import Any

from . import fieldpath
from .apply import ApplyResult, apply, conflict_error, describe_manager
from .lazy import WritesTable, component_for, without_admission
from .managed import (
    VALUE_STRUCTS,
    comparison,
    create_base,
    decode_request_entries,
    is_reset,
    manager_from_user_agent,
    update_entries,
)
from .schema import TypeNode, type_for

__all__ = ["ApplyResult", "TypeNode", "WritesTable", "apply", "component_for", "conflict_error", "create_base",
           "describe_manager", "fieldpath", "manager_from_user_agent", "record_update", "type_for"]

Obj = dict[str, Any]

def _value_structs_filled(old: Obj, new: Obj) -> Obj:
    """`old` as the Go object it decodes to: a value-typed struct it lacks that `new` has (the first status a
    controller writes to an object created without one) is there already, empty, so it is not added as a member
    of its own (upstream records `f:status` without "."). Returns `old` itself when nothing is missing."""
    filled: Obj | None = None
    for name in VALUE_STRUCTS.intersection(new):
        value = new[name]
        if not isinstance(value, dict):
            continue
        had = old.get(name)
        if had is value:
            continue  # unchanged (a status write keeps the spec it was given): nothing can be missing below
        if had is None:
            inner: Any = {}
        elif isinstance(had, dict):
            inner = _value_structs_filled(had, value)
            if inner is had:
                continue
        else:
            continue
        if filled is None:
            filled = dict(old)
        filled[name] = inner
    return old if filled is None else filled


def record_update(old: Obj | None, new: Obj, manager: str, subresource: str, time: str, *,
                  from_request: bool, ignore: frozenset[str] = frozenset(), stored: list[Any] | None = None) -> None:
    """Set `new`'s managedFields for an Update by `manager` (new is the caller's own fresh object).

    `from_request`: the object came from a client, whose managedFields (when they decode) replace the stored
    ones, which is how a client rewrites ownership; `[{}]` clears them. `stored`: the old object's entries when
    its metadata does not hold them (lazy.py's, for an object only components wrote so far).
    """
    meta = new["metadata"]
    requested = meta.get("managedFields")
    if is_reset(requested):
        meta.pop("managedFields", None)
        return
    if stored is None:
        stored = (old or {}).get("metadata", {}).get("managedFields") or []
    base = decode_request_entries(requested) if from_request and not subresource else None
    if base is None:
        base = stored
    kind = str(new.get("kind"))
    t = type_for(str(new.get("apiVersion")), kind)
    before = _value_structs_filled(old, new) if old is not None else create_base(new, t)
    cmp = comparison(before, new, t)
    if old is None:
        # The field manager runs before mutating admission: what admission added is nobody's.
        cmp.added = without_admission(kind, new, cmp.added)
    entries = update_entries(base, cmp, manager, str(new.get("apiVersion")), subresource, time, ignore)
    if entries is None:
        entries = base
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)

