"""Garbage collector (`k/k pkg/controller/garbagecollector/`): ownerReferences and propagation policies.

- Background: the owner is gone; dependents whose every owner is gone are deleted.
- Foreground: the owner waits (finalizer `foregroundDeletion`) until its blocking dependents are gone.
- Orphan: the owner waits (finalizer `orphan`) until its dependents no longer reference it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..events import GARBAGE_COLLECTOR
from ..kinds import REGISTRY, KindInfo
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy

Obj = dict[str, Any]
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _key(resource: str, obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{resource}|{meta.get('namespace', '')}|{meta['name']}"


def _refs(obj: Obj | None) -> list[Obj]:
    return list(((obj or {}).get("metadata") or {}).get("ownerReferences") or ())


@register_controller
class GarbageCollector(Controller):
    name = GARBAGE_COLLECTOR

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.resources = tuple(info.resource for info in REGISTRY.kinds() if info.kind != "Event")

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj, old = event.object, event.old
        meta = obj["metadata"]
        keys: list[str] = []
        if event.type == "DELETED":
            for resource, namespace, name in list(self.store.dependent_keys(meta.get("uid", ""))):
                keys.append(f"{resource}|{namespace}|{name}")
        finalizers = meta.get("finalizers") or ()
        if meta.get("deletionTimestamp") and (FOREGROUND in finalizers or ORPHAN in finalizers):
            keys.append(_key(event.resource, obj))
        refs, old_refs = meta.get("ownerReferences"), (old or {}).get("metadata", {}).get("ownerReferences")
        if (event.type == "ADDED" and refs) or (event.type == "MODIFIED" and refs is not old_refs
                                                and (refs or []) != (old_refs or [])):
            namespace = meta.get("namespace", "")
            # Most new dependents name living owners (a ReplicaSet's fresh pods): nothing to collect.
            if not all(self._owner(ref, namespace) is not None for ref in _refs(obj)):
                keys.append(_key(event.resource, obj))
        if event.type == "DELETED" or meta.get("deletionTimestamp"):
            # A dependent going away may unblock an owner in foreground deletion.
            for ref in _refs(obj):
                owner = self._owner(ref, meta.get("namespace", ""))
                if owner is not None and owner["metadata"].get("deletionTimestamp"):
                    info = REGISTRY.by_kind(ref.get("kind", ""))
                    if info is not None:
                        keys.append(_key(info.resource, owner))
        return keys

    def _owner(self, ref: Obj, namespace: str) -> Obj | None:
        info = REGISTRY.by_kind(ref.get("kind", ""))
        if info is None:
            return None
        owner = self.store.get(info.resource, namespace if info.namespaced else "", ref.get("name", ""))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _locate(self, key: str) -> tuple[KindInfo | None, Obj | None]:
        resource, namespace, name = key.split("|", 2)
        info = next((i for i in REGISTRY.kinds() if i.resource == resource), None)
        return info, self.store.get(resource, namespace, name)

    def object_for_key(self, key: str) -> Obj | None:
        return self._locate(key)[1]

    def reconcile(self, key: str) -> float | None:
        info, obj = self._locate(key)
        if info is None or obj is None:
            return None
        meta = obj["metadata"]
        finalizers = meta.get("finalizers") or ()
        if meta.get("deletionTimestamp") and ORPHAN in finalizers:
            self._orphan_dependents(obj)
            self.api.remove_finalizer(info, meta["name"], meta.get("namespace"), ORPHAN)
            return None
        if meta.get("deletionTimestamp") and FOREGROUND in finalizers:
            if self._delete_dependents_in_foreground(obj):
                self.api.remove_finalizer(info, meta["name"], meta.get("namespace"), FOREGROUND)
            return None
        self._collect_if_dangling(info, obj)
        return None

    def _orphan_dependents(self, owner: Obj) -> None:
        uid = owner["metadata"]["uid"]
        for dependent in self.store.dependents(uid):
            new = deep_copy(dependent)
            new["metadata"]["ownerReferences"] = [r for r in _refs(dependent) if r.get("uid") != uid]
            if not new["metadata"]["ownerReferences"]:
                del new["metadata"]["ownerReferences"]
            try:
                self.api.update(new)
            except ApiError as exc:
                if exc.code != 404:
                    raise

    def _delete_dependents_in_foreground(self, owner: Obj) -> bool:
        """Delete dependents; True once no dependent that blocks the owner's deletion remains."""
        uid = owner["metadata"]["uid"]
        blocking = 0
        for dependent in self.store.dependents(uid):
            ref = next((r for r in _refs(dependent) if r.get("uid") == uid), {})
            if ref.get("blockOwnerDeletion"):
                blocking += 1
            if dependent["metadata"].get("deletionTimestamp"):
                continue
            info = REGISTRY.by_kind(dependent.get("kind", ""))
            if info is None:
                continue
            has_own_dependents = bool(self.store.dependent_keys(dependent["metadata"]["uid"]))
            try:
                self.api.delete(info, dependent["metadata"]["name"], dependent["metadata"].get("namespace"),
                                propagation="Foreground" if has_own_dependents else "Background")
            except ApiError as exc:
                if exc.code != 404:
                    raise
        return blocking == 0

    def _collect_if_dangling(self, info: KindInfo, obj: Obj) -> None:
        refs = _refs(obj)
        if not refs or obj["metadata"].get("deletionTimestamp"):
            return
        namespace = obj["metadata"].get("namespace", "")
        # An owner of a kind the API does not serve cannot be looked up: upstream's GC keeps retrying such a
        # dependent instead of deleting it, so it counts as alive here.
        alive = [r for r in refs
                 if REGISTRY.by_kind(r.get("kind", "")) is None or self._owner(r, namespace) is not None]
        if alive:
            if len(alive) < len(refs):
                new = deep_copy(obj)
                new["metadata"]["ownerReferences"] = alive
                self.api.update(new)
            return
        try:
            self.api.delete(info, obj["metadata"]["name"], namespace or None, propagation="Background")
        except ApiError as exc:
            if exc.code != 404:
                raise
