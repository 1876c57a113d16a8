"""Job (batch/v1): defaults (`k/k pkg/apis/batch/v1/defaults.go` SetDefaults_Job), the generated selector
(`pkg/registry/batch/job/strategy.go` generateSelector) and validation (`pkg/apis/batch/validation/validation.go`
ValidateJob, ValidateJobSpec, ValidateJobUpdate), with messages as a v1.36 API server words them.
"""

from __future__ import annotations

from typing import Any

from ..printers.jobs import JOB_COLUMNS, JOB_WIDE_COLUMNS, describe_job, job_row, job_row_wide
from ..selectors import selector_from_dict
from . import validation as v
from .podspec import default_pod_template, validate_pod_template
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj

RESOURCE = "jobs.batch"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
COMPLETION_MODES = ["NonIndexed", "Indexed"]
POD_FAILURE_ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"]
EXIT_CODE_OPERATORS = ["In", "NotIn"]
REPLACEMENT_POLICIES = ["Failed", "TerminatingOrFailed"]
# What may change in the template of a suspended Job that never started (JobMutableSchedulingDirectives).
MUTABLE_TEMPLATE_SPEC = ("nodeSelector", "tolerations", "affinity", "schedulingGates")
MAX_INT32 = 2**31 - 1


def _invalid_json(path: str, value: Any, detail: str) -> tuple[str, str]:
    return path, f"Invalid value: {v.go_json(value)}: {detail}"


def _omit_value(path: str, detail: str) -> tuple[str, str]:
    """field.Invalid with the value left out (field.OmitValueType)."""
    return path, f"Invalid value: {detail}"


# --- defaulting ---------------------------------------------------------------------------------------------


def _default(job: Obj) -> None:
    spec = job.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1  # one pod run to one success, the common case
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", False)
    policy = spec.get("podFailurePolicy")
    if isinstance(policy, dict):
        for rule in policy.get("rules") or ():
            for cond in (rule.get("onPodConditions") or ()) if isinstance(rule, dict) else ():
                if isinstance(cond, dict):
                    cond.setdefault("status", "True")
    # A pod failure policy must see pods fully terminated before replacing them.
    spec.setdefault("podReplacementPolicy", "Failed" if policy is not None else "TerminatingOrFailed")
    default_pod_template(spec.get("template"))


def _generated_selector(job: Obj, uid: str) -> None:
    """generateSelector: the template gets the job-name and controller-uid labels (new and legacy keys, a
    label the user already set is kept so validation can refuse a conflict) and the selector the uid one."""
    meta, spec = job["metadata"], job["spec"]
    template = spec.get("template")
    if not isinstance(template, dict):
        return
    template_meta = template.setdefault("metadata", {})
    labels = template_meta.get("labels")
    if not isinstance(labels, dict):
        labels = template_meta["labels"] = {}
    for key, value in ((JOB_NAME_LABEL, meta.get("name", "")), (LEGACY_JOB_NAME_LABEL, meta.get("name", "")),
                       (CONTROLLER_UID_LABEL, uid), (LEGACY_CONTROLLER_UID_LABEL, uid)):
        labels.setdefault(key, value)
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match = selector.get("matchLabels")
    if not isinstance(match, dict):
        match = selector["matchLabels"] = {}
    match.setdefault(CONTROLLER_UID_LABEL, uid)


def _allocate(api: Any, job: Obj, old: Obj | None) -> FieldErrors:
    """The selector needs the Job's uid, which upstream exists before validation (BeforeCreate fills it in);
    here the API assigns it after this hook, so the uid it is about to draw is read ahead and restored."""
    spec = job.get("spec")
    if old is not None or not isinstance(spec, dict) or spec.get("manualSelector"):
        return []
    state = api.rng.getstate()
    uid = api.new_uid()
    api.rng.setstate(state)
    _generated_selector(job, uid)
    meta = job["metadata"]
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)  # SetDefaults_Job: a Job without labels takes its template's
    errors = _generated_selector_errors(job, uid)
    errors.extend(_selector_errors(spec))
    return errors


# --- validation ---------------------------------------------------------------------------------------------


def _generated_selector_errors(job: Obj, uid: str) -> FieldErrors:
    """validateGeneratedSelector: without manualSelector the selector must be exactly the generated one."""
    spec = job["spec"]
    selector = spec.get("selector")
    if spec.get("manualSelector") or not isinstance(selector, dict) or not uid:
        return []
    errors: FieldErrors = []
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if labels.get(CONTROLLER_UID_LABEL) != uid:
        errors.append(v.required(f'spec.template.metadata.labels["{CONTROLLER_UID_LABEL}"]', f"must be '{uid}'"))
    if selector != {"matchLabels": {CONTROLLER_UID_LABEL: uid}}:
        errors.append(_invalid_json("spec.selector", selector, "`selector` not auto-generated"))
    return errors


