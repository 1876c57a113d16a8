"""Impersonation and authorization in front of every handler, as kube-apiserver's filter chain runs them
(staging/src/k8s.io/apiserver/pkg/endpoints/filters/{impersonation,authorization}.go), after authentication.

The admin token is a member of system:masters, allowed everything by the privileged-group authorizer: its
requests cost one set lookup here. A ServiceAccount token's requests (auth.py) are authorized by RBAC.
`Impersonate-User` / `Impersonate-Group` (kubectl's `--as` / `--as-group`)
need the `impersonate` verb on users, groups or serviceaccounts; the request then acts as that identity, and a
request it may not make is refused with the API server's 403 wording.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .. import errors
from ..rbac.access import Access, forbidden
from ..rbac.identity import acting_as
from ..rbac.rules import Attributes
from ..rbac.user import UserInfo, split_service_account, user_for
from .authz import USER_KEY, user_of
from .status import error_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


def request_attributes(method: str, path: str, query: Any) -> Attributes:
    """RequestInfoFactory.NewRequestInfo: what a request asks, in the authorizer's terms."""
    parts = [p for p in path.strip("/").split("/") if p]
    if parts[:1] == ["api"]:
        rest = parts[2:]
        group = ""
        served = len(parts) >= 3
    elif parts[:1] == ["apis"]:
        rest = parts[3:]
        group = parts[1] if len(parts) > 1 else ""
        served = len(parts) >= 4
    else:
        served = False
    if not served:
        return Attributes(method.lower(), path=path, resource_request=False)
    verb = _VERBS.get(method, method.lower())
    if rest[0] == "watch" and verb == "get":  # the deprecated /watch/ paths
        verb, rest = "watch", rest[1:]
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) >= 3 else ""
    if not name and verb == "get":
        verb = "watch" if str(query.get("watch", "")).lower() in ("true", "1") else "list"
        field = str(query.get("fieldSelector", ""))
        if field.startswith("metadata.name=") and "," not in field:
            name = field.partition("=")[2]
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(verb, resource, group, namespace, name, subresource, path)


def _impersonated(access: Access, requestor: UserInfo, request: web.Request) -> UserInfo:
    """The identity the request acts as, once the requestor may impersonate each part of it."""
    name = request.headers.get("Impersonate-User")
    groups = request.headers.getall("Impersonate-Group", [])
    if name is None:
        if groups:
            raise errors.ApiError(500, "InternalError", "Internal error occurred: requested "
                                  f"{[{'Group': g} for g in groups]} without impersonating a user")
        return requestor
    sa = split_service_account(name)
    checks = [Attributes("impersonate", "serviceaccounts", "", sa[0], sa[1]) if sa
              else Attributes("impersonate", "users", "", "", name)]
    checks += [Attributes("impersonate", "groups", "", "", g) for g in groups]
    for wanted in checks:
        decision = access.authorize(requestor, wanted)
        if not decision.allowed:
            raise forbidden(requestor, wanted, decision.reason)
    return user_for(name, groups)


def rbac_filter(access: Access) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        requestor = user_of(request)
        impersonating = "Impersonate-User" in request.headers or "Impersonate-Group" in request.headers
        if requestor.privileged and not impersonating:
            return await handler(request)  # the admin token: system:masters, allowed everything
        try:
            user = _impersonated(access, requestor, request) if impersonating else requestor
            request[USER_KEY] = user
            if not user.privileged:
                wanted = request_attributes(request.method, request.path, request.query)
                decision = access.authorize(user, wanted)
                if not decision.allowed:
                    raise forbidden(user, wanted, decision.reason)
        except errors.ApiError as exc:
            return error_response(exc)
        with acting_as(user):
            return await handler(request)

    return middleware
