"""ResourceQuota (v1): hard limits on what a namespace may hold, enforced by the quota admission
(`engine/admission/resourcequota.py`) and counted by the quota controller (`engine/controllers/resourcequota.py`).

Validation is `pkg/apis/core/validation` ValidateResourceQuota (resource names, quantities, scopes and the scope
selector); the table is the API server's printResourceQuota (NAME REQUEST LIMIT AGE) and describe is kubectl's
describeQuota. Go ranges over the hard map in random order; errors here are in name order.
"""

from __future__ import annotations

import json
from typing import Any

from ..printers.describe import tabwrite
from ..printers.duration import age
from ..quantity import Quantity
from ..resources import canonicalize_resource_list
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj
from .resource_names import (
    STANDARD_QUOTA_RESOURCES,
    check_quantities,
    is_quota_hugepages,
    quantity_value,
    quota_resource_name,
)

SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
          "CrossNamespacePodAffinity", "VolumeAttributesClass")
_POD_COMPUTE = frozenset({"cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu", "requests.memory"})
_CONFLICTS = ({"BestEffort", "NotBestEffort"}, {"Terminating", "NotTerminating"})
_EXISTS_ONLY = ("BestEffort", "NotBestEffort", "Terminating", "NotTerminating", "CrossNamespacePodAffinity")
# kubectl describe's helpTextForResourceQuotaScope.
SCOPE_HELP = {
    "Terminating": "Matches all pods that have an active deadline. These pods have a limited lifespan on a node "
                   "before being actively terminated by the system.",
    "NotTerminating": "Matches all pods that do not have an active deadline. These pods usually include long "
                      "running pods whose container command is not expected to terminate.",
    "BestEffort": "Matches all pods that do not have resource requirements set. These pods have a best effort "
                  "quality of service.",
    "NotBestEffort": "Matches all pods that have at least one resource requirement set. These pods have a "
                     "burstable or guaranteed quality of service.",
}


def _decode(quota: Obj) -> None:
    spec, status = quota.get("spec") or {}, quota.get("status") or {}
    for path, resources in (("spec.hard", spec.get("hard") if isinstance(spec, dict) else None),
                            ("status.hard", status.get("hard") if isinstance(status, dict) else None),
                            ("status.used", status.get("used") if isinstance(status, dict) else None)):
        check_quantities("ResourceQuota", path, resources)


def _default(quota: Obj) -> None:
    spec = quota.get("spec")
    if isinstance(spec, dict):
        canonicalize_resource_list(spec.get("hard"))


