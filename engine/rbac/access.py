"""The authorizer chain as kube-apiserver runs it for `--authorization-mode=Node,RBAC`, minus Node: the
privileged-group authorizer (system:masters may do anything, before RBAC is asked), then RBAC; and the 403 a
refused request gets (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go).

k9py differs on purpose: the engine's own components (controllers, scheduler, kubelets, the manifest loader)
write through `engine.api.Api` directly and are never authorized, as if each held its system:* role; only
requests that carry an identity (the HTTP API, `Cluster(user=...)`, the dashboard's `--as`) are checked.
"""

from __future__ import annotations

import weakref

from .. import errors
from ..quoting import go_quote
from ..store import Store
from .authorizer import Decision, RbacAuthorizer, ResolvedRules
from .rules import Attributes
from .user import UserInfo

_PRIVILEGED = Decision(True)


class Access:
    def __init__(self, store: Store) -> None:
        self.rbac = RbacAuthorizer(store)

    def authorize(self, user: UserInfo, request: Attributes) -> Decision:
        if user.privileged:
            return _PRIVILEGED  # the privileged-group authorizer gives no reason
        return self.rbac.authorize(user, request)

    def rules_for(self, user: UserInfo, namespace: str) -> ResolvedRules:
        """What `auth can-i --list` shows: the RBAC rules (system:masters' come from its cluster-admin binding)."""
        return self.rbac.rules_for(user, namespace)

    def check(self, user: UserInfo, request: Attributes) -> None:
        """Raise the API server's 403 unless `user` may make `request`."""
        decision = self.authorize(user, request)
        if not decision.allowed:
            raise forbidden(user, request, decision.reason)


_ACCESS: weakref.WeakKeyDictionary[Store, Access] = weakref.WeakKeyDictionary()


def access_for(store: Store) -> Access:
    """The one Access of a store (its binding index is built once and kept up to date)."""
    found = _ACCESS.get(store)
    if found is None:
        found = _ACCESS[store] = Access(store)
    return found


def forbidden_message(user: UserInfo, request: Attributes) -> str:
    """forbiddenMessage."""
    who = go_quote(user.username)
    if not request.resource_request:
        return f"User {who} cannot {request.verb} path {go_quote(request.path)}"
    resource = request.combined_resource
    where = (f"in the namespace {go_quote(request.namespace)}" if request.namespace else "at the cluster scope")
    return (f"User {who} cannot {request.verb} resource {go_quote(resource)} in API group "
            f"{go_quote(request.api_group)} {where}")


def forbidden(user: UserInfo, request: Attributes, reason: str = "") -> errors.ApiError:
    """ForbiddenStatusError: apierrors.NewForbidden of the request's group/resource and name."""
    why = forbidden_message(user, request) + (f": {reason}" if reason else "")
    if not request.resource_request:
        return errors.ApiError(403, "Forbidden", f"forbidden: {why}")
    qualified = f"{request.resource}.{request.api_group}" if request.api_group else request.resource
    subject = f"{qualified} {go_quote(request.name)}" if request.name else qualified
    return errors.ApiError(403, "Forbidden", f"{subject} is forbidden: {why}", name=request.name or None,
                           group=request.api_group, kind=request.resource)
