"""events.k8s.io/v1 Events: a view over the engine's core/v1 Events, as kube-apiserver serves both groups from one
storage (pkg/apis/events/v1 conversion). The same object, under other names:

    core/v1            events.k8s.io/v1              core/v1             events.k8s.io/v1
    involvedObject     regarding                     source              deprecatedSource
    message            note                          firstTimestamp      deprecatedFirstTimestamp
    reportingComponent reportingController           lastTimestamp       deprecatedLastTimestamp
    count              deprecatedCount               (eventTime, series, action, reason, related, type,
                                                      reportingInstance: the same)

Reads (get, list with selectors and limit/continue, watch, tables) convert what the store holds; writes convert
the body to a core Event and go through engine.api like any other, after the checks kube-apiserver makes of an
Event created through events.k8s.io/v1 (eventTime set, type Normal or Warning, the deprecated fields unset).
Server-side apply is not served on this view (415); the other patch types are.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors
from ..kinds import KindInfo, Registry
from ..store import deep_copy
from . import discovery, media, tables
from .patching import field_manager, is_apply, patcher_for
from .resources import Resources, Target, read_body
from .status import json_response, method_not_allowed, not_found_path, success, unsupported_patch_type
from .watch import WatchStream

Obj = dict[str, Any]
GROUP = "events.k8s.io"
API_VERSION = f"{GROUP}/v1"
VIEW = discovery.serve_beside(KindInfo(kind="Event", group=GROUP, version="v1", plural="events", namespaced=True,
                                       short_names=("ev",), has_status=False), list(discovery.ALL_VERBS))

# events.k8s.io/v1 name -> core/v1 name, for fields named differently.
_RENAMED = {"regarding": "involvedObject", "note": "message", "reportingController": "reportingComponent",
            "deprecatedSource": "source", "deprecatedFirstTimestamp": "firstTimestamp",
            "deprecatedLastTimestamp": "lastTimestamp", "deprecatedCount": "count"}
# The events.k8s.io/v1 fields in the order Go writes them; `None`: written even when empty (no omitempty).
_ORDER: tuple[tuple[str, Any], ...] = (
    ("eventTime", None), ("series", ...), ("reportingController", ...), ("reportingInstance", ...),
    ("action", ...), ("reason", ...), ("regarding", {}), ("related", ...), ("note", ...), ("type", ...),
    ("deprecatedSource", {}), ("deprecatedFirstTimestamp", None), ("deprecatedLastTimestamp", None),
    ("deprecatedCount", ...))


def to_events_v1(core: Obj, with_type: bool = True) -> Obj:
    """A core/v1 Event as events.k8s.io/v1 writes it; list items carry no kind and apiVersion, as upstream's."""
    out: Obj = {"kind": "Event", "apiVersion": API_VERSION} if with_type else {}
    out["metadata"] = core.get("metadata", {})
    for name, empty in _ORDER:
        value = core.get(_RENAMED.get(name, name))
        if value not in (None, "", 0, {}, []):
            out[name] = value
        elif empty is not ...:
            out[name] = value if value is not None and empty is not None else deep_copy(empty)
    return out


def to_core(event: Obj) -> Obj:
    """An events.k8s.io/v1 Event as the core/v1 Event the engine stores."""
    core: Obj = {"apiVersion": "v1", "kind": "Event"}
    for key, value in event.items():
        if key not in ("apiVersion", "kind"):
            core[_RENAMED.get(key, key)] = value
    return core


def _field_selector(text: str | None) -> str | None:
    """The selector in core/v1 field names (`regarding.name` -> `involvedObject.name`), as the group's field label
    conversion does."""
    if not text:
        return text
    parts = []
    for part in text.split(","):
        for new, old in (("regarding.", "involvedObject."), ("reportingController", "reportingComponent"),
                         ("deprecatedSource", "source")):
            if part.strip().startswith(new):
                part = part.strip().replace(new, old, 1)
        parts.append(part)
    return ",".join(parts)


