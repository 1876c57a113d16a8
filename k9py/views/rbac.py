"""`:rbac KIND NAME` (k9s's rules of a role or binding) and `:policy USER [GROUP...]` (k9s's policy view: what a
user or ServiceAccount may do in a namespace), as k9s lays them out: one row per resource (or URL) and API group,
a column per common verb (a tick or a cross), the other verbs under EXTRAS. The rules come from the engine's RBAC
(a binding shows its role's rules; a subject's policy is `kubectl auth can-i --list`'s)."""

from __future__ import annotations

from typing import Any, ClassVar

from engine.rbac.rules import breakdown

from ..backend import Backend
from ..keys import Key
from .base import MOVE_KEYS, table_frame_css
from .listed import ListedView
from .spec import ViewSpec

YES, NO = "\u2713", "\u00d7"  # k9s's tick and cross
REFRESH_SECONDS = 1.0
VERBS = ("get", "list", "watch", "create", "patch", "update", "delete", "deletecollection")
COLUMNS = ("NAME", "APIGROUP", "GET", "LIST", "WATCH", "CREATE", "PATCH", "UPDATE", "DELETE", "DEL-LIST", "EXTRAS")
_KINDS = {"role": "Role", "ro": "Role", "clusterrole": "ClusterRole", "cr": "ClusterRole",
          "rolebinding": "RoleBinding", "rb": "RoleBinding", "clusterrolebinding": "ClusterRoleBinding",
          "crb": "ClusterRoleBinding"}


def verb_matrix(rules: list[dict[str, Any]]) -> list[list[str]]:
    """Rows of COLUMNS for `rules`, by resource (URL) and group; `*` grants every verb."""
    found: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        for sub in breakdown(rule):
            resource = (sub.get("resources") or sub.get("nonResourceURLs") or [""])[0]
            name = f"{resource}[{sub['resourceNames'][0]}]" if sub.get("resourceNames") else resource
            verbs = found.setdefault((name, (sub.get("apiGroups") or [""])[0]), [])
            if sub["verbs"][0] not in verbs:
                verbs.append(sub["verbs"][0])
    rows = []
    for (name, group), verbs in sorted(found.items()):
        cells = [YES if "*" in verbs or v in verbs else NO for v in VERBS]
        extras = ",".join(v for v in verbs if v not in VERBS and v != "*")
        rows.append([name, group or ("core" if not name.startswith("/") else ""), *cells, extras])
    return rows


class RbacView(ListedView):
    """`:rbac role NAME -n NS`, `:rbac clusterrole view`, `:rbac rolebinding NAME`: the rules it grants."""

    DEFAULT_CSS = table_frame_css("RbacView")
    view_name = "rbac"
    COMMANDS: ClassVar[tuple[str, ...]] = ("rbac", "rules")
    KEYS: ClassVar[tuple[Key, ...]] = MOVE_KEYS
    NO_LABELS = "rules have no labels: filter by text instead"

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        if len(args) != 2 or args[0].lower() not in _KINDS:
            raise ValueError("usage: rbac role|clusterrole|rolebinding|clusterrolebinding NAME")
        kind = _KINDS[args[0].lower()]
        scoped = kind in ("Role", "RoleBinding")
        return ViewSpec(view="rbac", kind=kind, name=args[1], namespace=(namespace or "default") if scoped else None)

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return f"rbac:{spec.kind.lower()}/{spec.name}"

    def rules(self) -> list[dict[str, Any]]:
        kind = self.backend.resolve(self.spec.kind)
        obj = self.backend.get(kind, self.spec.name, self.spec.namespace) or {}
        ref = obj.get("roleRef")
        if isinstance(ref, dict):  # a binding: its role's rules
            role_kind = self.backend.resolve(str(ref.get("kind") or "ClusterRole"))
            obj = self.backend.get(role_kind, str(ref.get("name", "")), self.spec.namespace
                                   if ref.get("kind") == "Role" else None) or {}
        return [r for r in obj.get("rules") or () if isinstance(r, dict)]

    _shown: list[list[str]] | None = None

    def on_mount(self) -> None:
        self.table.set_columns(COLUMNS)
        self.show_rows()
        # A real cluster's roles and reviews arrive after the view opens (informers, a SelfSubjectRulesReview), and
        # RBAC changes while it is open: look again every second, repaint only what changed.
        self.set_interval(REFRESH_SECONDS, self._refresh)
        self.take_focus(self.table)

    def _refresh(self) -> None:
        if [cells for cells in verb_matrix(self.rules()) if self.passes(cells)] != self._shown:
            self.show_rows()

    def show_rows(self) -> None:
        colour = self.skin.status("normal")
        self._shown = [cells for cells in verb_matrix(self.rules()) if self.passes(cells)]
        self.table.show_list((cells[0] + "|" + cells[1], cells, colour) for cells in self._shown)
        self.seek_cursor(last_try=True)
        self.update_title()


class PolicyView(RbacView):
    """`:policy USER [GROUP...]` (or `system:serviceaccount:NS:NAME`): what the subject may do in the current
    namespace, from every binding that names it, its groups or its ServiceAccount's groups."""

    DEFAULT_CSS = table_frame_css("PolicyView")
    view_name = "policy"
    COMMANDS: ClassVar[tuple[str, ...]] = ("policy", "can-i", "cani")

    @classmethod
    def from_command(cls, args: list[str], backend: Backend, namespace: str | None) -> ViewSpec:
        if not args:
            raise ValueError("usage: policy USER [GROUP...] (a ServiceAccount: system:serviceaccount:NS:NAME)")
        # `source` carries the groups: a ViewSpec has no field of its own for them.
        return ViewSpec(view="policy", name=args[0], source=",".join(args[1:]), namespace=namespace or "default")

    @classmethod
    def crumb(cls, spec: ViewSpec) -> str:
        return f"policy:{spec.name}"

    def rules(self) -> list[dict[str, Any]]:
        groups = tuple(g for g in self.spec.source.split(",") if g)
        return self.backend.policy_rules(self.spec.name, groups, self.spec.namespace or "default")
