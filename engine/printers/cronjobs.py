"""`kubectl get cronjobs` and `kubectl describe cronjob`.

Rows follow printCronJob in `k/k pkg/printers/internalversion/printers.go`; describe follows describeCronJob in
`staging/src/k8s.io/kubectl/pkg/describe/describe.go` (CronJobDescriber, describeJobTemplate, printActiveJobs).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.printers.describe import (
    _annotations_multiline,
    _describe_events,
    _describe_pod_template,
    _labels_multiline,
    _Writer,
    rfc1123z,
)
from engine.printers.duration import age
from engine.printers.tables import format_label_selector, selector_string

Obj = dict[str, Any]

CRONJOB_COLUMNS = ("NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE")
CRONJOB_WIDE_COLUMNS = (*CRONJOB_COLUMNS, "CONTAINERS", "IMAGES", "SELECTOR")
NONE = "<none>"
UNSET = "<unset>"


def _bool_ptr(value: Any) -> str:
    """printBoolPtr: `True`/`False`, `<unset>` for a nil pointer."""
    if value is None:
        return UNSET
    return "True" if value else "False"


def cronjob_row(cj: Obj, now: float) -> list[str]:
    meta, spec, status = cj.get("metadata") or {}, cj.get("spec") or {}, cj.get("status") or {}
    last = status.get("lastScheduleTime")
    time_zone = spec.get("timeZone")
    return [
        str(meta.get("name") or ""),
        str(spec.get("schedule") or ""),
        NONE if time_zone is None else str(time_zone),
        _bool_ptr(spec.get("suspend")),
        str(len(status.get("active") or ())),
        age(last, now) if last else NONE,
        age(meta.get("creationTimestamp"), now),
    ]


def _job_spec(cj: Obj) -> Obj:
    return ((cj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}


def cronjob_row_wide(cj: Obj, now: float) -> list[str]:
    job_spec = _job_spec(cj)
    containers = ((job_spec.get("template") or {}).get("spec") or {}).get("containers") or []
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return [*cronjob_row(cj, now), names, images, format_label_selector(job_spec.get("selector"))]


def _optional(value: Any) -> str:
    return UNSET if value is None else str(value)


def describe_cronjob(cj: Obj, events: Iterable[Obj] | None, now: float) -> str:
    meta, spec, status = cj.get("metadata") or {}, cj.get("spec") or {}, cj.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule') or ''}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy') or ''}\n")
    w.write(0, f"Suspend:\t{_bool_ptr(spec.get('suspend'))}\n")
    w.write(0, f"Successful Job History Limit:\t{_optional(spec.get('successfulJobsHistoryLimit'))}\n")
    w.write(0, f"Failed Job History Limit:\t{_optional(spec.get('failedJobsHistoryLimit'))}\n")
    w.write(0, f"Starting Deadline Seconds:\t{_starting_deadline(spec.get('startingDeadlineSeconds'))}\n")
    job_spec = _job_spec(cj)
    selector = job_spec.get("selector")
    w.write(0, f"Selector:\t{UNSET if selector is None else selector_string(selector)}\n")
    w.write(0, f"Parallelism:\t{_optional(job_spec.get('parallelism'))}\n")
    w.write(0, f"Completions:\t{_optional(job_spec.get('completions'))}\n")
    if job_spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{job_spec['activeDeadlineSeconds']}s\n")
    _describe_pod_template(w, job_spec.get("template"))
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else UNSET}\n")
    active = ", ".join(str(ref.get("name", "")) for ref in status.get("active") or ())
    w.write(0, f"Active Jobs:\t{active or NONE}\n")
    _describe_events(w, list(events) if events is not None else None, now)
    return w.text()


def _starting_deadline(value: Any) -> str:
    # kubectl prints the pointer's value as a duration in seconds: `Starting Deadline Seconds:  200s`.
    return UNSET if value is None else f"{value}s"
