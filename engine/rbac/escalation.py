"""Escalation prevention (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased): a
user may create or update a role only with rules they hold themselves (unless allowed to `escalate`), and a
binding only to a role whose rules they hold (unless allowed to `bind` it). system:masters may do both.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..quoting import go_quote
from .access import access_for
from .authorizer import GROUP
from .identity import CURRENT
from .rules import Attributes, Rule, compact, compact_string, missing

Obj = dict[str, Any]
# What creating an aggregated ClusterRole needs: its rules are whatever later matches its selectors.
FULL_AUTHORITY: tuple[Rule, ...] = ({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                                    {"verbs": ["*"], "nonResourceURLs": ["*"]})


def _confirm_no_escalation(api: Any, plural: str, name: str, namespace: str, rules: list[Rule]) -> None:
    """ConfirmNoEscalation: the user's own rules (in the object's namespace) must cover `rules`."""
    user = CURRENT.get()
    assert user is not None
    held = access_for(api.store).rules_for(user, namespace)
    absent = missing(list(held.rules), rules)
    if not absent:
        return
    descriptions = sorted({compact_string(rule) for rule in compact(absent)})
    groups = "[" + " ".join(go_quote(g) for g in user.groups) + "]"
    message = (f"user {go_quote(user.username)} (groups={groups}) is attempting to grant RBAC permissions not "
               f"currently held:\n" + "\n".join(descriptions))
    if held.errors:
        message += f"; resolution errors: [{', '.join(held.errors)}]"
    raise errors.forbidden(plural, GROUP, name, message)


def check_role(api: Any, role: Obj, old: Obj | None) -> list[tuple[str, str]]:
    """The Role and ClusterRole storage's check (a KindInfo.allocate hook: it runs inside the write)."""
    user = CURRENT.get()
    if user is None or user.privileged:
        return []
    meta = role["metadata"]
    namespace = str(meta.get("namespace") or "")
    plural = "roles" if namespace else "clusterroles"
    escalate = Attributes("escalate", plural, GROUP, namespace, str(meta.get("name", "")))
    if access_for(api.store).authorize(user, escalate).allowed:
        return []
    rules = [r for r in role.get("rules") or () if isinstance(r, dict)]
    if not namespace and role.get("aggregationRule") and (old is None or old.get("aggregationRule")
                                                           != role.get("aggregationRule")):
        rules = list(FULL_AUTHORITY)
    if old is not None and rules == (old.get("rules") or []):
        return []  # IsOnlyMutatingGCFields, roughly: labels and annotations need no check
    _confirm_no_escalation(api, plural, str(meta.get("name", "")), namespace, rules)
    return []


def check_binding(api: Any, binding: Obj, old: Obj | None) -> list[tuple[str, str]]:
    """The RoleBinding and ClusterRoleBinding storage's check."""
    user = CURRENT.get()
    if user is None or user.privileged:
        return []
    meta, ref = binding["metadata"], binding.get("roleRef") or {}
    namespace = str(meta.get("namespace") or "")
    plural = "rolebindings" if namespace else "clusterrolebindings"
    if old is not None and old.get("roleRef") == ref and old.get("subjects") == binding.get("subjects"):
        return []  # IsOnlyMutatingGCFields, roughly: labels and annotations need no check
    ref_plural = "roles" if ref.get("kind") == "Role" else "clusterroles"
    bind = Attributes("bind", ref_plural, str(ref.get("apiGroup") or ""), namespace, str(ref.get("name", "")))
    access = access_for(api.store)
    if access.authorize(user, bind).allowed:
        return []
    rules, error = access.rbac.role_rules(ref, namespace)
    if error:
        raise errors.not_found(plural, GROUP, str(ref.get("name", "")))
    _confirm_no_escalation(api, plural, str(meta.get("name", "")), namespace, rules)
    return []
