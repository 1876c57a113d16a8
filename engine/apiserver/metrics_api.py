"""metrics.k8s.io/v1beta1 over HTTP, as metrics-server serves it behind kube-apiserver's aggregator, so
`kubectl top pods|nodes` works against `k9py serve`:

    GET /apis/metrics.k8s.io/v1beta1/pods                      PodMetricsList, every namespace (labelSelector,
    GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods        fieldSelector on the pods)
    GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods/NAME   PodMetrics
    GET /apis/metrics.k8s.io/v1beta1/nodes[/NAME]              NodeMetricsList / NodeMetrics

Read-only (get, list), as metrics-server's REST storage is; a Table when asked for one (`kubectl get
pods.metrics.k8s.io`: Name, cpu, memory, Window, as its ConvertToTable prints them). A pod or node without metrics
yet is 404 `pods.metrics.k8s.io "NS/NAME" not found`; a pod that does not exist, the pod lister's `pods "NAME" not
found`. Discovery lists the group with both resources (`discovery.serve_beside`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors
from ..cluster import Cluster
from ..kinds import KindInfo
from ..metrics.api import API_VERSION, GROUP
from ..quantity import Quantity
from ..selectors import parse_field_selector, parse_label_selector
from . import discovery, media, tables
from .query_params import flag
from .resources import namespaced_parts
from .status import json_response, method_not_allowed, not_acceptable, not_found_path

Obj = dict[str, Any]
VERBS = ["get", "list"]
POD_METRICS = discovery.serve_beside(KindInfo(kind="PodMetrics", group=GROUP, version="v1beta1", plural="pods",
                                              namespaced=True, has_status=False), VERBS)
NODE_METRICS = discovery.serve_beside(KindInfo(kind="NodeMetrics", group=GROUP, version="v1beta1", plural="nodes",
                                               namespaced=False, has_status=False), VERBS)


def _columns() -> list[Obj]:
    name = {"name": "Name", "type": "string", "format": "name", "description": "Name of the resource",
            "priority": 0}
    return [name, *({"name": n, "type": "string", "format": "quantity", "description": "", "priority": 0}
                    for n in ("cpu", "memory")),
            {"name": "Window", "type": "string", "format": "duration", "description": "", "priority": 0}]


def _usage(item: Obj) -> tuple[str, str]:
    if "usage" in item:
        return item["usage"]["cpu"], item["usage"]["memory"]
    # A pod's usage is its containers' summed, as addPodMetricsToTable sums them.
    cpu = sum((Quantity.parse(c["usage"]["cpu"]) for c in item["containers"]), Quantity())
    memory = sum((Quantity.parse(c["usage"]["memory"]) for c in item["containers"]), Quantity())
    return str(cpu), str(memory)


class MetricsRoutes:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def register(self, app: web.Application) -> None:
        """Ahead of the generic resource routes, which know only the registry's kinds."""
        app.router.add_route("*", f"/apis/{GROUP}/v1beta1/{{path:.+}}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        namespace, parts = namespaced_parts(request.match_info["path"])
        if not parts or parts[0] not in ("pods", "nodes") or len(parts) > 2 or (
                parts[0] == "nodes" and namespace is not None):
            raise not_found_path()
        if request.method not in ("GET", "HEAD"):
            raise method_not_allowed()
        if flag(request.query, "watch"):
            raise method_not_allowed()
        table = self._wants_table(request)
        if parts[0] == "pods":
            if len(parts) == 2:
                return self._answer([self._pod(namespace or "default", parts[1])], table, single=True)
            return self._answer(self._pods(request, namespace), table, kind="PodMetricsList")
        if len(parts) == 2:
            return self._answer([self._node(parts[1])], table, single=True)
        return self._answer(self._nodes(request), table, kind="NodeMetricsList")

    @staticmethod
    def _wants_table(request: web.Request) -> bool:
        chosen = media.choose(request.headers.get("Accept"), table=True)
        if chosen is media.Representation.NONE:
            raise not_acceptable()
        return chosen is media.Representation.TABLE

    def _pod(self, namespace: str, name: str) -> Obj:
        if self.cluster.store.get("pods", namespace, name) is None:
            raise errors.not_found("pods", "", name)
        found = self.cluster.metrics.pod_metric(namespace, name)
        if found is None:
            raise errors.not_found("pods", GROUP, f"{namespace}/{name}")
        return found

    def _pods(self, request: web.Request, namespace: str | None) -> list[Obj]:
        query = request.query
        items = self.cluster.metrics.pod_metrics(namespace or "", query.get("labelSelector") or None)
        field = parse_field_selector(query.get("fieldSelector"))
        if field is not None:
            store = self.cluster.store
            items = [i for i in items if (pod := store.get("pods", i["metadata"]["namespace"],
                                                            i["metadata"]["name"])) is not None and field(pod)]
        return items

    def _node(self, name: str) -> Obj:
        if self.cluster.store.get("nodes", "", name) is None:
            raise errors.not_found("nodes", "", name)
        found = self.cluster.metrics.node_metric(name)
        if found is None:
            raise errors.not_found("nodes", GROUP, name)
        return found

    def _nodes(self, request: web.Request) -> list[Obj]:
        selector = parse_label_selector(request.query.get("labelSelector"))
        items = self.cluster.metrics.node_metrics()
        return [i for i in items if selector.empty or selector.matches(i["metadata"].get("labels"))]

    @staticmethod
    def _answer(items: list[Obj], table: bool, *, single: bool = False, kind: str = "") -> web.Response:
        if table:
            rows = [{"cells": [i["metadata"]["name"], *_usage(i), i["window"]],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": tables.TABLE_VERSION,
                                "metadata": i["metadata"]}} for i in items]
            return json_response({"kind": "Table", "apiVersion": tables.TABLE_VERSION, "metadata": {},
                                  "columnDefinitions": _columns(), "rows": rows}, content_type=media.TABLE_TYPE)
        if single:
            return json_response(items[0])
        listed = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in items]
        return json_response({"kind": kind, "apiVersion": API_VERSION, "metadata": {}, "items": listed})