def _check_create(core: Obj) -> None:
    """ValidateEventCreate for a request through events.k8s.io/v1: the legacy checks, then the strict ones."""
    meta = core.get("metadata") or {}
    namespace = meta.get("namespace", "")
    involved = core.get("involvedObject") or {}
    causes: list[tuple[str, str]] = []
    if not core.get("eventTime"):
        if involved.get("namespace", "") != namespace and (involved.get("namespace") or namespace != "default"):
            causes.append(("involvedObject.namespace",
                           f'Invalid value: "{involved.get("namespace", "")}": does not match event.namespace'))
    else:
        if not involved.get("namespace") and namespace not in ("default", "kube-system"):
            causes.append(("involvedObject.namespace", 'Invalid value: "": does not match event.namespace'))
        for field, name in (("reportingComponent", "reportingController"), ("reportingInstance", "reportingInstance"),
                            ("action", "action"), ("reason", "reason")):
            if not core.get(field):
                causes.append((name, "Required value"))
    if not core.get("eventTime"):
        causes.append(("eventTime", "Required value"))
    if core.get("type") not in ("Normal", "Warning"):
        causes.append(("type", f'Invalid value: "": has invalid value: {core.get("type") or ""}'))
    for field in ("firstTimestamp", "lastTimestamp", "count"):
        if core.get(field):
            causes.append((field, 'Invalid value: "": needs to be unset'))
    if (core.get("source") or {}).get("component") or (core.get("source") or {}).get("host"):
        causes.append(("source", 'Invalid value: "": needs to be unset'))
    if causes:
        # Core field names (involvedObject, not regarding): upstream validates the internal, core-shaped Event.
        raise errors.invalid("Event", "", str(meta.get("name", "")), causes)


