"""The connect subresources of pods and Services: routes for exec, attach, portforward (streaming.py,
portforward.py) and proxy (proxy.py), registered ahead of the generic resource routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ..cluster import Cluster
from . import portforward, proxy, streaming
from .status import method_not_allowed

POD = "/api/v1/namespaces/{namespace}/pods/{name}"
SERVICE = "/api/v1/namespaces/{namespace}/services/{name}"
Serve = Callable[[web.Request, Cluster, str, str], Awaitable[web.StreamResponse]]


def register(app: web.Application, cluster: Cluster) -> None:
    def connect(serve: Serve) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            if request.method not in ("GET", "POST"):  # verbs get and create
                raise method_not_allowed()
            info = request.match_info
            return await serve(request, cluster, info["namespace"], info["name"])
        return handler

    def proxied(kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await proxy.serve_proxy(request, cluster, kind)
        return handler

    app.router.add_route("*", POD + "/exec", connect(streaming.serve_exec))
    app.router.add_route("*", POD + "/attach", connect(streaming.serve_attach))
    app.router.add_route("*", POD + "/portforward", connect(portforward.serve_portforward))
    for kind, base in (("pods", POD), ("services", SERVICE)):
        app.router.add_route("*", base + "/proxy", proxied(kind))
        app.router.add_route("*", base + "/proxy/{path:.*}", proxied(kind))