def _selector_errors(spec: Obj) -> FieldErrors:
    """ValidateJobSpec's selector part: required, valid, and matching the template's labels."""
    selector = spec.get("selector")
    if selector is None:
        errors = [v.required("spec.selector")]
    else:
        errors = v.label_selector("spec.selector", selector)
        if errors:
            return errors
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    # A missing selector selects nothing (LabelSelectorAsSelector(nil) is labels.Nothing()).
    if selector is None or not selector_from_dict(selector).matches(labels or {}):
        errors.append(_invalid_json("spec.template.metadata.labels", labels, "`selector` does not match template "
                                                                             "`labels`"))
    return errors


def _validate_pod_failure_policy(spec: Obj) -> FieldErrors:
    policy = spec.get("podFailurePolicy")
    if policy is None:
        return []
    path = "spec.podFailurePolicy"
    if not isinstance(policy, dict):
        return [v.type_error(path, policy, "object")]
    errors: FieldErrors = []
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart != "Never":
        errors.append(v.invalid("spec.template.spec.restartPolicy", restart,
                                'only "Never" is supported when podFailurePolicy is specified'))
    rules = policy.get("rules") or []
    if not isinstance(rules, list):
        return [*errors, v.type_error(f"{path}.rules", rules, "array")]
    for i, rule in enumerate(rules):
        rp = f"{path}.rules[{i}]"
        if not isinstance(rule, dict):
            errors.append(v.type_error(rp, rule, "object"))
            continue
        action = rule.get("action")
        if action not in POD_FAILURE_ACTIONS:
            errors.append(v.unsupported(f"{rp}.action", action, POD_FAILURE_ACTIONS))
        elif action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            errors.append(v.invalid(f"{rp}.action", action, "requires the backoffLimitPerIndex to be set"))
        codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions")
        if isinstance(codes, dict):
            operator = codes.get("operator")
            if operator not in EXIT_CODE_OPERATORS:
                errors.append(v.unsupported(f"{rp}.onExitCodes.operator", operator, EXIT_CODE_OPERATORS))
            seen: set[int] = set()
            for j, code in enumerate(codes.get("values") or []):
                if operator == "In" and code == 0:
                    errors.append(v.invalid(f"{rp}.onExitCodes.values[{j}]", code, "must not be 0 for the In "
                                                                                   "operator"))
                if code in seen:
                    errors.append(v.duplicate(f"{rp}.onExitCodes.values[{j}]", code))
                seen.add(code)
        if codes is None and not conditions:
            errors.append(_omit_value(rp, "specifying one of OnExitCodes and OnPodConditions is required"))
        elif codes is not None and conditions:
            errors.append(_omit_value(rp, "specifying both OnExitCodes and OnPodConditions is not supported"))
    return errors


def validate_job_spec(spec: Obj) -> FieldErrors:
    """validateJobSpec, in the order the API server reports its errors."""
    errors: FieldErrors = []
    for field in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"):
        errors.extend(v.non_negative(f"spec.{field}", spec.get(field)))
    mode = spec.get("completionMode")
    per_index = spec.get("backoffLimitPerIndex")
    errors.extend(v.non_negative("spec.backoffLimitPerIndex", per_index))
    if per_index is not None and mode != "Indexed":
        errors.append(v.invalid("spec.backoffLimitPerIndex", per_index, "requires indexed completion mode"))
    if mode is not None and mode not in COMPLETION_MODES:
        errors.append(v.unsupported("spec.completionMode", mode, COMPLETION_MODES))
    if mode == "Indexed" and spec.get("completions") is None:
        errors.append(v.required("spec.completions", "when completion mode is Indexed"))
    errors.extend(_validate_pod_failure_policy(spec))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None and replacement not in REPLACEMENT_POLICIES:
        errors.append(v.unsupported("spec.podReplacementPolicy", replacement, REPLACEMENT_POLICIES))
    elif replacement == "TerminatingOrFailed" and spec.get("podFailurePolicy") is not None:
        errors.append(v.unsupported("spec.podReplacementPolicy", replacement, ["Failed"]))
    template = spec.get("template")
    errors.extend(validate_pod_template("spec.template", template))
    restart = ((template or {}).get("spec") or {}).get("restartPolicy") if isinstance(template, dict) else None
    if restart not in ("OnFailure", "Never"):
        errors.append(v.required("spec.template.spec.restartPolicy", 'valid values: "OnFailure", "Never"'))
    return errors


