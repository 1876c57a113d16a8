"""Validation shared by workloads with a selector and a pod template (apps/v1)."""

from __future__ import annotations

import json
from typing import Any

from ..selectors import selector_from_dict
from . import validation as v
from .podspec import validate_pod_template
from .registry import FieldErrors, Obj


def _invalid_selector(selector: Any, detail: str) -> tuple[str, str]:
    """`spec.selector: Invalid value: {"matchLabels":{"app":"web"}}: ...`: v1.36 prints the LabelSelector struct as
    JSON, its fields in declaration order and empty ones omitted (a map's keys sorted)."""
    shown: dict[str, Any] = {}
    labels = (selector or {}).get("matchLabels")
    if labels:
        shown["matchLabels"] = dict(sorted(labels.items()))
    expressions = (selector or {}).get("matchExpressions")
    if expressions:
        shown["matchExpressions"] = [{k: e[k] for k in ("key", "operator", "values") if e.get(k)}
                                     for e in expressions if isinstance(e, dict)]
    return "spec.selector", f"Invalid value: {json.dumps(shown, separators=(',', ':'), ensure_ascii=False)}: {detail}"


def validate_workload(obj: Obj, old: Obj | None, *, kind_word: str) -> FieldErrors:
    # ValidateDeploymentSpec and its siblings (pkg/apis/apps/validation): the spec and its template are structs,
    # not pointers, so null or absent ones are validated as empty.
    spec = obj.get("spec")
    if spec is None:
        spec = {}
    elif not isinstance(spec, dict):
        return [v.type_error("spec", spec, "object")]
    errors: FieldErrors = []
    errors.extend(v.non_negative("spec.replicas", spec.get("replicas")))
    errors.extend(v.non_negative("spec.minReadySeconds", spec.get("minReadySeconds")))
    errors.extend(v.non_negative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit")))
    selector = spec.get("selector")
    selector_errors: FieldErrors = []
    if selector is None:
        errors.append(v.required("spec.selector"))
    else:
        selector_errors = v.label_selector("spec.selector", selector)
        errors.extend(selector_errors)
        if not selector_errors and selector_from_dict(selector).empty:
            errors.append(_invalid_selector(selector, f"empty selector is invalid for {kind_word}"))
    template = spec.get("template")
    if template is None:
        template = {}
    if isinstance(template, dict) and not selector_errors:
        # No selector selects nothing (LabelSelectorAsSelector(nil)), so no template matches it; an empty one
        # (already refused above) would match all.
        meta = template.get("metadata")
        labels = meta.get("labels") if isinstance(meta, dict) else None
        chosen = selector_from_dict(selector) if selector is not None else None
        if chosen is None or (not chosen.empty and not chosen.matches(labels or {})):
            errors.append(v.invalid("spec.template.metadata.labels", labels,
                                    "`selector` does not match template `labels`"))
    errors.extend(validate_pod_template("spec.template", template))
    if isinstance(template, dict):
        restart = (template.get("spec") or {}).get("restartPolicy", "Always")
        if restart != "Always":
            errors.append(v.unsupported("spec.template.spec.restartPolicy", restart, ["Always"]))
    if old is not None and selector is not None:
        old_selector = (old.get("spec") or {}).get("selector")
        if old_selector != selector:
            errors.append(_invalid_selector(selector, "field is immutable"))
    return errors
