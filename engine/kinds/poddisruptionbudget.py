"""PodDisruptionBudget (policy/v1, `pdb`): how many of a set of pods a voluntary disruption (an eviction) must leave.

Validation is ValidatePodDisruptionBudgetSpec (k/k pkg/apis/policy/validation), the table the API server's
printPodDisruptionBudget (NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE) and describe kubectl's
describePodDisruptionBudgetV1. The status is the disruption controller's (`engine/controllers/disruption.py`);
evictions read it (`engine/eviction.py`). Argo CD has no health rule for the kind: it is always Healthy.
"""

from __future__ import annotations

import json
from typing import Any

from ..printers.describe import _describe_events, _Writer
from ..printers.duration import age
from ..printers.tables import format_label_selector
from . import validation as v
from .deployment import _int_or_percent
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

RESOURCE = "poddisruptionbudgets.policy"
POLICIES = ["AlwaysAllow", "IfHealthyBudget"]  # supportedUnhealthyPodEvictionPolicies, sorted as upstream lists them
DISRUPTION_ALLOWED = "DisruptionAllowed"


def _spec_value(spec: Obj) -> str:
    """How the API server shows the internal spec struct in `spec: Invalid value:` (Go field names, in order)."""
    fields = {"MinAvailable": spec.get("minAvailable"), "Selector": spec.get("selector"),
              "MaxUnavailable": spec.get("maxUnavailable"),
              "UnhealthyPodEvictionPolicy": spec.get("unhealthyPodEvictionPolicy")}
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def _int_or_percent_errors(path: str, value: Any) -> FieldErrors:
    """ValidatePositiveIntOrPercent, then IsNotMoreThan100Percent."""
    errs, number, percent = _int_or_percent(path, value)
    if percent and number is not None and number > 100:
        errs.append(v.invalid(path, value, "must not be greater than 100%"))
    return errs


def _validate(pdb: Obj, old: Obj | None) -> FieldErrors:
    spec = pdb.get("spec")
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return [v.type_error("spec", spec, "object")]
    errs: FieldErrors = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errs.append(("spec", f"Invalid value: {_spec_value(spec)}: minAvailable and maxUnavailable cannot be both set"))
    for field in ("minAvailable", "maxUnavailable"):
        errs.extend(_int_or_percent_errors(f"spec.{field}", spec.get(field)))
    errs.extend(v.label_selector("spec.selector", spec.get("selector")))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in POLICIES:
        errs.append(v.unsupported("spec.unhealthyPodEvictionPolicy", policy, POLICIES))
    return errs


def int_or_string(value: Any) -> str:
    """intstr.IntOrString.String()."""
    return str(value)


def _row(pdb: Obj, now: float) -> list[str]:
    """printPodDisruptionBudget: N/A for the bound that is not set."""
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    low, high = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [pdb["metadata"]["name"], "N/A" if low is None else int_or_string(low),
            "N/A" if high is None else int_or_string(high), str(status.get("disruptionsAllowed", 0)),
            age(pdb["metadata"].get("creationTimestamp"), now)]


def _describe(pdb: Obj, ctx: DescribeContext) -> str:
    spec, status, meta = pdb.get("spec") or {}, pdb.get("status") or {}, pdb["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("minAvailable") is not None:
        w.write(0, f"Min available:\t{int_or_string(spec['minAvailable'])}\n")
    elif spec.get("maxUnavailable") is not None:
        w.write(0, f"Max unavailable:\t{int_or_string(spec['maxUnavailable'])}\n")
    selector = spec.get("selector")
    w.write(0, f"Selector:\t{format_label_selector(selector) if selector is not None else '<unset>'}\n")
    w.write(0, "Status:\n")
    w.write(2, f"Allowed disruptions:\t{status.get('disruptionsAllowed', 0)}\n")
    w.write(2, f"Current:\t{status.get('currentHealthy', 0)}\n")
    w.write(2, f"Desired:\t{status.get('desiredHealthy', 0)}\n")
    w.write(2, f"Total:\t{status.get('expectedPods', 0)}\n")
    _describe_events(w, ctx.events(pdb), ctx.now())
    return w.text()


def _problems(pdb: Obj) -> list[tuple[str, str]]:
    """A budget the controller could not compute allows no disruption at all: say why (its SyncFailed message)."""
    for condition in (pdb.get("status") or {}).get("conditions") or ():
        if condition.get("type") == DISRUPTION_ALLOWED and condition.get("reason") == "SyncFailed":
            return [("SyncFailed", str(condition.get("message", "")))]
    return []


PDB = REGISTRY.register(KindInfo(
    kind="PodDisruptionBudget", group="policy", version="v1", plural="poddisruptionbudgets", namespaced=True,
    short_names=("pdb",), validate=_validate, name_rule="path",  # no name rule of its own in v1.36: any segment
    columns=("NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"), row=_row,
    describe=_describe, problems=_problems,
))
