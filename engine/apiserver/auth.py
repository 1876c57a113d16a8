"""Bearer-token authentication: one admin token, compared in constant time.

As kube-apiserver lets anonymous clients read its health and version endpoints (the system:public-info-viewer
role), those answer without a token; everything else needs the token, and a wrong token is refused everywhere.
Authorization (RBAC, per-ServiceAccount tokens) comes later: the admin token may do everything.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from .status import unauthorized

PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bearer_auth(token: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization")
        if given is None:
            if request.path in PUBLIC_PATHS or request.path.split("/")[1] in ("healthz", "livez", "readyz"):
                return await handler(request)
            return unauthorized()
        if not hmac.compare_digest(given.encode(), expected):
            return unauthorized()
        return await handler(request)

    return middleware
