"""The resource endpoints: /api/v1/... and /apis/<group>/<version>/..., for every kind in the registry.

Every request goes through `engine.api` (the one door), so it changes the cluster exactly as the dashboard's
actions and the manifest folders do, with the same validation, defaults and Status errors.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import json
from typing import Any

import attrs
import yaml
from aiohttp import web

from .. import errors
from ..cluster import Cluster
from ..kinds import KindInfo, Registry
from ..kinds.decoding import first_type_error
from ..manifests.loader import duplicate_key
from ..manifests.schema import validate_structure
from ..quoting import go_quote
from ..selectors import parse_field_selector, parse_label_selector
from ..store import deep_copy
from ..strconv import parse_uint
from . import eviction, media, protobuf, tables
from .logs import serve_log
from .patching import apply_request, check_not_forced, field_manager, is_apply, patcher_for
from .query_params import flag, int_param
from .status import (
    json_response,
    method_not_allowed,
    not_acceptable,
    not_found_path,
    success,
    too_large_resource_version,
    unsupported_body_type,
)
from .watch import BOOKMARK_SECONDS, DEFAULT_TIMEOUT, WatchStream

Obj = dict[str, Any]
NAMESPACE_SUBRESOURCES = ("status", "finalize")


@attrs.frozen
class Target:
    """What a resource path names."""

    info: KindInfo
    namespace: str | None  # the path's namespace; None: all namespaces, or a cluster-scoped kind
    name: str | None = None
    subresource: str | None = None


def _find(registry: Registry, group: str, version: str, plural: str) -> KindInfo:
    for info in registry.kinds():
        if info.group == group and info.version == version and info.plural == plural:
            return info
    raise not_found_path()


def namespaced_parts(path: str) -> tuple[str | None, list[str]]:
    """`namespaces/shop/pods/web-1` → ("shop", ["pods", "web-1"]); a path without a namespace → (None, its parts)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "namespaces":
        return parts[1], parts[2:]
    return None, parts


