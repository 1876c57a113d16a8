"""Bearer-token authentication: the admin token (compared in constant time), or a ServiceAccount token (a JWT
this cluster signed, engine/satoken.py), as kube-apiserver's token authenticators in turn.

As kube-apiserver lets anonymous clients read its health and version endpoints (the system:public-info-viewer
role), those answer without a token; everything else needs one, and a wrong, expired or revoked token is refused
everywhere with the same 401 (the reason is never told to the client).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..clock import Clock
from ..rbac.user import service_account_user
from ..satoken import InvalidToken, authenticate
from ..store import Store
from .authz import USER_KEY
from .status import unauthorized

PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bearer_auth(token: str, store: Store | None = None,
                clock: Clock | None = None) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """`store` and `clock`: the cluster's, to check ServiceAccount tokens against (without them only the admin
    token is taken)."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization")
        if given is None:
            if request.path in PUBLIC_PATHS or request.path.split("/")[1] in ("healthz", "livez", "readyz"):
                return await handler(request)
            return unauthorized()
        if hmac.compare_digest(given.encode(), expected):
            return await handler(request)  # the admin: authz.user_of's default
        scheme, _, bearer = given.partition(" ")
        if scheme.lower() != "bearer" or store is None or clock is None or bearer.count(".") != 2:
            return unauthorized()
        try:
            found = authenticate(store, bearer.strip(), clock.now())
        except InvalidToken:
            return unauthorized()
        request[USER_KEY] = service_account_user(
            found.namespace, found.name, found.uid, tuple((k, tuple(v)) for k, v in found.extra.items()))
        return await handler(request)

    return middleware