def _template_change_allowed(spec: Obj, old_spec: Obj, old_status: Obj) -> bool:
    """A suspended Job that never started may change its template's scheduling directives and labels."""
    if not (spec.get("suspend") and old_spec.get("suspend")) or old_status.get("startTime"):
        return False
    new_t, old_t = dict(spec.get("template") or {}), dict(old_spec.get("template") or {})
    new_s, old_s = dict(new_t.pop("spec", None) or {}), dict(old_t.pop("spec", None) or {})
    for key in MUTABLE_TEMPLATE_SPEC:
        new_s.pop(key, None)
        old_s.pop(key, None)
    strip = {"labels", "annotations"}
    new_m = {k: val for k, val in (new_t.pop("metadata", None) or {}).items() if k not in strip}
    old_m = {k: val for k, val in (old_t.pop("metadata", None) or {}).items() if k not in strip}
    return new_s == old_s and new_m == old_m and new_t == old_t


def _validate_update(spec: Obj, old: Obj) -> FieldErrors:
    """ValidateJobSpecUpdate: what a Job may not change once created."""
    old_spec = old.get("spec") or {}
    errors: FieldErrors = []
    if spec.get("selector") != old_spec.get("selector"):
        errors.append(_invalid_json("spec.selector", spec.get("selector"), "field is immutable"))
    if spec.get("template") != old_spec.get("template") and not _template_change_allowed(
            spec, old_spec, old.get("status") or {}):
        errors.append(_invalid_json("spec.template", spec.get("template"), "field is immutable"))
    completions = spec.get("completions")
    if completions != old_spec.get("completions"):
        # Elastic Indexed Jobs may change completions together with parallelism, kept equal.
        elastic = spec.get("completionMode") == "Indexed" and completions == spec.get("parallelism")
        if not elastic:
            errors.append(v.invalid("spec.completions", completions, "field is immutable"))
    for field in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "manualSelector"):
        if spec.get(field) != old_spec.get(field):
            value = spec.get(field)
            shown = v.show(value)
            errors.append((f"spec.{field}", f"Invalid value: {shown}: field is immutable"))
    return errors


def _validate(job: Obj, old: Obj | None) -> FieldErrors:
    spec = job.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec") if spec is None else v.type_error("spec", spec, "object")]
    errors = validate_job_spec(spec)
    name = job["metadata"].get("name")
    if old is None and not spec.get("manualSelector") and isinstance(name, str) and len(name.encode()) > 63:
        # The generated job-name labels will carry the name: a label value, at most 63 bytes (one error, as the
        # API server gives it, next to the name's own).
        errors.append(v.invalid("spec.template.labels", name, "must be no more than 63 bytes"))
    if old is None:
        if spec.get("manualSelector"):
            errors.extend(_selector_errors(spec))
        # Otherwise the selector is generated, and checked, once the uid is known (`_allocate`).
        return errors
    errors.extend(_generated_selector_errors(job, old["metadata"].get("uid", "")))
    errors.extend(_selector_errors(spec))
    errors.extend(_validate_update(spec, old))
    return errors


# --- health, problems, describe -----------------------------------------------------------------------------


def _health(job: Obj) -> Health:
    """gitops-engine pkg/health/health_job.go: a Job with no Failed, Complete or Suspended condition is
    Progressing; any such condition ends it (upstream reads the types, not their status: a resumed Job, whose
    Suspended condition is False, counts as Healthy)."""
    failed = complete = suspended = False
    fail_message = message = ""
    for cond in (job.get("status") or {}).get("conditions") or ():
        ctype = cond.get("type")
        if ctype == "Failed":
            failed = complete = True
            fail_message = cond.get("message", "")
        elif ctype == "Complete":
            complete = True
            message = cond.get("message", "")
        elif ctype == "Suspended":
            complete = True
            message = cond.get("message", "")
            suspended = cond.get("status") == "True"
    if not complete:
        return Health("Progressing", message)
    if failed:
        return Health("Degraded", fail_message)
    if suspended:
        return Health("Suspended", fail_message)
    return Health("Healthy", message)


def _problems(job: Obj) -> list[tuple[str, str]]:
    """A failed Job needs a person: its Failed condition's reason and message."""
    return [(cond.get("reason") or "Failed", cond.get("message", ""))
            for cond in (job.get("status") or {}).get("conditions") or ()
            if cond.get("type") == "Failed" and cond.get("status") == "True"]


def _describe(job: Obj, ctx: DescribeContext) -> str:
    return describe_job(job, ctx.events(job), ctx.now())


JOB = REGISTRY.register(KindInfo(
    kind="Job", group="batch", version="v1", plural="jobs", namespaced=True,
    default=_default, validate=_validate, allocate=_allocate,
    columns=JOB_COLUMNS, row=job_row, wide_columns=JOB_WIDE_COLUMNS, wide_row=job_row_wide,
    describe=_describe, health=_health, problems=_problems,
    # Not adoptable: the CronJob controller manages only the Jobs whose controller reference names it
    # (cronjob_controllerv2.go getJobsToBeReconciled) and adopts none.
    owns_pods=True, adoptable=False,
))
