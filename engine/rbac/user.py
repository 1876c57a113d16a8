"""Who is asking: the user.Info of k8s.io/apiserver/pkg/authentication/user, and the identities k9py knows.

kube-apiserver adds `system:authenticated` to every authenticated request; a ServiceAccount's token authenticates
as `system:serviceaccount:<namespace>:<name>` in the groups `system:serviceaccounts` and
`system:serviceaccounts:<namespace>` (pkg/serviceaccount/util.go).
"""

from __future__ import annotations

from typing import Any

import attrs

SYSTEM_MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
ADMIN_NAME = "k9py-admin"  # the admin token's user, as kubeconfig and whoami name it


@attrs.frozen
class UserInfo:
    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    # What the authenticator adds (a bound token's pod and credential id), as (key, values) pairs
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"username": self.username}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {key: list(values) for key, values in self.extra}
        return out

    @property
    def privileged(self) -> bool:
        """A member of system:masters, whom the privileged-group authorizer allows everything before RBAC."""
        return SYSTEM_MASTERS in self.groups


# As a static token file names a user (`token,user,uid,"groups"`).
ADMIN = UserInfo(ADMIN_NAME, ADMIN_NAME, (SYSTEM_MASTERS, AUTHENTICATED))


def service_account_user(namespace: str, name: str, uid: str = "",
                         extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> UserInfo:
    return UserInfo(f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}", uid,
                    (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}", AUTHENTICATED), extra)


def split_service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a `system:serviceaccount:<ns>:<name>` user, else None (serviceaccount.SplitUsername)."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = username[len(SERVICE_ACCOUNT_PREFIX):].split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def user_for(name: str, groups: tuple[str, ...] | list[str] = ()) -> UserInfo:
    """An identity as `--as NAME --as-group G` names it, as kube-apiserver's impersonation filter builds it
    (staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): a ServiceAccount named without groups
    gets its fixed groups, and every user but system:anonymous is in system:authenticated."""
    out = list(groups)
    sa = split_service_account(name)
    if sa is not None and not out:
        out = [ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{sa[0]}"]
    if name != "system:anonymous" and not {AUTHENTICATED, "system:unauthenticated"} & set(out):
        out.append(AUTHENTICATED)
    return UserInfo(name, "", tuple(out))
