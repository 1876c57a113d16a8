"""The shape of a controller that keeps one object in every namespace (the root CA publisher's ConfigMap, the
serviceaccounts controller's `default`): keyed by namespace name, synced when a namespace appears or changes,
and when a change to its own object calls for it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..runtime import Controller
from ..store import WatchEvent

Obj = dict[str, Any]


class PerNamespaceController(Controller):
    def start(self) -> None:
        for ns in self.store.iter("namespaces"):
            self.queue.add(ns["metadata"]["name"])

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        meta = event.object["metadata"]
        if event.resource == "namespaces":
            # namespaceAdded / namespaceUpdated: a new (or changed) namespace is synced.
            return () if event.type == "DELETED" else (meta["name"],)
        return (meta.get("namespace", ""),) if self.needs_sync(event) else ()

    def needs_sync(self, event: WatchEvent) -> bool:
        """Whether an event about the kept object (not a namespace) calls for its namespace's sync."""
        raise NotImplementedError

    def object_for_key(self, key: str) -> Obj | None:
        return self.store.get("namespaces", "", key)
