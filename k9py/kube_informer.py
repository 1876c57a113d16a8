"""Informers: a live cache of one kind (in one namespace, or all) on a real API server, as client-go keeps them.

List (in pages of `PAGE` with `limit`/`continue`), then watch from the list's resourceVersion with bookmarks, so
a quiet watch resumes where it was; a 410 Gone (the history no longer reaches back) lists again and tells the
subscribers only what differs; a broken connection retries with backoff while the cache, and so the rows on
screen, stay as they were. Subscribers drain the changes once a frame, as they drain the engine's watches.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from .backend import Change
from .kube_client import KubeClient, KubeError
from .kube_discovery import TABLE, ServerPrinting

Obj = dict[str, Any]
PAGE = 500  # objects per list page: kubectl's and client-go's default chunk size
WATCH_SECONDS = 290  # the server ends each watch after about this long; it is then resumed from its last version
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
log = logging.getLogger(__name__)


class Gone(Exception):
    """410: the resourceVersion is older than the server's watch history."""


def object_key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def resource_version(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


class InformerSubscription:
    """A subscriber's buffered share of an informer: ADDED for what is cached when it subscribes, then changes."""

    def __init__(self, informer: Informer, namespace: str | None) -> None:
        self.informer = informer
        self.namespace = namespace  # a namespace's share of an all-namespaces informer
        self._pending = [Change("ADDED", o) for o in informer.objects.values() if self.wants(o)]

    def wants(self, obj: Obj) -> bool:
        return not self.namespace or (obj.get("metadata") or {}).get("namespace") == self.namespace

    def push(self, change: Change) -> None:
        if self.wants(change.obj):
            self._pending.append(change)

    def drain(self) -> list[Change]:
        out, self._pending = self._pending, []
        return out

    def close(self) -> None:
        self.informer.unsubscribe(self)


class Informer:
    def __init__(
        self,
        client: KubeClient,
        path: str,
        *,
        on_idle: Callable[[Informer], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        printing: ServerPrinting | None = None,
    ) -> None:
        self.client = client
        # A kind k9py has no printer for: lists and watches ask for the server's Tables, whose cells it keeps.
        self.printing = printing
        self._accept, self._include = (TABLE, "Object") if printing is not None else ("application/json", None)
        self.path = path  # the collection: /api/v1/pods, /apis/apps/v1/namespaces/shop/deployments
        self.objects: dict[str, Obj] = {}
        self.resource_version = ""
        self.synced = False  # the first list has arrived
        self.reconnecting = False  # the watch broke and is being retried (the cache may be stale)
        self.error = ""  # why the server refuses this list (403...), in its words
        self.relists = 0
        self._subscribers: list[InformerSubscription] = []
        self._on_idle = on_idle
        self._on_error = on_error  # told each new refusal (403...), in the server's words
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._backoff = BACKOFF_FIRST  # the next wait after a broken connection; doubles up to BACKOFF_MAX
        self.changed = asyncio.Event()  # set after every change (tests wait on it)

    # --- subscribers -------------------------------------------------------------------------------------------

    def subscribe(self, namespace: str | None = None) -> InformerSubscription:
        sub = InformerSubscription(self, namespace)
        self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: InformerSubscription) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)
        if not self._subscribers and self._on_idle is not None:
            self._on_idle(self)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def _emit(self, kind: str, obj: Obj) -> None:
        # managedFields are 40 % of a pod's JSON and nothing here reads them (kubectl and k9s hide them too; the
        # watched folders fetch their own copies): not keeping them is 40 % less memory for a big cluster's cache.
        (obj.get("metadata") or {}).pop("managedFields", None)
        key = object_key(obj)
        if kind == "DELETED":
            self.objects.pop(key, None)
            if self.printing is not None:
                self.printing.cells.pop((obj.get("metadata") or {}).get("uid", ""), None)
        else:
            self.objects[key] = obj
        change = Change(kind, obj)
        for sub in self._subscribers:
            sub.push(change)
        self.changed.set()

    # --- running -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name=f"informer {self.path}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # stopping: whatever it was doing is over
                pass
            self._task = None

    async def run(self) -> None:
        while True:
            try:
                if not self.resource_version:
                    await self.relist()
                await self.watch()
                self._backoff = BACKOFF_FIRST  # the server ended a healthy watch: resume from where it was
            except Gone:
                self.resource_version = ""  # list again, at once
            except KubeError as exc:
                if exc.code == 410:  # the watch refused by its request's status, not by an event: list again too
                    self.resource_version = ""
                    continue
                if exc.code in (401, 403, 404):
                    # Refused, not broken: say the server's words and ask again now and then (RBAC may change).
                    if exc.message != self.error and self._on_error is not None:
                        self._on_error(exc.message)
                    self.error = exc.message
                    self.synced = True
                    self.changed.set()
                    await self._sleep(BACKOFF_MAX)
                    continue
                self.reconnecting = True
                self.changed.set()
                log.info("%s: %s; retrying in %.1fs", self.path, exc.message, self._backoff)
                await self._sleep(self._backoff)
                self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    async def relist(self) -> None:
        """Every object, page by page, each page told to the subscribers as it arrives (a view of 10,000 pods shows
        rows after the first page and takes the rest in page-sized steps between frames, instead of all of them in
        one frame after the last page); then what the list no longer holds is deleted."""
        listed: set[str] = set()
        token = ""
        while True:
            try:
                page = await self.client.request(
                    "GET",
                    self.path,
                    {"limit": PAGE, "continue": token or None, "includeObject": self._include},
                    accept=self._accept,
                )
            except KubeError as exc:
                if exc.code == 410 and token:  # the continue token expired: start the list over
                    listed, token = set(), ""
                    continue
                raise
            # Items of a list carry no kind; the watch's objects do: keep them alike for the printers.
            kind = str(page.get("kind", "")).removesuffix("List")
            version = page.get("apiVersion", "")
            # A Table's rows carry their objects whole, kind and apiVersion included.
            items = self.printing.learn(page) if self.printing is not None else page.get("items") or ()
            for obj in items:
                if self.printing is None:
                    obj.setdefault("kind", kind)
                    obj.setdefault("apiVersion", version)
                key = object_key(obj)
                listed.add(key)
                old = self.objects.get(key)
                if old is None:
                    self._emit("ADDED", obj)
                elif resource_version(old) != resource_version(obj):
                    self._emit("MODIFIED", obj)
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                break
        for key in [k for k in self.objects if k not in listed]:
            self._emit("DELETED", self.objects[key])
        self.resource_version = str(meta.get("resourceVersion") or "")
        self.relists += 1
        self.synced, self.error, self.reconnecting = True, "", False
        self.changed.set()

    async def watch(self) -> None:
        query = {
            "watch": True,
            "resourceVersion": self.resource_version,
            "allowWatchBookmarks": True,
            "timeoutSeconds": WATCH_SECONDS,
            "includeObject": self._include,
        }
        lines = self.client.lines(
            self.path, query, read_timeout=WATCH_SECONDS + 60, opened=self._connected, accept=self._accept
        )
        async for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise Gone()
                raise KubeError(str(obj.get("message") or "watch error"), int(obj.get("code") or 0))
            if self.reconnecting:
                self.reconnecting = False
                self.changed.set()
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv:
                self.resource_version = str(rv)
            if kind not in ("ADDED", "MODIFIED", "DELETED"):
                continue
            if self.printing is not None and obj.get("kind") == "Table":  # the object's one row, as printed
                for row_obj in self.printing.learn(obj):
                    version = (row_obj.get("metadata") or {}).get("resourceVersion") or rv
                    if version:
                        self.resource_version = str(version)
                    self._emit(str(kind), row_obj)
            else:
                self._emit(str(kind), obj)

    def _connected(self) -> None:
        """The server accepted the watch: connected again, though a quiet watch may bring no event for minutes (the
        header would say reconnecting… till then), and the next outage starts over from the shortest wait."""
        self._backoff = BACKOFF_FIRST
        if self.reconnecting:
            self.reconnecting = False
            self.changed.set()
