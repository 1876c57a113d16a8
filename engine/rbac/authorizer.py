"""The RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go) and its rule resolver
(pkg/registry/rbac/validation/rule.go): a request is allowed when a rule of a role bound to the user, one of
their groups or their ServiceAccount allows it; ClusterRoleBindings are visited first, then the RoleBindings of
the request's namespace. Nothing allows is not a denial but "no opinion", with the errors met on the way
(a binding to a role that does not exist) as the reason.

Bindings are indexed by subject and rebuilt only when a binding changes (the store's per-resource stamp), so a
check reads the few bindings that name the user rather than all of them. What a user's bindings resolve to (their
rules, with the binding that grants each) is kept per user and namespace until any role or binding changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from ..quoting import go_quote
from ..store import Store
from .rules import Attributes, Rule, allows
from .user import SERVICE_ACCOUNT_PREFIX, UserInfo

Obj = dict[str, Any]
GROUP = "rbac.authorization.k8s.io"
ROLES = f"roles.{GROUP}"
CLUSTER_ROLES = f"clusterroles.{GROUP}"
ROLE_BINDINGS = f"rolebindings.{GROUP}"
CLUSTER_ROLE_BINDINGS = f"clusterrolebindings.{GROUP}"
_CACHE_LIMIT = 10_000  # resolved users kept between changes to roles and bindings
# A user's resolved rules: (rule, binding, subject) in visiting order, and the errors met resolving them.
Resolved = tuple[tuple[tuple[Rule, Obj, Obj], ...], tuple[str, ...]]


@attrs.frozen
class Decision:
    allowed: bool
    denial: str = ""  # why nothing allowed it (RBAC's resolution errors), if anything is known
    granted_by: tuple[Obj, Obj] | None = None  # (binding, subject) that allowed it

    @property
    def reason(self) -> str:
        """The SubjectAccessReview's reason (formatted only when asked: checks far outnumber reviews)."""
        if self.granted_by is not None:
            return f"RBAC: allowed by {describe_binding(*self.granted_by)}"
        return self.denial


@attrs.frozen
class ResolvedRules:
    """RulesFor: every rule that applies to a user in a namespace, and the errors met resolving them."""

    rules: tuple[Rule, ...]
    errors: tuple[str, ...] = ()


def _subject_key(subject: Obj, binding_namespace: str) -> str | None:
    """appliesToUser, as an index key: `u:<username>` for a User or ServiceAccount, `g:<group>` for a Group."""
    kind, name = subject.get("kind"), str(subject.get("name") or "")
    if kind == "User":
        return f"u:{name}"
    if kind == "Group":
        return f"g:{name}"
    if kind == "ServiceAccount":
        namespace = str(subject.get("namespace") or binding_namespace)  # a RoleBinding's own namespace by default
        return f"u:{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}" if namespace and name else None
    return None


def describe_subject(subject: Obj, binding_namespace: str) -> str:
    """describeSubject: ServiceAccounts as `name/namespace` (sic, upstream's order)."""
    kind, name = str(subject.get("kind", "")), str(subject.get("name", ""))
    if kind == "ServiceAccount":
        return f"{kind} {go_quote(name + '/' + str(subject.get('namespace') or binding_namespace))}"
    return f"{kind} {go_quote(name)}"


def describe_binding(binding: Obj, subject: Obj) -> str:
    """clusterRoleBindingDescriber / roleBindingDescriber (a RoleBinding named `name/namespace`)."""
    meta, ref = binding["metadata"], binding.get("roleRef") or {}
    namespace = str(meta.get("namespace") or "")
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    name = f"{meta['name']}/{namespace}" if namespace else meta["name"]
    return (f"{kind} {go_quote(name)} of {ref.get('kind', '')} {go_quote(str(ref.get('name', '')))} to "
            f"{describe_subject(subject, namespace)}")


