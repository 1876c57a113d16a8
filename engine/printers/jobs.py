"""`kubectl get jobs` and `kubectl describe job`.

Rows follow printJob in `k/k pkg/printers/internalversion/printers.go`; describe follows describeJob in
`staging/src/k8s.io/kubectl/pkg/describe/describe.go` (JobDescriber).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.printers.describe import (
    _annotations_multiline,
    _controlled_by,
    _describe_events,
    _describe_pod_template,
    _labels_multiline,
    _Writer,
    rfc1123z,
)
from engine.printers.duration import age, human_duration, timestamp
from engine.printers.tables import format_label_selector, selector_string

Obj = dict[str, Any]

JOB_COLUMNS = ("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE")
JOB_WIDE_COLUMNS = (*JOB_COLUMNS, "CONTAINERS", "IMAGES", "SELECTOR")
# describe's "Completed Indexes" is cut after this many characters, at the next comma (capIndexesListOrNone).
INDEXES_SOFT_LIMIT = 50


def _has_condition(job: Obj, ctype: str) -> bool:
    """hasJobCondition: a condition of that type whose status is True."""
    return any(c.get("type") == ctype and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or ())


def job_status_word(job: Obj) -> str:
    """printJob's STATUS column: the first that holds of Complete, Failed, being deleted, Suspended,
    FailureTarget, SuccessCriteriaMet; otherwise Running."""
    if _has_condition(job, "Complete"):
        return "Complete"
    if _has_condition(job, "Failed"):
        return "Failed"
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    for ctype in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _has_condition(job, ctype):
            return ctype
    return "Running"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def job_completions(job: Obj) -> str:
    """`2/3`; with no completions set, `1/1 of 3` when several pods run in parallel (any one success
    completes the Job), else `0/1`."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = _count(status.get("succeeded"))
    completions = spec.get("completions")
    if isinstance(completions, int) and not isinstance(completions, bool):
        return f"{succeeded}/{completions}"
    parallelism = _count(spec.get("parallelism"))
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def job_duration(job: Obj, now: float) -> str:
    """Empty before the Job starts; then time since start, frozen at completionTime."""
    status = job.get("status") or {}
    start = timestamp(status.get("startTime"))
    if start is None:
        return ""
    end = timestamp(status.get("completionTime"))
    return human_duration((now if end is None else end) - start)


def job_row(job: Obj, now: float) -> list[str]:
    meta = job.get("metadata") or {}
    return [str(meta.get("name") or ""), job_status_word(job), job_completions(job), job_duration(job, now),
            age(meta.get("creationTimestamp"), now)]


def job_row_wide(job: Obj, now: float) -> list[str]:
    spec = job.get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return [*job_row(job, now), names, images, format_label_selector(spec.get("selector"))]


def cap_indexes(indexes: str | None, soft_limit: int = INDEXES_SOFT_LIMIT) -> str:
    """capIndexesListOrNone: `<none>`, or the list cut at the first comma at or after the soft limit."""
    if not indexes:
        return "<none>"
    cut = indexes.find(",", soft_limit)
    return indexes if cut < 0 else indexes[:cut + 1] + "..."


def describe_job(job: Obj, events: Iterable[Obj] | None, now: float) -> str:
    meta, spec, status = job.get("metadata") or {}, job.get("spec") or {}, job.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    # LabelSelectorAsSelector's String(): empty for a selector that selects everything.
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if _controlled_by(job):
        w.write(0, f"Controlled By:\t{_controlled_by(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    completions = spec.get("completions")
    w.write(0, f"Completions:\t{'<unset>' if completions is None else completions}\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{'true' if spec['suspend'] else 'false'}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    start, end = status.get("startTime"), status.get("completionTime")
    if start:
        w.write(0, f"Start Time:\t{rfc1123z(start)}\n")
    if end:
        w.write(0, f"Completed At:\t{rfc1123z(end)}\n")
    start_t, end_t = timestamp(start), timestamp(end)
    if start_t is not None and end_t is not None:
        w.write(0, f"Duration:\t{human_duration(end_t - start_t)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    active, succeeded, failed = (_count(status.get(k)) for k in ("active", "succeeded", "failed"))
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{active} Active ({_count(status['ready'])} Ready) / {succeeded} Succeeded / "
                   f"{failed} Failed\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{cap_indexes(status.get('completedIndexes'))}\n")
        if spec.get("backoffLimitPerIndex") is not None:
            w.write(0, f"Failed Indexes:\t{cap_indexes(status.get('failedIndexes'))}\n")
    _describe_pod_template(w, spec.get("template"))
    _describe_events(w, list(events) if events is not None else None, now)
    return w.text()
