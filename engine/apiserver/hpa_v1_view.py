"""autoscaling/v1 HorizontalPodAutoscalers: a view over the autoscaling/v2 ones the engine stores, converted as
kube-apiserver converts them (engine/kinds/hpa_v1.py: `targetCPUUtilizationPercentage`, the other metrics, the
behavior, the current metrics and the conditions in `autoscaling.alpha.kubernetes.io/*` annotations).

Served as v1.36 serves it: the resource and its `status` subresource (no `scale`: an HPA does not scale itself),
every verb, Tables with the stored kind's columns, the v1 OpenAPI schema (openapi.py, from discovery). A write
through v1 is recorded in managedFields as kube-apiserver records it: an entry with `apiVersion: autoscaling/v1`
and the fields of the v1 object. Server-side apply merges the configuration with the v1 form of the live object,
as upstream's field manager works in the request's version.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import fieldmanager
from ..kinds import KindInfo, Registry
from ..kinds.hpa_v1 import API_VERSION, to_v1, to_v2
from ..store import deep_copy
from ..timeutil import format_time
from . import discovery
from .converted_view import ConvertedView
from .patching import apply_request
from .resources import Resources, Target, _warn, read_body
from .status import json_response

Obj = dict[str, Any]
VIEW = discovery.serve_beside(KindInfo(kind="HorizontalPodAutoscaler", group="autoscaling", version="v1",
                                       plural="horizontalpodautoscalers", namespaced=True, short_names=("hpa",),
                                       has_status=True), list(discovery.ALL_VERBS))
_STATUS = frozenset({"status"})


class HpaV1View(ConvertedView):
    view = VIEW

    def __init__(self, resources: Resources, registry: Registry) -> None:
        super().__init__(resources, registry, "horizontalpodautoscalers")

    def to_view(self, stored: Obj, with_type: bool = True) -> Obj:
        return to_v1(stored)  # autoscaling's list items carry their kind and apiVersion, as upstream's

    def to_stored(self, body: Obj) -> Obj:
        return to_v2(body)

    def _now(self) -> str:
        return format_time(self.api.clock.now())

    def managed_fields(self, old: Obj | None, new: Obj, manager: str, subresource: str) -> list[Obj] | None:
        """The entries of an Update through v1: the v1 fields that changed, compared in v1 (defaults included,
        which upstream's decoder sets before the field manager sees the object)."""
        defaulted = deep_copy(new)
        self.stored.default(defaulted)
        after = to_v1(defaulted)
        before = to_v1(self.api.shown(self.stored, old)) if old is not None else None
        if before is not None and subresource == "status":
            after = {**before, "status": after.get("status")}
        elif before is not None and "status" in before:
            after["status"] = before["status"]
        fieldmanager.record_update(before, after, manager, subresource, self._now(), from_request=not subresource,
                                   ignore=_STATUS if not subresource else frozenset())
        return after["metadata"].get("managedFields") or []

    async def apply(self, request: web.Request, target: Target) -> web.Response:
        body = await read_body(request)
        warnings = self.resources._field_validation(request, self.view, body) if isinstance(body, dict) else []
        obj, created = apply_request(_V1Applier(self), self.view, target.name or "", target.namespace,
                                     target.subresource, body, request.query, self.resources._dry_run(request))
        return _warn(json_response(self.shown(obj), 201 if created else 200), warnings)


class _V1Applier:
    """Server-side apply in autoscaling/v1 (what `apply_request` calls once it has checked the request)."""

    def __init__(self, view: HpaV1View) -> None:
        self.view = view

    def apply(self, info: KindInfo, name: str, namespace: str | None, config: Obj, manager: str, *,
              force: bool = False, subresource: str | None = None, dry_run: bool = False) -> tuple[Obj, bool]:
        view, api, stored = self.view, self.view.api, self.view.stored
        sub = subresource or ""
        live = api.store.get(stored.resource, namespace or "default", name)
        base = to_v1(api.shown(stored, live)) if live is not None else {
            "apiVersion": API_VERSION, "kind": info.kind, "metadata": {"name": name, "namespace": namespace}}
        ignore = _STATUS if not sub else frozenset({"spec", "metadata"})
        result = fieldmanager.apply(base, config, list(base["metadata"].get("managedFields") or ()),
                                    fieldmanager.type_for(API_VERSION, info.kind), manager, API_VERSION, sub, force,
                                    view._now(), ignore)
        merged = result.object if result.object is not None else deep_copy(base)
        merged["metadata"].pop("managedFields", None)
        obj = to_v2(merged)
        if live is None:
            return api.create(obj, namespace, dry_run=dry_run, managed_fields=result.entries, decoded=True), True
        obj["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        if sub == "status":
            return api.update_status(obj, dry_run=dry_run, managed_fields=result.entries), False
        return api.update(obj, dry_run=dry_run, managed_fields=result.entries), False