def aggregate(errors: list[str] | tuple[str, ...]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message as it is, several in brackets."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


class RbacAuthorizer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._stamp: tuple[int, int] = (-1, -1)
        self._cluster: dict[str, list[tuple[Obj, Obj]]] = {}  # subject key -> (ClusterRoleBinding, subject)
        self._namespaced: dict[tuple[str, str], list[tuple[Obj, Obj]]] = {}  # (namespace, key) -> RoleBindings
        self._resolved: dict[tuple[str, tuple[str, ...], str], Resolved] = {}
        self._resolved_stamp: tuple[int, ...] = ()

    # --- the index -------------------------------------------------------------------------------------------

    def _index(self) -> None:
        stamp = (self.store.changed_at(CLUSTER_ROLE_BINDINGS), self.store.changed_at(ROLE_BINDINGS))
        if stamp == self._stamp:
            return
        cluster: dict[str, list[tuple[Obj, Obj]]] = {}
        for binding in self.store.iter(CLUSTER_ROLE_BINDINGS):
            for subject in binding.get("subjects") or ():
                key = _subject_key(subject, "") if isinstance(subject, dict) else None
                if key is not None:
                    cluster.setdefault(key, []).append((binding, subject))
        namespaced: dict[tuple[str, str], list[tuple[Obj, Obj]]] = {}
        for binding in self.store.iter(ROLE_BINDINGS):
            namespace = binding["metadata"].get("namespace", "")
            for subject in binding.get("subjects") or ():
                key = _subject_key(subject, namespace) if isinstance(subject, dict) else None
                if key is not None:
                    namespaced.setdefault((namespace, key), []).append((binding, subject))
        self._cluster, self._namespaced, self._stamp = cluster, namespaced, stamp

    def _bindings(self, user: UserInfo, namespace: str) -> Iterator[tuple[Obj, Obj]]:
        """The (binding, subject) pairs that apply to `user`: ClusterRoleBindings, then the namespace's
        RoleBindings, each visited once."""
        self._index()
        keys = [f"u:{user.username}", *(f"g:{g}" for g in user.groups)]
        seen: set[int] = set()
        for key in keys:
            for pair in self._cluster.get(key, ()):
                if id(pair[0]) not in seen:
                    seen.add(id(pair[0]))
                    yield pair
        if namespace:
            for key in keys:
                for pair in self._namespaced.get((namespace, key), ()):
                    if id(pair[0]) not in seen:
                        seen.add(id(pair[0]))
                        yield pair

    # --- roles ------------------------------------------------------------------------------------------------

    def role_rules(self, role_ref: Obj, namespace: str) -> tuple[list[Rule], str]:
        """GetRoleReferenceRules: the rules a roleRef names, or the lister's not-found error."""
        kind, name = role_ref.get("kind"), str(role_ref.get("name") or "")
        if kind == "ClusterRole":
            role = self.store.get(CLUSTER_ROLES, "", name)
            missing = f"clusterrole.{GROUP} {go_quote(name)} not found"
        elif kind == "Role":
            role = self.store.get(ROLES, namespace, name)
            missing = f"role.{GROUP} {go_quote(name)} not found"
        else:
            return [], f"unsupported role reference kind: {go_quote(str(kind))}"
        if role is None:
            return [], missing
        rules = role.get("rules")
        return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else [], ""

    # --- questions ---------------------------------------------------------------------------------------------

    def _resolve(self, user: UserInfo, namespace: str) -> Resolved:
        store = self.store
        stamp = (store.changed_at(CLUSTER_ROLE_BINDINGS), store.changed_at(ROLE_BINDINGS),
                 store.changed_at(CLUSTER_ROLES), store.changed_at(ROLES))
        if stamp != self._resolved_stamp or len(self._resolved) > _CACHE_LIMIT:
            self._resolved.clear()
            self._resolved_stamp = stamp
        key = (user.username, user.groups, namespace)
        found = self._resolved.get(key)
        if found is None:
            granted: list[tuple[Rule, Obj, Obj]] = []
            errors: list[str] = []
            for binding, subject in self._bindings(user, namespace):
                rules, error = self.role_rules(binding.get("roleRef") or {}, binding["metadata"].get("namespace", ""))
                if error:
                    errors.append(error)
                granted.extend((rule, binding, subject) for rule in rules)
            found = self._resolved[key] = (tuple(granted), tuple(errors))
        return found

    def authorize(self, user: UserInfo, request: Attributes) -> Decision:
        granted, errors = self._resolve(user, request.namespace)
        for rule, binding, subject in granted:
            if allows(rule, request):
                return Decision(True, granted_by=(binding, subject))
        return Decision(False, f"RBAC: {aggregate(errors)}" if errors else "")

    def rules_for(self, user: UserInfo, namespace: str) -> ResolvedRules:
        granted, errors = self._resolve(user, namespace)
        return ResolvedRules(tuple(rule for rule, _, _ in granted), errors)
