"""`kubectl describe` of a real cluster's object, printed by the engine's own describers.

The describers are plain functions over dicts that ask a `DescribeContext` for what they need besides the
object (its events, the ReplicaSets a Deployment owns, a Service's endpoints...). On a real cluster those are
requests, and the describers are synchronous: so the object is described against what has been fetched so far,
every read it could not answer is noted, fetched, and the description made again, until nothing is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from engine.kinds import KindInfo
from engine.printers_registry import describe_object

from .kube_client import KubeClient, KubeError
from .kube_paths import collection_path, kind_of_resource, object_path

Obj = dict[str, Any]
ROUNDS = 4  # a describer's reads lead to at most a few more (a Deployment's ReplicaSets, then their events)


class FetchedReads:
    """A `DescribeContext` answered from fetched lists; what it lacked is in `missing`."""

    def __init__(
        self, now: float, lists: dict[tuple[str, str | None], list[Obj]], events: dict[str, list[Obj]]
    ) -> None:
        self._now = now
        self.lists = lists  # (resource, namespace or None) -> its objects
        self.event_lists = events  # namespace -> its events
        self.missing: set[tuple[str, str | None]] = set()

    def now(self) -> float:
        return self._now

    def list(self, resource: str, namespace: str | None = None) -> Iterable[Obj]:
        key = (resource, namespace or None)
        found = self.lists.get(key)
        if found is None:
            whole = self.lists.get((resource, None))
            if whole is not None:  # all namespaces were fetched: this namespace's share
                return [o for o in whole if (o.get("metadata") or {}).get("namespace") == namespace]
            self.missing.add(key)
            return []
        return found

    def get(self, resource: str, namespace: str, name: str) -> Obj | None:
        return next((o for o in self.list(resource, namespace or None) if o["metadata"].get("name") == name), None)

    def dependents(self, obj: Obj, resource: str) -> list[Obj]:
        uid = obj["metadata"].get("uid")
        return [
            o
            for o in self.list(resource, obj["metadata"].get("namespace") or None)
            if any(ref.get("uid") == uid for ref in o["metadata"].get("ownerReferences") or ())
        ]

    def events(self, obj: Obj) -> list[Obj]:
        namespace = obj["metadata"].get("namespace") or "default"
        found = self.event_lists.get(namespace)
        if found is None:
            self.missing.add(("events", namespace))
            return []
        uid = obj["metadata"].get("uid")
        mine = [e for e in found if (e.get("involvedObject") or {}).get("uid") == uid]
        mine.sort(
            key=lambda e: (
                e.get("lastTimestamp") or e.get("eventTime") or "",
                e["metadata"].get("resourceVersion", "0").zfill(12),
            )
        )
        return mine

    def explain_pod(self, pod: Obj) -> str | None:
        return None  # a real scheduler says why in the pod's FailedScheduling events


async def _fetch(client: KubeClient, resource: str, namespace: str | None) -> list[Obj]:
    info = kind_of_resource("events" if resource == "events" else resource)
    try:
        doc = await client.request("GET", collection_path(info, namespace))
    except KubeError as exc:
        if exc.code in (403, 404):  # not allowed to read it, or not served: described without it
            return []
        raise
    return list(doc.get("items") or ())


async def describe(client: KubeClient, info: KindInfo, name: str, namespace: str | None, now: float) -> str:
    """kubectl's describe text of one object; KubeError when the object cannot be read."""
    obj = await client.request("GET", object_path(info, name, namespace if info.namespaced else None))
    obj.setdefault("kind", info.kind)
    lists: dict[tuple[str, str | None], list[Obj]] = {}
    events: dict[str, list[Obj]] = {}
    text = ""
    for _ in range(ROUNDS):
        reads = FetchedReads(now, lists, events)
        text = describe_object(reads, info, obj)
        if not reads.missing:
            break
        wanted = sorted(reads.missing, key=str)
        fetched = await asyncio.gather(*(_fetch(client, resource, ns) for resource, ns in wanted))
        for (resource, ns), items in zip(wanted, fetched, strict=True):
            if resource == "events":
                events[ns or "default"] = items
            else:
                lists[(resource, ns)] = items
    return text