class EventsView:
    def __init__(self, resources: Resources, registry: Registry) -> None:
        self.resources = resources
        self.api = resources.api
        self.core = registry.resolve("events")

    def register(self, app: web.Application) -> None:
        """Ahead of the generic resource routes, which know only the registry's kinds."""
        app.router.add_route("*", f"/apis/{GROUP}/v1/{{path:.+}}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        namespace: str | None = None
        if len(parts) >= 3 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        if not parts or parts[0] != "events" or len(parts) > 2:
            raise not_found_path()
        target = Target(self.core, namespace, parts[1] if len(parts) == 2 else None)
        method = request.method
        if target.name is None:
            if method == "GET":
                return await self._watch(request, target) if request.query.get("watch") in ("1", "true") \
                    else self._list(request, target)
            if method == "POST" and namespace is not None:
                return await self._create(request, target)
            if method == "DELETE":
                return await self._delete_collection(request, target)
            raise method_not_allowed()
        if method == "GET":
            return self._get(request, target)
        if method in ("PUT", "PATCH"):
            return await self._write(request, target)
        if method == "DELETE":
            return await self._delete(request, target)
        raise method_not_allowed()

    def _table(self, request: web.Request, objs: list[Obj], meta: Obj) -> web.Response:
        include = tables.include_object(request.query.get("includeObject"))
        shown = tables.table(self.core, objs, self.resources.cluster.now(), meta, include)
        if include == "Object":
            for row, obj in zip(shown["rows"], objs, strict=True):
                row["object"] = to_events_v1(obj)
        return json_response(shown, content_type=media.TABLE_TYPE)

    def _get(self, request: web.Request, target: Target) -> web.Response:
        obj = self.api.get(self.core, target.name or "", target.namespace)
        if self.resources._representation(request) is media.Representation.TABLE:
            return self._table(request, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")})
        return json_response(to_events_v1(obj))

    def _list(self, request: web.Request, target: Target) -> web.Response:
        query = request.query
        selected = self.api.list(self.core, target.namespace, query.get("labelSelector"),
                                 _field_selector(query.get("fieldSelector")))
        objs, meta = self.resources.page(request, selected)
        if self.resources._representation(request) is media.Representation.TABLE:
            return self._table(request, objs, meta)
        return json_response({"kind": "EventList", "apiVersion": API_VERSION, "metadata": meta,
                              "items": [to_events_v1(o, with_type=False) for o in objs]})

    async def _watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        return await self.resources.watch(request, target, field_selector=_field_selector(
            request.query.get("fieldSelector")) or "", stream=_ConvertedWatch)

    async def _create(self, request: web.Request, target: Target) -> web.Response:
        body = await read_body(request)
        core = self._core_body(body, target)
        _check_create(core)
        created = self.api.create(core, target.namespace, dry_run=self.resources._dry_run(request),
                                  manager=_manager(request))
        return json_response(to_events_v1(created), 201)

    def _core_body(self, body: Any, target: Target) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not a Event object")
        body.setdefault("apiVersion", API_VERSION)
        body.setdefault("kind", "Event")
        if body["apiVersion"] != API_VERSION or body["kind"] != "Event":
            raise errors.bad_request(f"the API version in the data ({body['apiVersion']}) does not match the "
                                     f"expected API version ({API_VERSION})" if body["apiVersion"] != API_VERSION
                                     else f"the kind in the data ({body['kind']}) does not match the expected kind "
                                          "(Event)")
        meta = body.setdefault("metadata", {})
        if isinstance(meta, dict) and target.namespace is not None:
            if meta.get("namespace") and meta["namespace"] != target.namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            meta["namespace"] = target.namespace
        return to_core(body)

    async def _write(self, request: web.Request, target: Target) -> web.Response:
        content_type = request.headers.get("Content-Type", "")
        if request.method == "PATCH":
            if is_apply(content_type):
                raise unsupported_patch_type()
            apply_patch = patcher_for(content_type)
            current = to_events_v1(self.api.get(self.core, target.name or "", target.namespace))
            body = apply_patch(current, await read_body(request))
        else:
            body = await read_body(request)
        core = self._core_body(body, target)
        if (core.get("metadata") or {}).get("name") != target.name:
            raise errors.bad_request(f"the name of the object ({core['metadata'].get('name') or ''}) does not match "
                                     f"the name on the URL ({target.name})")
        updated = self.api.update(core, dry_run=self.resources._dry_run(request), manager=_manager(request))
        return json_response(to_events_v1(updated))

    async def _delete(self, request: web.Request, target: Target) -> web.Response:
        options = await self.resources._delete_options(request)
        before = self.api.get(self.core, target.name or "", target.namespace)
        self.resources._delete_one(self.core, target.name or "", target.namespace, options)
        return json_response(success(target.name or "", GROUP, "events", before["metadata"].get("uid", "")))

    async def _delete_collection(self, request: web.Request, target: Target) -> web.Response:
        options = await self.resources._delete_options(request)
        query = request.query
        deleted = []
        for obj in self.api.list(self.core, target.namespace, query.get("labelSelector"),
                                 _field_selector(query.get("fieldSelector"))):
            meta = obj["metadata"]
            try:
                self.resources._delete_one(self.core, meta["name"], meta.get("namespace"), options)
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
                continue
            deleted.append(to_events_v1(obj, with_type=False))
        return json_response({"kind": "EventList", "apiVersion": API_VERSION,
                              "metadata": {"resourceVersion": str(self.resources.cluster.store.resource_version)},
                              "items": deleted})


class _ConvertedWatch(WatchStream):
    """A watch of core Events whose objects are written as events.k8s.io/v1 (a table's rows keep the core
    Event's cells, which are the same)."""

    def _line(self, kind: str, obj: Obj) -> bytes:
        if not self.as_table and kind != "ERROR":
            obj = to_events_v1(obj)
        return super()._line(kind, obj)


def _manager(request: web.Request) -> str:
    return field_manager(request.query, request.headers.get("User-Agent"))
