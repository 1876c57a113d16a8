"""Who a request is (authentication's answer) and what it may do (the authorizer), as the reviews ask them.

k9py has one credential, the admin token, and no RBAC yet (issue 16): every request is the admin, a member of
`system:masters`, whom kube-apiserver's authorizer chain allows everything before RBAC is even asked. The
`Authorizer` protocol is the seam RBAC slots into: the review endpoints (reviews.py) ask it, and a request
filter will ask it the same questions once there is more than one user.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs
from aiohttp import web

from .credentials import USER_NAME

Obj = dict[str, Any]
USER_KEY = "k9py.user"  # where an authenticator leaves the request's UserInfo


@attrs.frozen
class UserInfo:
    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()

    def to_json(self) -> Obj:
        out: Obj = {"username": self.username}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        return out


# As a static token file names a user (`token,user,uid,"groups"`); system:authenticated is added to every
# authenticated request by kube-apiserver.
ADMIN = UserInfo(USER_NAME, USER_NAME, ("system:masters", "system:authenticated"))


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
