"""LimitRange (v1): per-container, per-pod and per-claim bounds and defaults in a namespace, applied by the
LimitRanger admission plugin (`engine/admission/limitranger.py`).

Defaulting is SetDefaults_LimitRangeItem (a Container item's default limit falls back to its max, its default
request to its default limit, then to its min), validation ValidateLimitRange, the table the API server's
printLimitRange (NAME CREATED AT) and describe kubectl's describeLimitRange. Go ranges over the items' maps in
random order (kubectl's describe rows and the API server's errors come out shuffled); here they are in name order.
"""

from __future__ import annotations

from typing import Any

from ..printers.describe import tabwrite
from ..quantity import Quantity
from ..resources import canonicalize_resource_list
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj
from .resource_names import check_quantities, limit_range_resource_name, overcommit_allowed

LIST_FIELDS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")
STANDARD_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
# resource.MaxMilliValue, as the ratio check compares in milli-units below it.
MAX_MILLI_VALUE = (2**63 - 1) // 1000


def _items(lr: Obj) -> list[Obj]:
    spec = lr.get("spec")
    limits = spec.get("limits") if isinstance(spec, dict) else None
    return [item for item in limits if isinstance(item, dict)] if isinstance(limits, list) else []


def _decode(lr: Obj) -> None:
    for i, item in enumerate(_items(lr)):
        for field in LIST_FIELDS:
            check_quantities("LimitRange", f"spec.limits[{i}].{field}", item.get(field))


def _default(lr: Obj) -> None:
    """SetDefaults_LimitRangeItem, after every ResourceList is stored canonical."""
    for item in _items(lr):
        for field in LIST_FIELDS:
            canonicalize_resource_list(item.get(field))
        if item.get("type") != "Container":
            continue
        lists = {field: item.get(field) if isinstance(item.get(field), dict) else {} for field in LIST_FIELDS}
        default, request = dict(lists["default"]), dict(lists["defaultRequest"])
        for name, value in lists["max"].items():
            default.setdefault(name, value)
        for name, value in default.items():
            request.setdefault(name, value)
        for name, value in lists["min"].items():
            request.setdefault(name, value)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def _type_errors(path: str, kind: Any) -> FieldErrors:
    """validateLimitRangeTypeName."""
    errs = v.qualified_name(path, kind)
    if not errs and "/" not in kind and kind not in STANDARD_TYPES:
        errs.append(v.invalid(path, kind, "must be a standard limit type or fully qualified"))
    return errs


def _bounds_errors(path: str, lists: dict[str, dict[str, Quantity]]) -> FieldErrors:
    """The cross-checks of each resource the item names: min <= defaultRequest <= default <= max, the ratio."""
    errs: FieldErrors = []
    low, high = lists["min"], lists["max"]
    default, request, ratio = lists["default"], lists["defaultRequest"], lists["maxLimitRequestRatio"]
    for name in sorted(set().union(*lists.values())):
        mn, mx, d, dr, r = (low.get(name), high.get(name), default.get(name), request.get(name), ratio.get(name))
        if mn is not None and mx is not None and mn > mx:
            errs.append(v.invalid(f"{path}.min[{name}]", str(mn), f"min value {mn} is greater than max value {mx}"))
        if dr is not None and mn is not None and mn > dr:
            errs.append(v.invalid(f"{path}.defaultRequest[{name}]", str(dr),
                                  f"min value {mn} is greater than default request value {dr}"))
        if dr is not None and mx is not None and dr > mx:
            errs.append(v.invalid(f"{path}.defaultRequest[{name}]", str(dr),
                                  f"default request value {dr} is greater than max value {mx}"))
        if dr is not None and d is not None and dr > d:
            errs.append(v.invalid(f"{path}.defaultRequest[{name}]", str(dr),
                                  f"default request value {dr} is greater than default limit value {d}"))
        if d is not None and mn is not None and mn > d:
            errs.append(v.invalid(f"{path}.default[{name}]", str(mn),
                                  f"min value {mn} is greater than default value {d}"))
        if d is not None and mx is not None and d > mx:
            # Upstream shows the max as the invalid value here, and so does k9py.
            errs.append(v.invalid(f"{path}.default[{name}]", str(mx),
                                  f"default value {d} is greater than max value {mx}"))
        if r is not None and r < Quantity(1):
            errs.append(v.invalid(f"{path}.maxLimitRequestRatio[{name}]", str(r), f"ratio {r} is less than 1"))
        if r is not None and mn is not None and mx is not None:
            ratio_value, lo, hi = float(r.int_value()), mn.int_value(), mx.int_value()
            if r.int_value() < MAX_MILLI_VALUE and lo < MAX_MILLI_VALUE and hi < MAX_MILLI_VALUE:
                ratio_value, lo, hi = r.milli_value() / 1000, mn.milli_value(), mx.milli_value()
            limit = hi / lo if lo else float("inf")
            if ratio_value > limit:
                errs.append(v.invalid(f"{path}.maxLimitRequestRatio[{name}]", str(r),
                                      f"ratio {r} is greater than max/min = {limit:f}"))
        if not overcommit_allowed(name) and d is not None and dr is not None and d != dr:
            errs.append(v.invalid(f"{path}.defaultRequest[{name}]", str(dr),
                                  f"default value {d} must equal to defaultRequest value {dr} in {name}"))
    return errs