def parse_target(registry: Registry, group: str, version: str, path: str) -> Target:
    """`namespaces/shop/pods/web-1/log` → Target(pods, "shop", "web-1", "log"), as kube-apiserver's routes do."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise not_found_path()
    if parts[0] == "namespaces" and len(parts) >= 3 and not (len(parts) == 3 and parts[2] in NAMESPACE_SUBRESOURCES):
        namespace, rest = parts[1], parts[2:]
        info = _find(registry, group, version, rest[0])
        if not info.namespaced or len(rest) > 3:
            raise not_found_path()
        return Target(info, namespace, *rest[1:])  # type: ignore[arg-type]
    info = _find(registry, group, version, parts[0])
    if len(parts) > 3 or (info.namespaced and len(parts) > 1):
        raise not_found_path()
    return Target(info, None, *parts[1:])  # type: ignore[arg-type]


async def read_body(request: web.Request) -> Any:
    """The request body as JSON (or YAML, which is a superset) or protobuf, as its JSON form; the server's 400 when
    it cannot be read."""
    raw = await request.read()
    # No Content-Type at all means JSON, the first media type kube-apiserver supports (NegotiateInputSerializer);
    # the official Python client sends none on create. aiohttp's `content_type` would say application/octet-stream.
    media_type = (request.content_type if request.headers.get("Content-Type") else "application/json").lower()
    if not raw:
        raise errors.bad_request("the request body is empty")
    if media_type == protobuf.PROTOBUF:  # kubectl's typed clients: `kubectl create configmap/deployment/...`
        return protobuf.decode_body(raw)
    if not media_type.endswith(("json", "yaml")):
        raise unsupported_body_type()
    try:
        if media_type.endswith("yaml"):
            body = yaml.safe_load(raw)  # a key set twice: the last value, unless strict decoding refuses it
            if request.query.get("fieldValidation") == "Strict" and isinstance(body, dict) and body.get("kind"):
                duplicate = duplicate_key(raw)
                if duplicate:
                    kind, version = body["kind"], str(body.get("apiVersion", "")).rsplit("/", 1)[-1]
                    raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: strict '
                                             f"decoding error: yaml: unmarshal errors:\n  {duplicate}")
            return body
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"error decoding request body: {exc}") from None


def _encode_continue(rv: int, namespace: str, name: str) -> str:
    token = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": f"{namespace}/{name}\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def resource_version(asked: str) -> int:
    """etcd3's ParseResourceVersion: ValueError in its words (`resourceVersion: Invalid value: "abc":
    strconv.ParseUint: parsing "abc": invalid syntax`)."""
    try:
        return parse_uint(asked)
    except ValueError as exc:
        raise ValueError(f"resourceVersion: Invalid value: {go_quote(asked)}: {exc}") from None


def _list_key(obj: Obj) -> tuple[str, str]:
    """The order a list answers in (Api.list's): by namespace, then name."""
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        namespace, _, name = str(data["start"]).rstrip("\x00").partition("/")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                 "(version meta.k8s.io/v1)") from None
    return namespace, name


class Resources:
    def __init__(self, cluster: Cluster, registry: Registry, *, bookmark_seconds: float = BOOKMARK_SECONDS) -> None:
        self.cluster = cluster
        self.api = cluster.api
        self.registry = registry
        self.bookmark_seconds = bookmark_seconds

    # --- dispatch ------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request, group: str, version: str, path: str) -> web.StreamResponse:
        target = parse_target(self.registry, group, version, path)
        method = request.method
        if target.subresource is not None:
            return await self._subresource(request, target, method)
        if target.name is None:
            if method == "GET":
                if flag(request.query, "watch"):
                    return await self.watch(request, target)
                return self.list(request, target)
            if method == "POST":
                return await self.create(request, target)
            if method == "DELETE":
                return await self.delete_collection(request, target)
            raise method_not_allowed()
        return await self._object(request, target, method)

    async def _object(self, request: web.Request, target: Target, method: str) -> web.StreamResponse:
        """An object, or its status subresource (which is read and written as the whole object)."""
        if method == "GET":
            return self.get(request, target)
        if method == "PUT":
            return await self.update(request, target)
        if method == "PATCH":
            return await self.patch(request, target)
        if method == "DELETE" and target.subresource is None:
            return await self.delete(request, target)
        raise method_not_allowed()

    async def _subresource(self, request: web.Request, target: Target, method: str) -> web.StreamResponse:
        info, sub = target.info, target.subresource
        if sub == "status" and info.has_status:
            return await self._object(request, target, method)
        if sub == "scale" and info.scalable:
            if method == "GET":
                return json_response(self.api.get_scale(info, target.name or "", target.namespace))
            if method in ("PUT", "PATCH"):
                return await self.write_scale(request, target)
            raise method_not_allowed()
        if sub == "log" and info.kind == "Pod":
            if method != "GET":
                raise method_not_allowed()
            return await serve_log(request, self.cluster, target.namespace or "default", target.name or "")
        if sub == "eviction" and info.kind == "Pod":
            if method != "POST":
                raise method_not_allowed()
            return await eviction.serve(request, self.api, target.namespace or "default", target.name or "", read_body)
        if sub == "binding" and info.kind == "Pod":
            if method != "POST":
                raise method_not_allowed()
            body = await read_body(request)
            node = ((body or {}).get("target") or {}).get("name") if isinstance(body, dict) else None
            if not node:
                raise errors.invalid("Binding", "", target.name or "", [("target.name", "Required value")])
            self.api.bind(target.namespace or "default", target.name or "", str(node))
            return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                  "code": 201}, 201)
        if sub == "finalize" and info.kind == "Namespace":
            if method != "PUT":
                raise method_not_allowed()
            body = await read_body(request)
            wanted = ((body or {}).get("spec") or {}).get("finalizers") or [] if isinstance(body, dict) else []
            if "kubernetes" not in wanted:
                self.api.finalize_namespace(target.name or "")
            current = self.cluster.store.get("namespaces", "", target.name or "")
            return json_response(current if current is not None else body)
        raise not_found_path()

    # --- reads ---------------------------------------------------------------------------------------------

    def _representation(self, request: web.Request) -> media.Representation:
        chosen = media.choose(request.headers.get("Accept"), table=True)
        if chosen is media.Representation.NONE:
            raise not_acceptable()
        return chosen

    def get(self, request: web.Request, target: Target) -> web.Response:
        chosen = self._representation(request)
        obj = self.api.get(target.info, target.name or "", target.namespace)
        if chosen is media.Representation.TABLE:
            include = tables.include_object(request.query.get("includeObject"))
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return json_response(tables.table(target.info, [obj], self.cluster.now(), meta, include),
                                 content_type=media.TABLE_TYPE)
        return json_response(self.api.shown(target.info, obj))

    def _selected(self, request: web.Request, target: Target) -> list[Obj]:
        query = request.query
        return self.api.list(target.info, target.namespace, query.get("labelSelector"), query.get("fieldSelector"))

    def list(self, request: web.Request, target: Target) -> web.Response:
        chosen = self._representation(request)
        int_param(request.query, "timeoutSeconds")  # unused by a list, but converted with the other ListOptions
        objs, meta = self.page(request, self._selected(request, target))
        if chosen is media.Representation.TABLE:
            include = tables.include_object(request.query.get("includeObject"))
            return json_response(tables.table(target.info, objs, self.cluster.now(), meta, include),
                                 content_type=media.TABLE_TYPE)
        shown = self.api.shown
        return json_response({"kind": f"{target.info.kind}List", "apiVersion": target.info.api_version,
                              "metadata": meta, "items": [shown(target.info, o) for o in objs]})

    def page(self, request: web.Request, objs: list[Obj]) -> tuple[list[Obj], Obj]:
        """The list request's page of `objs`, in Api.list's order (resourceVersion, limit, continue), and its list
        metadata."""
        query = request.query
        current = self.cluster.store.resource_version
        asked = query.get("resourceVersion")
        if asked not in (None, "", "0"):
            try:
                wanted = resource_version(asked)
            except ValueError as exc:
                raise errors.bad_request(f"invalid resource version: {exc}") from None
            if wanted > current:
                raise too_large_resource_version(wanted, current)
        token = query.get("continue")
        if token:
            # `objs` is sorted: a binary search finds where the page starts, where a scan cost each of kubectl's
            # 500-object pages the whole list (10,000 pods: 21 pages, 2.5 s of the server's time in all).
            objs = objs[bisect.bisect_right(objs, _decode_continue(token), key=_list_key):]
        meta: Obj = {"resourceVersion": str(current)}
        limit = int_param(query, "limit")
        if limit is not None and limit > 0 and len(objs) > limit:
            remaining = len(objs) - limit
            objs = objs[:limit]
            last = objs[-1]["metadata"]
            meta["continue"] = _encode_continue(current, last.get("namespace", ""), last["name"])
            meta["remainingItemCount"] = remaining
        return objs, meta

    async def watch(self, request: web.Request, target: Target, *, field_selector: str | None = None,
                    stream: type[WatchStream] = WatchStream) -> web.StreamResponse:
        """`field_selector` and `stream`: a view's own (events.k8s.io's, in core field names and converted)."""
        chosen = self._representation(request)
        query = request.query
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(field_selector if field_selector is not None else query.get("fieldSelector"))
        asked = query.get("resourceVersion")
        try:
            rv = resource_version(asked) if asked not in (None, "") else None
        except ValueError as exc:
            raise errors.ApiError(500, "", str(exc)) from None  # kube-apiserver's watch answers so: no reason
        timeout = int_param(query, "timeoutSeconds")
        watching = stream(
            request, self.cluster.store, target.info, target.namespace, labels, fields,
            as_table=chosen is media.Representation.TABLE, include=tables.include_object(query.get("includeObject")),
            now=self.cluster.now, bookmarks=flag(query, "allowWatchBookmarks"),
            bookmark_seconds=self.bookmark_seconds, timeout=float(timeout) if timeout else DEFAULT_TIMEOUT,
            shown=functools.partial(self.api.shown, target.info))
        return await watching.serve(rv)

    # --- writes --------------------------------------------------------------------------------------------

    def _dry_run(self, request: web.Request) -> bool:
        values = request.query.getall("dryRun", [])
        for value in values:
            if value != "All":
                raise errors.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        return bool(values)

    def _field_validation(self, request: web.Request, info: KindInfo, obj: Obj) -> list[str]:
        """fieldValidation: Strict (kubectl's default) refuses unknown fields with the decoder's 400, Warn
        returns them as warnings, Ignore (and no parameter, as for older clients) drops them silently."""
        mode = request.query.get("fieldValidation") or "Ignore"
        if mode not in ("Ignore", "Warn", "Strict"):
            raise errors.bad_request(f'fieldValidation: Unsupported value: "{mode}": supported values: "Ignore", '
                                     '"Strict", "Warn"')
        problems = validate_structure(obj)
        unknown = [message.split(" (did you mean")[0] for _, message in sorted(problems)
                   if message.startswith("unknown field")]  # sorted by path, as the decoder lists them
        if len(unknown) < len(problems):  # a wrong type fails decoding itself, whatever the validation mode
            decoding = first_type_error(obj, info.kind, info.version, info.api_version)
            if decoding is not None:
                raise decoding
        if mode == "Ignore":
            return []
        if unknown and mode == "Strict":
            raise errors.bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                                     f"strict decoding error: {', '.join(unknown)}")
        return unknown

    def _check_body(self, body: Any, target: Target) -> Obj:
        """The body must be an object of the endpoint's kind, in the path's namespace; missing apiVersion and
        kind are taken from the path, as the server's decoder defaults them."""
        info = target.info
        if not isinstance(body, dict):
            raise errors.bad_request(f"the body of the request was not a {info.kind} object")
        body.setdefault("apiVersion", info.api_version)
        body.setdefault("kind", info.kind)
        if body["kind"] != info.kind or body["apiVersion"] != info.api_version:
            raise errors.bad_request(
                f"the API version in the data ({body['apiVersion']}) does not match the expected API version "
                f"({info.api_version})" if body["apiVersion"] != info.api_version else
                f"the kind in the data ({body['kind']}) does not match the expected kind ({info.kind})")
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if isinstance(meta, dict) and info.namespaced and target.namespace is not None:
            given = meta.get("namespace")
            if given and given != target.namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            meta["namespace"] = target.namespace
        return body

    async def create(self, request: web.Request, target: Target) -> web.Response:
        if target.info.namespaced and target.namespace is None:
            raise method_not_allowed()  # POST /api/v1/pods: creating needs a namespace in the path
        body = self._check_body(await read_body(request), target)
        warnings = self._field_validation(request, target.info, body)
        dry_run = self._dry_run(request)
        created = self.api.create(body, target.namespace, dry_run=dry_run, manager=_manager(request))
        return _warn(json_response(created, 201), warnings)

    async def update(self, request: web.Request, target: Target) -> web.Response:
        return self._replace(request, target, await read_body(request))

    async def patch(self, request: web.Request, target: Target) -> web.Response:
        content_type = request.headers.get("Content-Type", "")
        if is_apply(content_type):
            body = await read_body(request)
            warnings = self._field_validation(request, target.info, body) if isinstance(body, dict) else []
            obj, created = apply_request(self.api, target.info, target.name or "", target.namespace,
                                         target.subresource, body, request.query, self._dry_run(request))
            return _warn(json_response(obj, 201 if created else 200), warnings)
        check_not_forced(request.query)
        apply_patch = patcher_for(content_type)
        body = await read_body(request)
        current = self.api.get(target.info, target.name or "", target.namespace)
        # A resourceVersion the patch itself sets is a precondition; otherwise the one just read stands.
        return self._replace(request, target, apply_patch(current, body))

    def _replace(self, request: web.Request, target: Target, body: Any) -> web.Response:
        """PUT, or the result of a PATCH: the object keeps the identity its path gives it."""
        body = self._check_body(body, target)
        meta = body["metadata"]
        name = meta.get("name") if isinstance(meta, dict) else None
        if name != target.name:
            raise errors.bad_request(f"the name of the object ({name or ''}) does not match the name on the URL "
                                     f"({target.name})")
        if not target.info.namespaced:
            meta.pop("namespace", None)
        warnings = self._field_validation(request, target.info, body)
        dry_run = self._dry_run(request)
        manager = _manager(request)
        if target.subresource == "status":
            return _warn(json_response(self.api.update_status(body, dry_run=dry_run, manager=manager)), warnings)
        return _warn(json_response(self.api.update(body, dry_run=dry_run, manager=manager)), warnings)

    async def write_scale(self, request: web.Request, target: Target) -> web.Response:
        info, name = target.info, target.name or ""
        body = await read_body(request)
        if request.method == "PATCH":
            apply_patch = patcher_for(request.headers.get("Content-Type", ""))
            body = apply_patch(self.api.get_scale(info, name, target.namespace), body)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not a Scale object")
        current = self.api.get_scale(info, name, target.namespace)
        rv = (body.get("metadata") or {}).get("resourceVersion")
        if rv and str(rv) != current["metadata"]["resourceVersion"]:
            raise errors.conflict(info.plural, info.group, name)
        replicas = (body.get("spec") or {}).get("replicas", 0)
        if self._dry_run(request):
            self.api.scale(info, name, target.namespace, replicas, dry_run=True, manager=_manager(request))
            return json_response({**current, "spec": {"replicas": replicas}})
        self.api.scale(info, name, target.namespace, replicas, manager=_manager(request))
        return json_response(self.api.get_scale(info, name, target.namespace))

    async def _delete_options(self, request: web.Request) -> Obj:
        """DeleteOptions from the body (kubectl sends one) with query parameters taking precedence."""
        options: Obj = {}
        if request.can_read_body:
            if (request.content_type or "").lower() == protobuf.PROTOBUF:
                options.update(protobuf.delete_options(await request.read()))
            elif (await request.read()).strip():
                body = await read_body(request)
                if isinstance(body, dict):
                    options.update(body)
        query = request.query
        if query.get("gracePeriodSeconds") not in (None, ""):
            options["gracePeriodSeconds"] = int_param(query, "gracePeriodSeconds")
        if query.get("propagationPolicy"):
            options["propagationPolicy"] = query["propagationPolicy"]
        if query.get("orphanDependents") not in (None, ""):
            options["orphanDependents"] = flag(query, "orphanDependents")
        if query.getall("dryRun", []):
            options["dryRun"] = query.getall("dryRun")
        return options

    def _delete_one(self, info: KindInfo, name: str, namespace: str | None, options: Obj) -> Obj | None:
        propagation = options.get("propagationPolicy")
        if propagation is None and options.get("orphanDependents") is not None:
            propagation = "Orphan" if options["orphanDependents"] else "Background"
        preconditions = options.get("preconditions") or {}
        if preconditions.get("resourceVersion"):
            current = self.api.get(info, name, namespace)
            if current["metadata"].get("resourceVersion") != str(preconditions["resourceVersion"]):
                raise errors.conflict(info.plural, info.group, name)
        dry_run = options.get("dryRun") or []
        for value in dry_run:
            if value != "All":
                raise errors.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        grace = options.get("gracePeriodSeconds")
        return self.api.delete(info, name, namespace, grace_period=grace, propagation=propagation,
                               uid=preconditions.get("uid"), dry_run=bool(dry_run))

    async def delete(self, request: web.Request, target: Target) -> web.Response:
        options = await self._delete_options(request)
        info, name = target.info, target.name or ""
        before = self.api.get(info, name, target.namespace)
        uid = before["metadata"].get("uid", "")
        result = self._delete_one(info, name, target.namespace, options)
        if result is None:
            return json_response(success(name, info.group, info.plural, uid))
        return json_response(deep_copy(result))

    async def delete_collection(self, request: web.Request, target: Target) -> web.Response:
        if target.info.kind == "Namespace":
            raise method_not_allowed()
        options = await self._delete_options(request)
        deleted = []
        for obj in list(self._selected(request, target)):
            meta = obj["metadata"]
            try:
                result = self._delete_one(target.info, meta["name"], meta.get("namespace"), options)
            except errors.ApiError as exc:
                if exc.code == 404:
                    continue  # gone meanwhile (a controller's own delete)
                raise
            deleted.append(deep_copy(result) if result is not None else obj)
        return json_response({"kind": f"{target.info.kind}List", "apiVersion": target.info.api_version,
                              "metadata": {"resourceVersion": str(self.cluster.store.resource_version)},
                              "items": deleted})


def _manager(request: web.Request) -> str:
    return field_manager(request.query, request.headers.get("User-Agent"))


def _warn(response: web.Response, warnings: list[str]) -> web.Response:
    """Warnings as kube-apiserver sends them: `Warning: 299 - "text"` headers, which kubectl prints."""
    for text in warnings:
        response.headers.add("Warning", f"299 - {json.dumps(text)}")
    return response
