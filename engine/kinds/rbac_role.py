"""Role and ClusterRole (rbac.authorization.k8s.io/v1): sets of PolicyRules, granted by bindings.

Validation as pkg/apis/rbac/validation (ValidateRole, ValidateClusterRole, ValidatePolicyRule, names as path
segments so `system:` names are valid); kubectl's NAME CREATED AT and its describe (the rules broken down,
compacted and sorted as `kubectl describe role` prints them). Escalation prevention runs inside the write
(engine/rbac/escalation.py), as the policy-based storage does; a ClusterRole's aggregationRule is served by
engine/controllers/clusterrole_aggregation.py.
"""

from __future__ import annotations

from typing import Any

from ..printers.describe import _annotations_multiline, _labels_multiline, _Writer
from ..rbac import escalation
from ..rbac.rules import table_rows
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

GROUP = "rbac.authorization.k8s.io"


def _string_list(path: str, value: Any) -> FieldErrors:
    if value is None:
        return []
    if not isinstance(value, list):
        return [v.type_error(path, value, "array")]
    return [v.type_error(f"{path}[{i}]", item, "string") for i, item in enumerate(value) if not isinstance(item, str)]


def validate_rule(rule: Any, namespaced: bool, path: str) -> FieldErrors:
    """ValidatePolicyRule."""
    if not isinstance(rule, dict):
        return [v.type_error(path, rule, "object")]
    errs: FieldErrors = []
    for key in ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"):
        errs.extend(_string_list(f"{path}.{key}", rule.get(key)))
    if errs:
        return errs
    if not rule.get("verbs"):
        errs.append(v.required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs")
    if urls:
        shown = f"Invalid value: {v.go_json(urls)}"
        if namespaced:
            errs.append((f"{path}.nonResourceURLs", f"{shown}: namespaced rules cannot apply to non-resource URLs"))
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errs.append((f"{path}.nonResourceURLs",
                         f"{shown}: rules cannot apply to both regular resources and non-resource URLs"))
        return errs
    if not rule.get("apiGroups"):
        errs.append(v.required(f"{path}.apiGroups", "resource rules must supply at least one api group"))
    if not rule.get("resources"):
        errs.append(v.required(f"{path}.resources", "resource rules must supply at least one resource"))
    return errs


def _validate(role: Obj, old: Obj | None) -> FieldErrors:
    namespaced = bool(role["metadata"].get("namespace"))
    errs: FieldErrors = []  # the name's rule (ValidateRBACName: a path segment) is the API's, from name_rule
    rules = role.get("rules")
    if rules is not None and not isinstance(rules, list):
        return [*errs, v.type_error("rules", rules, "array")]
    for i, rule in enumerate(rules or ()):
        errs.extend(validate_rule(rule, namespaced, f"rules[{i}]"))
    if "aggregationRule" in role and not namespaced and role["aggregationRule"] is not None:
        aggregation = role["aggregationRule"]
        if not isinstance(aggregation, dict):
            return [*errs, v.type_error("aggregationRule", aggregation, "object")]
        selectors = aggregation.get("clusterRoleSelectors")
        if not isinstance(selectors, list) or not selectors:
            errs.append(v.required("aggregationRule.clusterRoleSelectors",
                                   "at least one clusterRoleSelector required if aggregationRule is non-nil"))
        else:
            for i, selector in enumerate(selectors):
                errs.extend(v.label_selector(f"aggregationRule.clusterRoleSelectors[{i}]", selector))
    return errs


def _row(role: Obj, now: float) -> list[str]:
    meta = role["metadata"]
    return [str(meta.get("name", "")), str(meta.get("creationTimestamp") or "<unknown>")]


def rules_table(w: _Writer, rules: Any) -> None:
    """The PolicyRule table of describe."""
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for row in table_rows([r for r in rules or () if isinstance(r, dict)]):
        w.write(1, "\t".join(row) + "\n")


def _describe(role: Obj, ctx: DescribeContext) -> str:
    meta = role["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    rules_table(w, role.get("rules"))
    return w.text()


def _check(api: Any, role: Obj, old: Obj | None) -> FieldErrors:
    return escalation.check_role(api, role, old)


ROLE = REGISTRY.register(KindInfo(
    kind="Role", group=GROUP, version="v1", plural="roles", namespaced=True, has_status=False, name_rule="path",
    validate=_validate, allocate=_check, columns=("NAME", "CREATED AT"), row=_row, describe=_describe,
    generation_tracks_spec=False,
))
CLUSTER_ROLE = REGISTRY.register(KindInfo(
    kind="ClusterRole", group=GROUP, version="v1", plural="clusterroles", namespaced=False, has_status=False,
    name_rule="path", validate=_validate, allocate=_check, columns=("NAME", "CREATED AT"), row=_row,
    describe=_describe, generation_tracks_spec=False,
))
