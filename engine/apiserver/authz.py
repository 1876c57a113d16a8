"""Who a request is (authentication's answer) and what it may do (the authorizer), as the reviews ask them.

k9py has one credential, the admin token: a member of `system:masters`, whom kube-apiserver's authorizer chain
allows everything before RBAC is even asked. Other identities come from impersonation (`kubectl --as`,
rbac_filter.py) and are answered by RBAC (engine/rbac): the review endpoints (reviews.py) ask `RbacReviews`.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs
from aiohttp import web

from ..rbac.access import Access
from ..rbac.authorizer import aggregate
from ..rbac.rules import Attributes
from ..rbac.user import ADMIN, UserInfo

Obj = dict[str, Any]
USER_KEY = web.RequestKey("k9py.user", UserInfo)  # where authentication leaves the request's UserInfo


__all__ = ["ADMIN", "USER_KEY", "Authorizer", "RbacReviews", "Rules", "SuperUserAuthorizer", "UserInfo", "user_of"]


def user_of(request: web.Request) -> UserInfo:
    """The request's user: what the authenticator recorded, else the admin (the only token there is)."""
    found = request.get(USER_KEY)
    return found if isinstance(found, UserInfo) else ADMIN


@attrs.frozen
class Rules:
    """A SelfSubjectRulesReview's status: resource and non-resource rules as the API writes them."""

    resource_rules: tuple[Obj, ...]
    non_resource_rules: tuple[Obj, ...]
    incomplete: bool = False
    evaluation_error: str = ""


class Authorizer(Protocol):
    def authorize(self, user: UserInfo, attributes: Obj) -> tuple[bool, str]:
        """(allowed, reason) for a SubjectAccessReview's spec attributes (resourceAttributes or
        nonResourceAttributes, as JSON)."""
        ...

    def rules_for(self, user: UserInfo, namespace: str) -> Rules: ...


# The bootstrap policy's rules every authenticated user holds (system:basic-user, system:discovery,
# system:public-info-viewer, system:service-account-issuer-discovery), in the order kube-apiserver's RBAC rule
# resolver lists them for a member of system:masters, whose cluster-admin binding adds `*` on everything.
_ADMIN_RESOURCE_RULES: tuple[Obj, ...] = (
    {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
     "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
    {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
    {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
)
_PUBLIC_INFO = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
_ADMIN_NON_RESOURCE_RULES: tuple[Obj, ...] = (
    {"verbs": ["get"], "nonResourceURLs": ["/.well-known", "/.well-known/*"]},
    {"verbs": ["get"], "nonResourceURLs": sorted(["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*",
                                                  *_PUBLIC_INFO])},
    {"verbs": ["get"], "nonResourceURLs": _PUBLIC_INFO},
    {"verbs": ["*"], "nonResourceURLs": ["*"]},
)


class SuperUserAuthorizer:
    """kube-apiserver's privileged-group authorizer: system:masters may do anything, on any resource, served or
    not (RBAC's `*` matches unknown resources too). Nobody else exists yet."""

    def authorize(self, user: UserInfo, attributes: Obj) -> tuple[bool, str]:
        if "system:masters" in user.groups:
            return True, ""  # the privileged-group authorizer gives no reason
        return False, ""

    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        if "system:masters" in user.groups:
            return Rules(_ADMIN_RESOURCE_RULES, _ADMIN_NON_RESOURCE_RULES)
        return Rules(_ADMIN_RESOURCE_RULES[:2], _ADMIN_NON_RESOURCE_RULES[:3])


def attributes_of(spec: Obj) -> Attributes:
    """A SubjectAccessReview spec's resourceAttributes or nonResourceAttributes, as the authorizer's request."""
    resource = spec.get("resourceAttributes")
    if isinstance(resource, dict):
        return Attributes(str(resource.get("verb") or ""), str(resource.get("resource") or ""),
                          str(resource.get("group") or ""), str(resource.get("namespace") or ""),
                          str(resource.get("name") or ""), str(resource.get("subresource") or ""))
    other = spec.get("nonResourceAttributes") or {}
    return Attributes(str(other.get("verb") or ""), path=str(other.get("path") or ""), resource_request=False)


class RbacReviews:
    """The reviews' authorizer: system:masters as before (SuperUserAuthorizer's answers, kube-apiserver's order),
    everyone else by RBAC, with its reason (`RBAC: allowed by RoleBinding ...`) and its resolution errors."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self._masters = SuperUserAuthorizer()

    def authorize(self, user: UserInfo, attributes: Obj) -> tuple[bool, str]:
        if user.privileged:
            return self._masters.authorize(user, attributes)
        decision = self.access.authorize(user, attributes_of(attributes))
        return decision.allowed, decision.reason

    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        if user.privileged:
            return self._masters.rules_for(user, namespace)
        found = self.access.rules_for(user, namespace)
        resource = tuple({k: r[k] for k in ("verbs", "apiGroups", "resources", "resourceNames") if r.get(k)}
                         for r in found.rules if r.get("resources"))
        non_resource = tuple({k: r[k] for k in ("verbs", "nonResourceURLs")}
                             for r in found.rules if r.get("nonResourceURLs"))
        return Rules(resource, non_resource, bool(found.errors), aggregate(found.errors) if found.errors else "")
