"""RoleBinding and ClusterRoleBinding (rbac.authorization.k8s.io/v1): subjects granted a role.

Defaults and validation as pkg/apis/rbac/v1/defaults.go and pkg/apis/rbac/validation (ValidateRoleBinding,
ValidateRoleBindingSubject; `cannot change roleRef` on update), kubectl's NAME ROLE AGE (-o wide: USERS GROUPS
SERVICEACCOUNTS) and its describe. Escalation prevention (`bind`) runs inside the write (engine/rbac).
"""

from __future__ import annotations

from typing import Any

from ..printers.describe import _annotations_multiline, _labels_multiline, _Writer
from ..printers.services import _age
from ..rbac import escalation
from . import validation as v
from .rbac_role import GROUP
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj


def _default(binding: Obj) -> None:
    """SetDefaults_RoleBinding / _Subject: the rbac group where a kind implies it."""
    ref = binding.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    for subject in binding.get("subjects") or () if isinstance(binding.get("subjects"), list) else ():
        if isinstance(subject, dict) and not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = GROUP


def _validate_subject(subject: Any, namespaced: bool, path: str) -> FieldErrors:
    """ValidateRoleBindingSubject."""
    if not isinstance(subject, dict):
        return [v.type_error(path, subject, "object")]
    errs: FieldErrors = []
    name, kind, group = subject.get("name") or "", subject.get("kind") or "", subject.get("apiGroup") or ""
    if not name:
        errs.append(v.required(f"{path}.name"))
    if kind == "ServiceAccount":
        if name:
            errs.extend(v.dns1123_subdomain(f"{path}.name", name))
        if group:
            errs.append(v.unsupported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            errs.append(v.required(f"{path}.namespace"))
    elif kind in ("User", "Group"):
        if group != GROUP:
            errs.append(v.unsupported(f"{path}.apiGroup", group, [GROUP]))
    else:
        errs.append(v.unsupported(f"{path}.kind", kind, ["ServiceAccount", "User", "Group"]))
    return errs


def _validate(binding: Obj, old: Obj | None) -> FieldErrors:
    namespaced = bool(binding["metadata"].get("namespace"))
    errs: FieldErrors = []  # the name's rule (a path segment) is the API's, from name_rule
    ref = binding.get("roleRef")
    if not isinstance(ref, dict):
        return [*errs, v.type_error("roleRef", ref, "object")]
    if ref.get("apiGroup") != GROUP:
        errs.append(v.unsupported("roleRef.apiGroup", ref.get("apiGroup") or "", [GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        errs.append(v.unsupported("roleRef.kind", ref.get("kind") or "", kinds))
    if not ref.get("name"):
        errs.append(v.required("roleRef.name"))
    else:
        errs.extend(v.path_segment_name("roleRef.name", ref.get("name")))
    subjects = binding.get("subjects")
    if subjects is not None and not isinstance(subjects, list):
        return [*errs, v.type_error("subjects", subjects, "array")]
    for i, subject in enumerate(subjects or ()):
        errs.extend(_validate_subject(subject, namespaced, f"subjects[{i}]"))
    if old is not None and not errs and ref != old.get("roleRef"):
        # ValidateRoleBindingUpdate prints the internal RoleRef struct, whose fields have no JSON names.
        shown = v.go_json({"APIGroup": ref.get("apiGroup", ""), "Kind": ref.get("kind", ""),
                           "Name": ref.get("name", "")})
        errs.append(("roleRef", f"Invalid value: {shown}: cannot change roleRef"))
    return errs


def subjects_strings(binding: Obj) -> tuple[str, str, str]:
    """rbacv1helpers.SubjectsStrings: users, groups and `namespace/name` ServiceAccounts, comma-joined."""
    found: dict[str, list[str]] = {"User": [], "Group": [], "ServiceAccount": []}
    for s in binding.get("subjects") or ():
        if isinstance(s, dict) and s.get("kind") in found:
            name = str(s.get("name", ""))
            found[s["kind"]].append(f"{s.get('namespace') or ''}/{name}" if s["kind"] == "ServiceAccount" else name)
    return ", ".join(found["User"]), ", ".join(found["Group"]), ", ".join(found["ServiceAccount"])


def _row(binding: Obj, now: float) -> list[str]:
    ref = binding.get("roleRef") or {}
    return [str(binding["metadata"].get("name", "")), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            _age(binding, now)]


def _wide_row(binding: Obj, now: float) -> list[str]:
    return [*_row(binding, now), *subjects_strings(binding)]


def _describe(binding: Obj, ctx: DescribeContext) -> str:
    meta, ref = binding["metadata"], binding.get("roleRef") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in binding.get("subjects") or ():
        if isinstance(s, dict):
            w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace', '')}\n")
    return w.text()


def _check(api: Any, binding: Obj, old: Obj | None) -> FieldErrors:
    return escalation.check_binding(api, binding, old)


_COMMON: dict[str, Any] = dict(
    group=GROUP, version="v1", has_status=False, name_rule="path", default=_default, validate=_validate,
    allocate=_check, columns=("NAME", "ROLE", "AGE"), row=_row,
    wide_columns=("NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"), wide_row=_wide_row,
    describe=_describe, generation_tracks_spec=False,
)
ROLE_BINDING = REGISTRY.register(KindInfo(kind="RoleBinding", plural="rolebindings", namespaced=True, **_COMMON))
CLUSTER_ROLE_BINDING = REGISTRY.register(KindInfo(kind="ClusterRoleBinding", plural="clusterrolebindings",
                                                  namespaced=False, **_COMMON))
