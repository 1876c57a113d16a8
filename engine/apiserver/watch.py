"""Watch streams: `?watch=1` answered as kube-apiserver does, a chunked stream of `{"type","object"}` lines.

- No resourceVersion (or "0"): a synthetic ADDED for every matching object first, then changes; with
  `allowWatchBookmarks` a BOOKMARK marks the end of those initial events (annotation `k8s.io/initial-events-end`).
- A resourceVersion: every change after it, or, when the store's history no longer reaches back that far, one
  ERROR event carrying the 410 Expired Status (HTTP 200: the stream has started), and the stream ends.
- Selectors filter as the API server's watch cache does: an object that stops matching is DELETED for this
  watcher, one that starts matching is ADDED.
- `allowWatchBookmarks`: a BOOKMARK with the current resourceVersion every `bookmark_seconds`, so a client
  resumes from a recent version after a reconnect.
- `timeoutSeconds` ends the stream (wall clock); so does the client going away.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web

from ..errors import ApiError
from ..kinds import KindInfo
from ..selectors import LabelSelector
from ..store import Store, WatchEvent
from . import tables
from .status import dumps

Obj = dict[str, Any]
DEFAULT_TIMEOUT = 1800.0  # kube-apiserver's --min-request-timeout
BOOKMARK_SECONDS = 60.0  # about as often as the API server's watch cache sends them


def _matches(obj: Obj | None, labels: LabelSelector, fields: Callable[[Obj], bool] | None) -> bool:
    if obj is None:
        return False
    if not labels.empty and not labels.matches(obj.get("metadata", {}).get("labels")):
        return False
    return fields is None or fields(obj)


def filtered(event: WatchEvent, labels: LabelSelector, fields: Callable[[Obj], bool] | None) -> tuple[str, Obj] | None:
    """What this watcher sees of `event`: (type, object), or None."""
    now = _matches(event.object, labels, fields)
    if event.type == "MODIFIED" and labels.empty and fields is None:
        return event.type, event.object
    if event.type == "MODIFIED":
        before = _matches(event.old, labels, fields)
        if now and before:
            return "MODIFIED", event.object
        if now:
            return "ADDED", event.object
        if before:
            return "DELETED", event.object
        return None
    return (event.type, event.object) if now else None


@attrs.define
class WatchStream:
    request: web.Request
    store: Store
    info: KindInfo
    namespace: str | None
    labels: LabelSelector
    fields: Callable[[Obj], bool] | None
    as_table: bool
    include: str  # a Table row's object: None, Metadata or Object
    now: Callable[[], float]  # cluster time, for the tables' ages
    bookmarks: bool
    bookmark_seconds: float
    timeout: float
    # The object as a read shows it (engine.api.Api.shown: managedFields built for what only components wrote);
    # a Table's rows go without them, as kubectl never prints them there and a 10,000-pod table stays cheap.
    shown: Callable[[Obj], Obj] | None = None
    _headers_sent: bool = False

    def _lines(self, events: list[WatchEvent]) -> list[bytes]:
        shown = None if self.as_table else self.shown
        return [self._line(seen[0], shown(seen[1]) if shown is not None and seen[0] != "ERROR" else seen[1])
                for event in events if (seen := filtered(event, self.labels, self.fields))]

    def _line(self, kind: str, obj: Obj) -> bytes:
        if self.as_table and kind != "ERROR":
            rv = obj.get("metadata", {}).get("resourceVersion", "")
            if kind == "BOOKMARK":
                shown = {"kind": "Table", "apiVersion": tables.TABLE_VERSION, "metadata": {"resourceVersion": rv},
                         "columnDefinitions": [], "rows": []}
            else:
                shown = tables.table(self.info, [obj], self.now(), {"resourceVersion": rv}, self.include,
                                     headers=not self._headers_sent)
                self._headers_sent = True
            obj = shown
        return (dumps({"type": kind, "object": obj}) + "\n").encode()

    def _bookmark(self, initial_end: bool = False) -> bytes:
        meta: Obj = {"resourceVersion": str(self.store.resource_version)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return self._line("BOOKMARK", {"kind": self.info.kind, "apiVersion": self.info.api_version, "metadata": meta})

    async def serve(self, resource_version: int | None) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        response.headers["Content-Type"] = "application/json"
        response.headers["Cache-Control"] = "no-cache, private"
        response.enable_chunked_encoding()
        try:
            watcher, backlog = self.store.add_watcher(self.info.resource, self.namespace, resource_version)
        except ApiError as exc:
            await response.prepare(self.request)
            await response.write(self._line("ERROR", exc.status))
            await response.write_eof()
            return response
        deadline = time.monotonic() + self.timeout
        try:
            await response.prepare(self.request)
            chunk = self._lines(backlog)
            if self.bookmarks and not resource_version:
                chunk.append(self._bookmark(initial_end=True))
            if chunk:
                await response.write(b"".join(chunk))
            next_bookmark = time.monotonic() + self.bookmark_seconds
            while True:
                now = time.monotonic()
                wait = min(deadline, next_bookmark if self.bookmarks else deadline) - now
                if now >= deadline:
                    break
                events: list[WatchEvent] = []
                with contextlib.suppress(TimeoutError):
                    events = await asyncio.wait_for(watcher.next_batch(), max(wait, 0))
                if watcher.closed:
                    break
                lines = self._lines(events)
                if self.bookmarks and time.monotonic() >= next_bookmark:
                    lines.append(self._bookmark())
                    next_bookmark = time.monotonic() + self.bookmark_seconds
                if lines:
                    await response.write(b"".join(lines))
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away: nothing more to send (a cancelled handler also ends up in `finally`)
        finally:
            watcher.close()
        return response
