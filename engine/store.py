"""Object storage: objects by (resource, namespace, name), a global resourceVersion, watch history and fan-out.

The store is dumb on purpose: it never validates or defaults (that is `api.py`'s job). It is also the informer
cache: controllers read it directly and must treat what they read as immutable.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from .errors import expired

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped objects


@attrs.define(slots=True)
class WatchEvent:
    """One change, as a watch stream delivers it (treat as read-only: it is shared by every subscriber)."""

    type: str  # ADDED, MODIFIED, DELETED
    resource: str  # qualified resource: "pods", "deployments.apps"
    object: Obj
    resource_version: int
    old: Obj | None = None  # the previous state, for MODIFIED and DELETED


def deep_copy(value: Any) -> Any:
    """A copy of JSON-shaped data, several times faster than copy.deepcopy (and it turns dict subclasses from a
    YAML loader into plain dicts)."""
    if isinstance(value, dict):
        # Scalars are taken as they are without a call each (most of an object's values are scalars).
        return {k: deep_copy(v) if isinstance(v, _CONTAINERS) else v for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) if isinstance(v, _CONTAINERS) else v for v in value]
    return value


_CONTAINERS = (dict, list)


class Watcher:
    """An external subscriber's buffered stream of events for one resource (optionally one namespace)."""

    def __init__(self, store: Store, resource: str | None, namespace: str | None) -> None:
        self._store = store
        self.resource = resource
        self.namespace = namespace
        self._buffer: deque[WatchEvent] = deque()
        self._ready = asyncio.Event()
        self.closed = False

    def wants(self, event: WatchEvent) -> bool:
        if self.resource is not None and event.resource != self.resource:
            return False
        if self.namespace:
            return event.object.get("metadata", {}).get("namespace") == self.namespace
        return True

    def push(self, event: WatchEvent) -> None:
        self._buffer.append(event)
        self._ready.set()

    def drain(self) -> list[WatchEvent]:
        """Everything buffered so far (a UI takes a frame's worth at once)."""
        events = list(self._buffer)
        self._buffer.clear()
        self._ready.clear()
        return events

    async def next_batch(self) -> list[WatchEvent]:
        while not self._buffer and not self.closed:
            await self._ready.wait()
            self._ready.clear()
        return self.drain()

    def close(self) -> None:
        self.closed = True
        self._store.remove_watcher(self)
        self._ready.set()