def scope_valid_for(scope: str, resource: str) -> bool:
    """helper.IsResourceQuotaScopeValidForResource."""
    if scope in ("Terminating", "NotTerminating", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"):
        return resource == "pods" or resource in _POD_COMPUTE
    if scope == "BestEffort":
        return resource == "pods"
    if scope == "VolumeAttributesClass":
        return resource in ("persistentvolumeclaims", "requests.storage", "count/persistentvolumeclaims")
    return True


def _applies(scope: str, hard: list[str]) -> bool:
    return all(scope_valid_for(scope, k) for k in hard if k in STANDARD_QUOTA_RESOURCES or is_quota_hugepages(k))


def _scopes(spec: Obj, hard: list[str]) -> FieldErrors:
    """validateResourceQuotaScopes (duplicates, as the API server reports them, once)."""
    scopes = spec.get("scopes")
    if not scopes:
        return []
    if not isinstance(scopes, list):
        return [v.type_error("spec.scopes", scopes, "array")]
    shown = f"Invalid value: {v.go_json(scopes)}: "
    errs: FieldErrors = []
    for scope in scopes:
        if scope not in SCOPES:
            errs.append(("spec.scopes", shown + "unsupported scope"))
        if not _applies(str(scope), hard):
            errs.append(("spec.scopes", shown + "unsupported scope applied to resource"))
    if any(pair <= set(map(str, scopes)) for pair in _CONFLICTS):
        errs.append(("spec.scopes", shown + "conflicting scopes"))
    return list(dict.fromkeys(errs))


def _selector_struct(selector: Obj) -> str:
    """How the API server prints the internal ScopeSelector struct in an error: Go field names, nil as null."""
    exprs = [{"ScopeName": e.get("scopeName", ""), "Operator": e.get("operator", ""), "Values": e.get("values") or None}
             for e in selector.get("matchExpressions") or () if isinstance(e, dict)]
    return json.dumps({"MatchExpressions": exprs or None}, separators=(",", ":"), ensure_ascii=False)


def _scope_selector(spec: Obj, hard: list[str]) -> FieldErrors:
    """validateScopeSelector / validateScopedResourceSelectorRequirement."""
    selector = spec.get("scopeSelector")
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [v.type_error("spec.scopeSelector", selector, "object")]
    path = "spec.scopeSelector.matchExpressions"
    exprs = selector.get("matchExpressions") or []
    if not isinstance(exprs, list):
        return [v.type_error(path, exprs, "array")]
    errs: FieldErrors = []
    seen: set[str] = set()
    for i, expr in enumerate(exprs):
        if not isinstance(expr, dict):
            errs.append(v.type_error(f"{path}[{i}]", expr, "object"))
            continue
        scope, op, values = str(expr.get("scopeName", "")), expr.get("operator"), expr.get("values") or []
        if not isinstance(values, list):
            errs.append(v.type_error(f"{path}[{i}].values", values, "array"))
            continue
        if scope not in SCOPES:
            errs.append(v.invalid(f"{path}.scopeName", scope, "unsupported scope"))
        if not _applies(scope, hard):
            errs.append((path, f"Invalid value: {_selector_struct(selector)}: unsupported scope applied to resource"))
        if scope in _EXISTS_ONLY and op != "Exists":
            errs.append(v.invalid(f"{path}.operator", op, "must be 'Exists' when scope is any of "
                                  "ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                                  "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or "
                                  "ResourceQuotaScopeCrossNamespacePodAffinity"))
        if op in ("In", "NotIn"):
            if not values:
                errs.append(v.required(f"{path}.values", "must be at least one value when `operator` is 'In' or "
                                                         "'NotIn' for scope selector"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append((f"{path}.values", f"Invalid value: {v.go_json(values)}: must be no value when "
                                               "`operator` is 'Exist' or 'DoesNotExist' for scope selector"))
        else:
            errs.append(v.invalid(f"{path}.operator", op, "not a valid selector operator"))
        seen.add(scope)
    if any(pair <= seen for pair in _CONFLICTS):
        errs.append((path, "Invalid value: null: conflicting scopes"))
    return list(dict.fromkeys(errs))


def _validate(quota: Obj, old: Obj | None) -> FieldErrors:
    spec = quota.get("spec")
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return [v.type_error("spec", spec, "object")]
    hard = spec.get("hard") or {}
    if not isinstance(hard, dict):
        return [v.type_error("spec.hard", hard, "object")]
    errs: FieldErrors = []
    for name in sorted(hard):
        errs.extend(quota_resource_name(f"spec.hard[{name}]", name))
        errs.extend(quantity_value(f"spec.hard[{name}]", name, hard[name]))
    names = sorted(hard)
    errs.extend(_scopes(spec, names))
    errs.extend(_scope_selector(spec, names))
    scopes = spec.get("scopes") or []
    if old is not None and isinstance(scopes, list):
        before = set(map(str, (old.get("spec") or {}).get("scopes") or ()))
        if set(map(str, scopes)) != before:
            errs.append(("spec.scopes", f"Invalid value: {v.go_json(spec.get('scopes'))}: field is immutable"))
    return errs


def _prepare_for_create(api: Any, quota: Obj, old: Obj | None) -> FieldErrors:
    """PrepareForCreate: a new quota's status is the quota controller's to fill in."""
    if old is None:
        quota["status"] = {}
    return []


def _sorted_hard(quota: Obj) -> list[str]:
    return sorted((quota.get("spec") or {}).get("hard") or {})


def _row(quota: Obj, now: float) -> list[str]:
    """printResourceQuota: `name: used/hard` for each limited resource; `limits.*` in LIMIT, the rest in REQUEST."""
    status = quota.get("status") or {}
    used, hard = status.get("used") or {}, status.get("hard") or {}
    request, limit = [], []
    for name in _sorted_hard(quota):
        cell = f"{name}: {used.get(name, '0')}/{hard.get(name, '0')}"
        pieces = name.split(".")
        (limit if len(pieces) > 1 and pieces[0] == "limits" else request).append(cell)
    return [quota["metadata"]["name"], ", ".join(request), ", ".join(limit),
            age(quota["metadata"].get("creationTimestamp"), now)]


def _used_text(used: Any, hard: Any) -> str:
    """describeQuota: a used amount in another format than the hard one is printed, in whole units, in hard's."""
    hard_q = Quantity.parse(hard)
    used_q = Quantity.parse(used) if used is not None else None
    if used_q is None or used_q.format != hard_q.format:
        return str(Quantity(used_q.int_value() if used_q is not None else 0, hard_q.format))
    return str(used_q)


def _describe(quota: Obj, ctx: DescribeContext) -> str:
    meta = quota["metadata"]
    status = quota.get("status") or {}
    lines = [f"Name:\t{meta['name']}", f"Namespace:\t{meta.get('namespace', '')}"]
    scopes = sorted(str(s) for s in (quota.get("spec") or {}).get("scopes") or ())
    if scopes:
        lines.append(f"Scopes:\t{', '.join(scopes)}")
        lines.extend(f" * {SCOPE_HELP[s]}" for s in scopes if s in SCOPE_HELP)
    lines += ["Resource\tUsed\tHard", "--------\t----\t----"]
    hard, used = status.get("hard") or {}, status.get("used") or {}
    for name in sorted(hard):
        lines.append(f"{name}\t{_used_text(used.get(name), hard[name])}\t{Quantity.parse(hard[name])}")
    return tabwrite("\n".join(lines) + "\n")


def namespace_section(quotas: list[Obj]) -> list[str]:
    """kubectl's DescribeResourceQuotas, as `kubectl describe namespace` prints it (used as stored here)."""
    if not quotas:
        return ["No resource quota."]
    lines = ["Resource Quotas"]
    for quota in sorted(quotas, key=lambda q: q["metadata"]["name"]):
        lines.append(f"  Name:\t{quota['metadata']['name']}")
        scopes = sorted(str(s) for s in (quota.get("spec") or {}).get("scopes") or ())
        if scopes:
            lines.append(f"  Scopes:\t{', '.join(scopes)}")
            lines.extend(f"  * {SCOPE_HELP[s]}" for s in scopes if s in SCOPE_HELP)
        lines += ["  Resource\tUsed\tHard", "  --------\t---\t---"]
        status = quota.get("status") or {}
        hard, used = status.get("hard") or {}, status.get("used") or {}
        lines.extend(f"  {name}\t{used.get(name, '0')}\t{hard[name]}" for name in sorted(hard))
    return lines


RESOURCE_QUOTA = REGISTRY.register(KindInfo(
    kind="ResourceQuota", group="", version="v1", plural="resourcequotas", namespaced=True, short_names=("quota",),
    decode=_decode, default=_default, validate=_validate, allocate=_prepare_for_create,
    columns=("NAME", "REQUEST", "LIMIT", "AGE"), row=_row, describe=_describe,
    generation_tracks_spec=False,  # the API server keeps no metadata.generation for quotas
))
