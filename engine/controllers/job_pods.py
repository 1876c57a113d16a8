"""What the Job controller asks of its pods (`k/k pkg/controller/job/`): which are finished and how
(job_controller.go isPodFailed, getFinishedTime), pod failure policy rules (pod_failure_policy.go
matchPodFailurePolicy), completion indexes (indexed_job_utils.go) and the pod-failure back-off
(backoff_utils.go). Pure functions and small records; the controller (`job.py`) does the writing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ..timeutil import parse_time

Obj = dict[str, Any]

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count"
INDEX_ENV = "JOB_COMPLETION_INDEX"
# DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff: 10 s, doubling per failure, capped at 6 minutes.
POD_FAILURE_BACKOFF = 10.0
MAX_POD_FAILURE_BACKOFF = 360.0


def phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def only_replace_failed(job: Obj) -> bool:
    """onlyReplaceFailedPods: a replacement waits for the old pod to be fully Failed."""
    spec = job["spec"]
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_failed(pod: Obj, job: Obj) -> bool:
    """isPodFailed: Failed, or (unless only failed pods are replaced) being deleted before it succeeded, since
    such a pod may never get to report Failed."""
    if phase(pod) == "Failed":
        return True
    if only_replace_failed(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase(pod) != "Succeeded"


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp")) and phase(pod) not in ("Succeeded", "Failed")


def is_active(pod: Obj) -> bool:
    return phase(pod) not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def is_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def has_finalizer(pod: Obj) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def finished_time(pod: Obj, now: float) -> float:
    """getFinishedTime: the last container's finishedAt, else the deletion time, else now."""
    status = pod.get("status") or {}
    latest: float | None = None
    for cs in (*(status.get("initContainerStatuses") or ()), *(status.get("containerStatuses") or ())):
        stamp = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if stamp:
            t = parse_time(stamp)
            latest = t if latest is None else max(latest, t)
    if latest is not None:
        return latest
    deleted = pod["metadata"].get("deletionTimestamp")
    return parse_time(deleted) if deleted else now


def restarts(pod: Obj) -> int:
    status = pod.get("status") or {}
    return sum(cs.get("restartCount", 0) or 0
               for cs in (*(status.get("initContainerStatuses") or ()), *(status.get("containerStatuses") or ())))


def past_backoff_limit_on_failure(job: Obj, pods: Iterable[Obj]) -> bool:
    """pastBackoffLimitOnFailure: with restartPolicy OnFailure the kubelet restarts containers in place, so
    the restarts of running and pending pods count toward backoffLimit."""
    spec = job["spec"]
    if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    total = sum(restarts(p) for p in pods if phase(p) in ("Running", "Pending"))
    limit = spec.get("backoffLimit", 6)
    return total > 0 if limit == 0 else total >= limit


# --- pod failure policy -------------------------------------------------------------------------------------


@attrs.frozen
class PolicyMatch:
    action: str | None  # None: no rule matched (the failure counts)
    message: str = ""

    @property
    def counts(self) -> bool:
        return self.action != "Ignore"


def _exit_code_match(pod: Obj, requirement: Obj) -> Obj | None:
    """The first terminated container (init containers first) with a non-zero exit code the rule names."""
    status = pod.get("status") or {}
    wanted = requirement.get("containerName")
    values = set(requirement.get("values") or ())
    for statuses in (status.get("initContainerStatuses") or (), status.get("containerStatuses") or ()):
        for cs in statuses:
            term = (cs.get("state") or {}).get("terminated")
            if term is None or (wanted and cs.get("name") != wanted):
                continue
            code = term.get("exitCode", 0)
            if code != 0 and ((requirement.get("operator") == "In") == (code in values)):
                return {"name": cs.get("name"), "code": code}
    return None


def match_pod_failure_policy(job: Obj, pod: Obj) -> PolicyMatch:
    """matchPodFailurePolicy: the first rule whose exit codes or pod conditions match a Failed pod."""
    policy = job["spec"].get("podFailurePolicy")
    if not policy or phase(pod) != "Failed":
        return PolicyMatch(None)
    meta = pod["metadata"]
    where = f"{meta.get('namespace', '')}/{meta['name']}"
    conditions = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or ()}
    for index, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        codes = rule.get("onExitCodes")
        if codes is not None:
            found = _exit_code_match(pod, codes)
            if found is not None:
                return PolicyMatch(action, f"Container {found['name']} for pod {where} failed with exit code "
                                           f"{found['code']} matching {action} rule at index {index}")
            continue
        for requirement in rule.get("onPodConditions") or ():
            if conditions.get(requirement.get("type")) == requirement.get("status", "True"):
                return PolicyMatch(action, f"Pod {where} has condition {requirement.get('type')} matching "
                                           f"{action} rule at index {index}")
    return PolicyMatch(None)


# --- completion indexes -------------------------------------------------------------------------------------


def completion_index(pod: Obj) -> int | None:
    """getCompletionIndex: the annotation's index, None when missing or not a number."""
    value = (pod["metadata"].get("annotations") or {}).get(INDEX_ANNOTATION)
    if value is None or not str(value).isdigit():
        return None
    return int(value)


def parse_indexes(text: str | None, limit: int) -> set[int]:
    """parseIndexesFromString: "0-2,4" -> {0, 1, 2, 4}, keeping the indexes below `limit`."""
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            continue
        out.update(range(lo, min(hi, limit - 1) + 1))
    return out


def format_indexes(indexes: Iterable[int]) -> str:
    """orderedIntervals.String(): consecutive runs as "first-last", single ones bare, comma-separated."""
    ordered = sorted(set(indexes))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def index_failure_count(pod: Obj) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX_FAILURE_COUNT, "0")
    return int(value) if str(value).isdigit() else 0


# --- back-off -----------------------------------------------------------------------------------------------


@attrs.define
class BackoffRecord:
    """backoffRecord: failures since the last success and when the last one happened."""

    failures_after_last_success: int = 0
    last_failure_time: float | None = None

    def remaining(self, now: float) -> float:
        """getRemainingTime: 10 s doubling per failure since the last success, capped at 6 min, counted from
        the last failure."""
        if self.failures_after_last_success == 0 or self.last_failure_time is None:
            return 0.0
        delay = min(POD_FAILURE_BACKOFF * 2 ** (self.failures_after_last_success - 1), MAX_POD_FAILURE_BACKOFF)
        return max(0.0, self.last_failure_time + delay - now)

    def update(self, succeeded: list[Obj], failed: list[Obj], now: float) -> None:
        """newBackoffRecord: any new success resets the count to the failures that finished after the last
        success; with no success each new failure adds one."""
        fail_times = sorted(finished_time(p, now) for p in failed)
        if not succeeded:
            if fail_times:
                self.failures_after_last_success += len(fail_times)
                self.last_failure_time = fail_times[-1]
            return
        last_success = max(finished_time(p, now) for p in succeeded)
        later = [t for t in fail_times if t > last_success]
        self.failures_after_last_success = len(later)
        self.last_failure_time = later[-1] if later else None