class Store:
    def __init__(self, history_limit: int = 50_000, adoptable: frozenset[str] = frozenset()) -> None:
        # Resources a controller may adopt when no controller owns them (pods by ReplicaSets, ReplicaSets by
        # Deployments): only these are indexed by `uncontrolled`. The kinds say which (`KindInfo.adoptable`).
        self.adoptable = adoptable
        self._objects: dict[str, dict[str, dict[str, Obj]]] = {}
        self._rv = 0
        self._history: deque[WatchEvent] = deque(maxlen=history_limit)
        self._listeners: list[Callable[[WatchEvent], None]] = []
        self._watchers: list[Watcher] = []
        # owner uid -> {(resource, namespace, name)}: dependents, for controllers and the garbage collector.
        self._dependents: dict[str, set[tuple[str, str, str]]] = {}
        # (resource, namespace) -> names of objects with no controller owner: candidates for adoption.
        self._uncontrolled: dict[tuple[str, str], set[str]] = {}
        self._writes = 0
        self._changed: dict[str, int] = {}  # resource -> self._writes at its last write
        # resource -> self._writes when an object was last added or removed; and the (namespace, name) keys in list
        # order per (resource, namespace) as of that stamp, so paging through a large list does not sort it again.
        self._membership: dict[str, int] = {}
        self._ordered: dict[tuple[str, str | None], tuple[int, list[Key]]] = {}

    # --- reads ---------------------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, resource: str, namespace: str, name: str) -> Obj | None:
        return self._objects.get(resource, {}).get(namespace, {}).get(name)

    def list(self, resource: str, namespace: str | None = None) -> list[Obj]:
        by_ns = self._objects.get(resource, {})
        if namespace is not None:
            return list(by_ns.get(namespace, {}).values())
        return [obj for objs in by_ns.values() for obj in objs.values()]

    def iter(self, resource: str, namespace: str | None = None) -> Iterator[Obj]:
        by_ns = self._objects.get(resource, {})
        if namespace is not None:
            yield from by_ns.get(namespace, {}).values()
            return
        for objs in by_ns.values():
            yield from objs.values()

    def ordered(self, resource: str, namespace: str | None = None) -> list[Obj]:
        """As `list`, in the order a list request answers in: by namespace, then name."""
        by_ns = self._objects.get(resource, {})
        stamp = self._membership.get(resource, 0)
        cached = self._ordered.get((resource, namespace))
        if cached is not None and cached[0] == stamp:
            keys = cached[1]
        else:
            namespaces = [namespace] if namespace is not None else sorted(by_ns)
            keys = [(ns, name) for ns in namespaces for name in sorted(by_ns.get(ns, ()))]
            self._ordered[(resource, namespace)] = (stamp, keys)
        return [by_ns[ns][name] for ns, name in keys]

    def count(self, resource: str, namespace: str | None = None) -> int:
        by_ns = self._objects.get(resource, {})
        if namespace is not None:
            return len(by_ns.get(namespace, {}))
        return sum(len(objs) for objs in by_ns.values())

    def dependents(self, owner_uid: str, resource: str | None = None) -> list[Obj]:
        """Objects whose ownerReferences name `owner_uid` (optionally only of one resource)."""
        out = []
        for res, namespace, name in self._dependents.get(owner_uid, ()):
            if resource is None or res == resource:
                obj = self.get(res, namespace, name)
                if obj is not None:
                    out.append(obj)
        return out

    def dependent_keys(self, owner_uid: str) -> set[tuple[str, str, str]]:
        return self._dependents.get(owner_uid, set())

    def uncontrolled(self, resource: str, namespace: str) -> list[Obj]:
        """Objects of `resource` in `namespace` that no controller owns (what a controller may adopt)."""
        names = self._uncontrolled.get((resource, namespace), ())
        return [obj for name in list(names) if (obj := self.get(resource, namespace, name)) is not None]

    def _index_controller(self, resource: str, obj: Obj, present: bool) -> None:
        meta = obj["metadata"]
        key = (resource, meta.get("namespace", ""))
        controlled = any(r.get("controller") for r in meta.get("ownerReferences") or ())
        if present and not controlled:
            self._uncontrolled.setdefault(key, set()).add(meta["name"])
        else:
            names = self._uncontrolled.get(key)
            if names is not None:
                names.discard(meta["name"])

    def _index_owners(self, resource: str, old: Obj | None, new: Obj | None) -> None:
        old_refs = old["metadata"].get("ownerReferences") if old is not None else None
        new_refs = new["metadata"].get("ownerReferences") if new is not None else None
        if old is not None and new is not None and old_refs is new_refs:
            return  # the common case: a status or spec write that left the owners alone
        if resource in self.adoptable:
            self._index_controller(resource, new or old, new is not None)  # type: ignore[arg-type]
        if not old_refs and not new_refs:
            return
        old_uids = {r.get("uid") for r in (old or {}).get("metadata", {}).get("ownerReferences") or ()}
        new_uids = {r.get("uid") for r in (new or {}).get("metadata", {}).get("ownerReferences") or ()}
        if old_uids == new_uids:
            return
        meta = (new or old or {})["metadata"]
        entry = (resource, meta.get("namespace", ""), meta["name"])
        for uid in old_uids - new_uids:
            bucket = self._dependents.get(uid)
            if bucket is not None:
                bucket.discard(entry)
                if not bucket:
                    del self._dependents[uid]
        for uid in new_uids - old_uids:
            if uid:
                self._dependents.setdefault(uid, set()).add(entry)

    def namespaces_with(self, resource: str) -> list[str]:
        return [ns for ns, objs in self._objects.get(resource, {}).items() if objs]

    # --- writes (from api.py only) -------------------------------------------------------------------------

    def next_resource_version(self) -> int:
        self._rv += 1
        return self._rv

    def changed_at(self, resource: str) -> int:
        """A stamp that moves on every write to any object of `resource` (0: none yet): a cache of something
        derived from a whole resource stays valid while it does not."""
        return self._changed.get(resource, 0)

    def put(self, resource: str, obj: Obj, old: Obj | None) -> WatchEvent:
        """Store `obj` (its metadata.resourceVersion already set by the caller from next_resource_version)."""
        self._writes += 1
        self._changed[resource] = self._writes
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        objs = self._objects.setdefault(resource, {}).setdefault(namespace, {})
        if meta["name"] not in objs:
            self._membership[resource] = self._writes
        objs[meta["name"]] = obj
        self._index_owners(resource, old, obj)
        event = WatchEvent("MODIFIED" if old is not None else "ADDED", resource, obj, self._rv, old)
        self._publish(event)
        return event

    def remove(self, resource: str, obj: Obj) -> WatchEvent:
        """Remove `obj`; the DELETED event carries it with a fresh resourceVersion, as the API server does."""
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        objs = self._objects.get(resource, {}).get(namespace, {})
        old = objs.pop(meta["name"], None)
        self._index_owners(resource, old, None)
        rv = self.next_resource_version()
        self._writes += 1
        self._changed[resource] = self._writes
        self._membership[resource] = self._writes
        final = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
        event = WatchEvent("DELETED", resource, final, rv, old)
        self._publish(event)
        return event

    def _publish(self, event: WatchEvent) -> None:
        self._history.append(event)
        for listener in self._listeners:
            listener(event)
        for watcher in self._watchers:
            if watcher.wants(event):
                watcher.push(event)

    # --- watching ------------------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[WatchEvent], None]) -> None:
        """Synchronous in-process subscribers: controllers' informers."""
        self._listeners.append(listener)

    def add_watcher(self, resource: str | None, namespace: str | None,
                    resource_version: int | None = None) -> tuple[Watcher, list[WatchEvent]]:
        """A new external watcher plus the events it must see first.

        With no resourceVersion (or 0) the backlog is a synthetic ADDED for every existing object; otherwise it
        is the history after that version, or 410 Expired when the history no longer reaches back that far.
        """
        watcher = Watcher(self, resource, namespace)
        if resource_version:
            backlog = self.events_since(resource_version)
            backlog = [e for e in backlog if watcher.wants(e)]
        else:
            resources = [resource] if resource is not None else list(self._objects)
            backlog = [
                WatchEvent("ADDED", r, obj, int(obj["metadata"]["resourceVersion"]))
                for r in resources
                for obj in self.iter(r, namespace or None)
            ]
        self._watchers.append(watcher)
        return watcher, backlog

    def remove_watcher(self, watcher: Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def events_since(self, resource_version: int) -> list[WatchEvent]:
        if resource_version > self._rv:
            return []
        oldest = self._history[0].resource_version if self._history else self._rv + 1
        if resource_version < oldest - 1:
            raise expired(f"too old resource version: {resource_version} ({oldest - 1})")
        return [e for e in self._history if e.resource_version > resource_version]
