"""A kind served in a second version, over the one the engine stores: kube-apiserver serves every version of a
resource from one storage, converting on the way in and out. The views here (events.k8s.io/v1 over core Events,
autoscaling/v1 over autoscaling/v2 HorizontalPodAutoscalers) say how an object converts; this class serves the
requests: get, list (selectors, limit/continue), watch, Tables, create, update, the patch types, delete, delete
collection, and the `status` subresource when the kind has one.

Reads convert what the store holds (as `Api.shown` shows it); writes convert the body to the stored version and
go through engine.api like any other. Tables are the stored kind's: kube-apiserver prints the internal object,
whatever version was asked for.
"""

from __future__ import annotations

import abc
import functools
from typing import Any

from aiohttp import web

from .. import errors
from ..kinds import KindInfo, Registry
from . import media, tables
from .patching import check_not_forced, field_manager, is_apply, patcher_for
from .query_params import flag
from .resources import Resources, Target, _warn, namespaced_parts, read_body
from .status import json_response, method_not_allowed, not_found_path, success, unsupported_patch_type
from .watch import WatchStream

Obj = dict[str, Any]


class ConvertedView(abc.ABC):
    """Serves `view` (a KindInfo beside the registry's, see discovery.serve_beside) from the stored `stored`."""

    view: KindInfo

    def __init__(self, resources: Resources, registry: Registry, stored: str) -> None:
        self.resources = resources
        self.api = resources.api
        self.stored = registry.resolve(stored)

    # --- what a view says ----------------------------------------------------------------------------------

    @abc.abstractmethod
    def to_view(self, stored: Obj, with_type: bool = True) -> Obj:
        """A stored object in the view's version; list items carry no kind and apiVersion when `with_type` is
        false (upstream writes them for some groups and not for others)."""

    @abc.abstractmethod
    def to_stored(self, body: Obj) -> Obj:
        """A request body in the view's version as the stored version's object."""

    def field_selector(self, text: str | None) -> str | None:
        """The request's field selector in the stored version's field names."""
        return text

    def check_create(self, stored: Obj) -> None:
        """Checks the view's version makes of a created object beyond the stored kind's own."""
        return None  # none by default: a view whose version adds no rule of its own keeps this

    def managed_fields(self, old: Obj | None, new: Obj, manager: str, subresource: str) -> list[Obj] | None:
        """The managedFields a write in the view's version leaves (None: as the stored version records them)."""
        return None

    async def apply(self, request: web.Request, target: Target) -> web.Response:
        """Server-side apply; a view without it answers 415, as kube-apiserver does for a resource it cannot
        apply."""
        raise unsupported_patch_type()

    # --- dispatch ------------------------------------------------------------------------------------------

    def register(self, app: web.Application) -> None:
        """Ahead of the generic resource routes, which know only the registry's kinds."""
        app.router.add_route("*", f"/apis/{self.view.group}/{self.view.version}/{{path:.+}}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        namespace, parts = namespaced_parts(request.match_info["path"])
        subresource = parts[2] if len(parts) == 3 else None
        if not parts or parts[0] != self.view.plural or len(parts) > 3 or (
                subresource is not None and not (subresource == "status" and self.view.has_status)):
            raise not_found_path()
        target = Target(self.stored, namespace, parts[1] if len(parts) >= 2 else None, subresource)
        method = request.method
        if target.name is None:
            if method == "GET":
                return await self._watch(request, target) if flag(request.query, "watch") \
                    else self._list(request, target)
            if method == "POST" and namespace is not None:
                return await self._create(request, target)
            if method == "DELETE":
                return await self._delete_collection(request, target)
            raise method_not_allowed()
        if method == "GET":
            return self._get(request, target)
        if method == "PATCH" and is_apply(request.headers.get("Content-Type", "")):
            return await self.apply(request, target)
        if method in ("PUT", "PATCH"):
            return await self._write(request, target)
        if method == "DELETE" and subresource is None:
            return await self._delete(request, target)
        raise method_not_allowed()

    # --- reads ---------------------------------------------------------------------------------------------

    def shown(self, stored: Obj, with_type: bool = True) -> Obj:
        return self.to_view(self.api.shown(self.stored, stored), with_type)

    def _table(self, request: web.Request, objs: list[Obj], meta: Obj) -> web.Response:
        include = tables.include_object(request.query.get("includeObject"))
        shown = tables.table(self.stored, objs, self.resources.cluster.now(), meta, include)
        if include == "Object":
            for row, obj in zip(shown["rows"], objs, strict=True):
                row["object"] = self.to_view(obj)
        return json_response(shown, content_type=media.TABLE_TYPE)

    def _get(self, request: web.Request, target: Target) -> web.Response:
        obj = self.api.get(self.stored, target.name or "", target.namespace)
        if self.resources._representation(request) is media.Representation.TABLE:
            return self._table(request, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")})
        return json_response(self.shown(obj))

    def _selected(self, request: web.Request, target: Target) -> list[Obj]:
        query = request.query
        return self.api.list(self.stored, target.namespace, query.get("labelSelector"),
                             self.field_selector(query.get("fieldSelector")))

    def _list(self, request: web.Request, target: Target) -> web.Response:
        objs, meta = self.resources.page(request, self._selected(request, target))
        if self.resources._representation(request) is media.Representation.TABLE:
            return self._table(request, objs, meta)
        return json_response({"kind": f"{self.view.kind}List", "apiVersion": self.view.api_version, "metadata": meta,
                              "items": [self.shown(o, with_type=False) for o in objs]})

    async def _watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        return await self.resources.watch(request, target, field_selector=self.field_selector(
            request.query.get("fieldSelector")) or "", stream=functools.partial(_ConvertedWatch, view=self))

    # --- writes --------------------------------------------------------------------------------------------

    def _manager(self, request: web.Request) -> str:
        return field_manager(request.query, request.headers.get("User-Agent"))

    def check_body(self, body: Any, target: Target) -> Obj:
        """The body as the view's kind in the path's namespace (apiVersion and kind defaulted from the path)."""
        return self.resources._check_body(body, Target(self.view, target.namespace))

    async def _create(self, request: web.Request, target: Target) -> web.Response:
        body = self.check_body(await read_body(request), target)
        warnings = self.resources._field_validation(request, self.view, body)
        stored = self.to_stored(body)
        self.check_create(stored)
        manager = self._manager(request)
        created = self.api.create(stored, target.namespace, dry_run=self.resources._dry_run(request),
                                  manager=manager, managed_fields=self.managed_fields(None, stored, manager, ""))
        return _warn(json_response(self.shown(created), 201), warnings)

    async def _write(self, request: web.Request, target: Target) -> web.Response:
        if request.method == "PATCH":
            check_not_forced(request.query)
            apply_patch = patcher_for(request.headers.get("Content-Type", ""))
            current = self.shown(self.api.get(self.stored, target.name or "", target.namespace))
            body = apply_patch(current, await read_body(request))
        else:
            body = await read_body(request)
        body = self.check_body(body, target)
        if (body.get("metadata") or {}).get("name") != target.name:
            raise errors.bad_request(f"the name of the object ({body['metadata'].get('name') or ''}) does not "
                                     f"match the name on the URL ({target.name})")
        warnings = self.resources._field_validation(request, self.view, body)
        stored = self.to_stored(body)
        dry_run, manager, sub = self.resources._dry_run(request), self._manager(request), target.subresource or ""
        old = self.api.get(self.stored, target.name or "", target.namespace)
        entries = self.managed_fields(old, stored, manager, sub)
        if sub == "status":
            updated = self.api.update_status(stored, dry_run=dry_run, manager=manager, managed_fields=entries)
        else:
            updated = self.api.update(stored, dry_run=dry_run, manager=manager, managed_fields=entries)
        return _warn(json_response(self.shown(updated)), warnings)

    async def _delete(self, request: web.Request, target: Target) -> web.Response:
        options = await self.resources._delete_options(request)
        before = self.api.get(self.stored, target.name or "", target.namespace)
        result = self.resources._delete_one(self.stored, target.name or "", target.namespace, options)
        if result is not None:  # still there, waiting on finalizers: the object, as upstream answers
            return json_response(self.shown(result))
        return json_response(success(target.name or "", self.view.group, self.view.plural,
                                     before["metadata"].get("uid", "")))

    async def _delete_collection(self, request: web.Request, target: Target) -> web.Response:
        options = await self.resources._delete_options(request)
        deleted = []
        for obj in self._selected(request, target):
            meta = obj["metadata"]
            try:
                self.resources._delete_one(self.stored, meta["name"], meta.get("namespace"), options)
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
                continue
            deleted.append(self.shown(obj, with_type=False))
        return json_response({"kind": f"{self.view.kind}List", "apiVersion": self.view.api_version,
                              "metadata": {"resourceVersion": str(self.resources.cluster.store.resource_version)},
                              "items": deleted})


class _ConvertedWatch(WatchStream):
    """A watch of the stored kind whose objects are written in the view's version (a Table's rows are the
    stored kind's, as for a list)."""

    view: ConvertedView  # set by the view itself (a plain attribute: WatchStream's attrs fields are the store's)

    def __init__(self, *args: Any, view: ConvertedView, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = view

    def _line(self, kind: str, obj: Obj) -> bytes:
        # A bookmark too: upstream's is the view's kind, empty, as its version marshals an empty object.
        if not self.as_table and kind != "ERROR":
            obj = self.view.to_view(obj)
        return super()._line(kind, obj)
