"""CronJob (batch/v1): defaults (`k/k pkg/apis/batch/v1/defaults.go` SetDefaults_CronJob), validation
(`pkg/apis/batch/validation/validation.go` ValidateCronJobCreate/Update, validateScheduleFormat, validateTimeZone,
ValidateJobTemplateSpec), kubectl's columns and describe, Argo CD's health check and what `k9py check` reports.

The controller lives in `engine/controllers/cronjob.py`; the schedule parser in `engine/cron.py`.
"""

from __future__ import annotations

import re
from typing import Any

from ..cron import CronError, load_location, parse_standard
from ..printers.cronjobs import CRONJOB_COLUMNS, CRONJOB_WIDE_COLUMNS, cronjob_row, cronjob_row_wide, describe_cronjob
from . import validation as v
from .job import validate_job_spec
from .podspec import default_pod_template
from .registry import REGISTRY, DescribeContext, FieldErrors, Health, KindInfo, Obj
from .validation import go_json

RESOURCE = "cronjobs.batch"
CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"]
# The controller names Jobs `<cronjob>-<minutes since the epoch>`: an 11-character suffix within a Job's 63.
MAX_NAME_LENGTH = 52
# https://data.iana.org/time-zones/theory.html#naming, as the API server checks a name before loading it.
_TIME_ZONE_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _default(cj: Obj) -> None:
    spec = cj.get("spec")
    if not isinstance(spec, dict):
        return
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    # Only the pod template is defaulted; the Job's own defaults (backoffLimit, completions, ...) are applied
    # when the controller creates each Job.
    template = spec.get("jobTemplate")
    job_spec = template.get("spec") if isinstance(template, dict) else None
    if isinstance(job_spec, dict):
        default_pod_template(job_spec.get("template"))


