"""Validation shared by workloads with a selector and a pod template (apps/v1)."""

from __future__ import annotations

from typing import Any

from ..quoting import go_quote
from ..selectors import selector_from_dict
from . import validation as v
from .podspec import validate_pod_template
from .registry import FieldErrors, Obj


def _selector_text(selector: Any) -> str:
    labels = (selector or {}).get("matchLabels") or {}
    inner = ", ".join(f"{go_quote(k)[1:-1]}:{go_quote(val)}" for k, val in labels.items())
    return (f"v1.LabelSelector{{MatchLabels:map[string]string{{{inner}}}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}")


def validate_workload(obj: Obj, old: Obj | None, *, kind_word: str) -> FieldErrors:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec") if spec is None else v.type_error("spec", spec, "object")]
    errors: FieldErrors = []
    errors.extend(v.non_negative("spec.replicas", spec.get("replicas")))
    errors.extend(v.non_negative("spec.minReadySeconds", spec.get("minReadySeconds")))
    errors.extend(v.non_negative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit")))
    selector = spec.get("selector")
    if selector is None:
        errors.append(v.required("spec.selector"))
    else:
        selector_errors = v.label_selector("spec.selector", selector)
        errors.extend(selector_errors)
        if not selector_errors and selector_from_dict(selector).empty:
            errors.append(v.invalid("spec.selector", _selector_text(selector),
                                    f"empty selector is invalid for {kind_word}"))
    template = spec.get("template")
    errors.extend(validate_pod_template("spec.template", template))
    if isinstance(template, dict) and selector is not None and not errors:
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector_from_dict(selector).matches(labels):
            errors.append(v.invalid("spec.template.metadata.labels", labels,
                                    "`selector` does not match template `labels`"))
        restart = (template.get("spec") or {}).get("restartPolicy", "Always")
        if restart != "Always":
            errors.append(v.unsupported("spec.template.spec.restartPolicy", restart, ["Always"]))
    if old is not None and selector is not None:
        old_selector = (old.get("spec") or {}).get("selector")
        if old_selector != selector:
            errors.append(v.invalid("spec.selector", _selector_text(selector), "field is immutable"))
    return errors