def _item_errors(path: str, item: Obj) -> FieldErrors:
    kind = item.get("type")
    errs: FieldErrors = []
    lists: dict[str, dict[str, Quantity]] = {}
    for field in LIST_FIELDS:
        raw = item.get(field)
        if raw is not None and not isinstance(raw, dict):
            errs.append(v.type_error(f"{path}.{field}", raw, "object"))
            raw = None
        lists[field] = {str(k): Quantity.parse(q) for k, q in (raw or {}).items()}
    names = {field: sorted(lists[field]) for field in LIST_FIELDS}
    for field in ("max", "min"):
        for name in names[field]:
            errs.extend(limit_range_resource_name(kind, f"{path}.{field}[{name}]", name))
    if kind == "Pod":
        for field in ("default", "defaultRequest"):
            if lists[field]:
                errs.append(v.forbidden(f"{path}.{field}", "may not be specified when `type` is 'Pod'"))
            lists[field] = {}
    else:
        for field in ("default", "defaultRequest"):
            for name in names[field]:
                errs.extend(limit_range_resource_name(kind, f"{path}.{field}[{name}]", name))
    if kind == "PersistentVolumeClaim" and "storage" not in lists["min"] and "storage" not in lists["max"]:
        errs.append(v.required(f"{path}.limits",
                               "either minimum or maximum storage value is required, but neither was provided"))
    for name in names["maxLimitRequestRatio"]:
        errs.extend(limit_range_resource_name(kind, f"{path}.maxLimitRequestRatio[{name}]", name))
    return errs + _bounds_errors(path, lists)


def _validate(lr: Obj, old: Obj | None) -> FieldErrors:
    spec = lr.get("spec")
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return [v.type_error("spec", spec, "object")]
    limits = spec.get("limits")
    if limits is not None and not isinstance(limits, list):
        return [v.type_error("spec.limits", limits, "array")]
    errs: FieldErrors = []
    seen: set[str] = set()
    for i, item in enumerate(limits or ()):
        path = f"spec.limits[{i}]"
        if not isinstance(item, dict):
            errs.append(v.type_error(path, item, "object"))
            continue
        kind = item.get("type")
        kind = kind if isinstance(kind, str) else ""
        errs.extend(_type_errors(f"{path}.type", kind))
        if kind in seen:
            errs.append(v.duplicate(f"{path}.type", kind))
        seen.add(kind)
        errs.extend(_item_errors(path, item))
    return errs


def _row(lr: Obj, now: float) -> list[str]:
    """printLimitRange: the creation time in RFC 3339, not an age."""
    return [lr["metadata"]["name"], str(lr["metadata"].get("creationTimestamp", ""))]


HEADER = ("Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio",
          "----\t--------\t---\t---\t---------------\t-------------\t-----------------------")


def _rows(lr: Obj) -> list[str]:
    """A row per type and resource: `-` where the item sets nothing."""
    rows = []
    for item in _items(lr):
        lists = {field: item.get(field) or {} for field in LIST_FIELDS}
        for name in sorted(set().union(*lists.values())):
            cells = [str(lists[field][name]) if name in lists[field] else "-"
                     for field in ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")]
            rows.append("\t".join([str(item.get("type", "")), name, *cells]))
    return rows


def _describe(lr: Obj, ctx: DescribeContext) -> str:
    meta = lr["metadata"]
    lines = [f"Name:\t{meta['name']}", f"Namespace:\t{meta.get('namespace', '')}", *HEADER, *_rows(lr)]
    return tabwrite("\n".join(lines) + "\n")


def namespace_section(limit_ranges: list[Obj]) -> list[str]:
    """kubectl's DescribeLimitRanges, as `kubectl describe namespace` prints it: every range's rows in one table,
    each line indented by a space."""
    if not limit_ranges:
        return ["No LimitRange resource."]
    rows = [row for lr in sorted(limit_ranges, key=lambda lr: lr["metadata"]["name"]) for row in _rows(lr)]
    return ["Resource Limits", *(f" {line}" for line in (*HEADER, *rows))]


LIMIT_RANGE = REGISTRY.register(KindInfo(
    kind="LimitRange", group="", version="v1", plural="limitranges", namespaced=True, short_names=("limits",),
    decode=_decode, default=_default, validate=_validate, has_status=False, columns=("NAME", "CREATED AT"),
    row=_row, describe=_describe, generation_tracks_spec=False,  # no metadata.generation, as upstream
))