def _validate_schedule(schedule: Any, time_zone: Any, old_schedule: Any) -> FieldErrors:
    path = "spec.schedule"
    if not schedule:
        return [v.required(path)]
    if not isinstance(schedule, str):
        return [v.type_error(path, schedule, "string")]
    errors: FieldErrors = []
    try:
        parse_standard(schedule)
    except CronError as exc:
        errors.append(v.invalid(path, schedule, str(exc)))
    # A schedule that already carried TZ= may keep it (objects from before timeZone existed), never add one.
    allow_tz = isinstance(old_schedule, str) and "TZ" in old_schedule
    if allow_tz and "TZ" in schedule and time_zone is not None:
        errors.append(v.invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    elif not allow_tz and "TZ" in schedule:
        errors.append(v.invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    return errors


def _validate_time_zone(time_zone: Any) -> FieldErrors:
    path = "spec.timeZone"
    if time_zone is None:
        return []
    if not isinstance(time_zone, str):
        return [v.type_error(path, time_zone, "string")]
    if time_zone == "":
        return [v.invalid(path, time_zone, "timeZone must be nil or non-empty string")]
    for part in time_zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.fullmatch(part):
            return [v.invalid(path, time_zone, f"unknown time zone {time_zone}")]
    errors: FieldErrors = []
    if time_zone.lower() == "local":
        errors.append(v.invalid(path, time_zone,
                                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    if time_zone != "Local":  # Go's LoadLocation("Local") succeeds; any other spelling is looked up
        try:
            load_location(time_zone)
        except CronError as exc:
            errors.append(v.invalid(path, time_zone, str(exc)))
    return errors


def _validate_job_template(template: Any) -> FieldErrors:
    """ValidateJobTemplateSpec: validateJobSpec under spec.jobTemplate, and no selector of its own."""
    base = "spec.jobTemplate"
    if template is None:
        template = {}
    if not isinstance(template, dict):
        return [v.type_error(base, template, "object")]
    errors: FieldErrors = []
    meta = template.get("metadata") or {}
    if isinstance(meta, dict):
        errors.extend(v.labels(f"{base}.metadata.labels", meta.get("labels")))
        errors.extend(v.annotations(f"{base}.metadata.annotations", meta.get("annotations")))
    spec = template.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return [*errors, v.type_error(f"{base}.spec", spec, "object")]
    if spec.get("template") is None:
        # A Go struct, not a pointer: a missing template is an empty one, whose containers are then required.
        spec = {**spec, "template": {"spec": {}}}
    errors.extend((f"{base}.{path}", message) for path, message in validate_job_spec(spec))
    selector = spec.get("selector")
    if selector is not None:
        errors.append((f"{base}.spec.selector",
                       f"Invalid value: {go_json(selector)}: `selector` will be auto-generated"))
    if spec.get("manualSelector") is True:
        errors.append(v.unsupported(f"{base}.spec.manualSelector", True, ["nil", "false"]))
    return errors


def _validate(cj: Obj, old: Obj | None) -> FieldErrors:
    spec = cj.get("spec")
    if not isinstance(spec, dict):
        return [v.required("spec") if spec is None else v.type_error("spec", spec, "object")]
    old_spec = (old or {}).get("spec") or {}
    errors = _validate_schedule(spec.get("schedule"), spec.get("timeZone"),
                                old_spec.get("schedule") if old is not None else None)
    errors.extend(v.non_negative("spec.startingDeadlineSeconds", spec.get("startingDeadlineSeconds")))
    if old is None or old_spec.get("timeZone") != spec.get("timeZone"):
        errors.extend(_validate_time_zone(spec.get("timeZone")))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        errors.append(v.required("spec.concurrencyPolicy"))
    elif policy not in CONCURRENCY_POLICIES:
        errors.append(v.unsupported("spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES))
    errors.extend(_validate_job_template(spec.get("jobTemplate")))
    errors.extend(v.non_negative("spec.successfulJobsHistoryLimit", spec.get("successfulJobsHistoryLimit")))
    errors.extend(v.non_negative("spec.failedJobsHistoryLimit", spec.get("failedJobsHistoryLimit")))
    if old is None:
        # Only on create: older CronJobs with longer names may still be updated and deleted.
        name = (cj.get("metadata") or {}).get("name") or ""
        if len(name) > MAX_NAME_LENGTH:
            errors.append(v.invalid("metadata.name", name, f"must be no more than {MAX_NAME_LENGTH} characters"))
    return errors


def cronjob_health(cj: Obj) -> Health:
    """Argo CD's resource_customizations/batch/CronJob/health.lua (gitops-engine itself has no CronJob check)."""
    if (cj.get("spec") or {}).get("suspend") is True:
        return Health("Suspended", "CronJob is Suspended")
    status = cj.get("status")
    if status is None:
        status = {}  # the API server always serialises `status: {}`, which the Lua check sees as present
    last_schedule, last_success = status.get("lastScheduleTime"), status.get("lastSuccessfulTime")
    if last_schedule is None:
        return Health("Healthy", "CronJob has not been scheduled yet")
    if last_success is None:
        return Health("Healthy", "The Cronjob never completed succesfully. It may not be healthy")
    if status.get("active"):
        return Health("Healthy", "The job is running. Its last execution may not have been successful")
    # RFC 3339 UTC timestamps compare as strings, as the Lua check compares them.
    if str(last_success) < str(last_schedule):
        return Health("Degraded", "CronJob has not completed its last execution successfully")
    return Health("Healthy", "CronJob has completed its last execution successfully")


def _problems(cj: Obj) -> list[tuple[str, str]]:
    """What needs a person: nothing runs and the last scheduled Job did not succeed (it failed, or was deleted).
    Stricter than Argo CD's health, which stays Healthy for a CronJob that has never succeeded."""
    status = cj.get("status") or {}
    last_schedule, last_success = status.get("lastScheduleTime"), status.get("lastSuccessfulTime")
    if not last_schedule or status.get("active") or (last_success and str(last_success) >= str(last_schedule)):
        return []
    return [("LastJobFailed", f"the Job scheduled at {last_schedule} did not complete successfully")]


def _describe(cj: Obj, ctx: DescribeContext) -> str:
    return describe_cronjob(cj, ctx.events(cj), ctx.now())


CRONJOB = REGISTRY.register(KindInfo(
    kind="CronJob", group="batch", version="v1", plural="cronjobs", namespaced=True, short_names=("cj",),
    default=_default, validate=_validate,
    columns=CRONJOB_COLUMNS, row=cronjob_row, wide_columns=CRONJOB_WIDE_COLUMNS, wide_row=cronjob_row_wide,
    describe=_describe, health=cronjob_health, problems=_problems,
))
