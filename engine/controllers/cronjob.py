"""CronJob controller (`k/k pkg/controller/cronjob/cronjob_controllerv2.go`, `utils.go`).

A sync reads the CronJob and the Jobs it controls, removes finished Jobs beyond the history limits, updates
`status.active`, and, when a scheduled time has come and gone, creates `<cronjob>-<minutes since the epoch>`, then
asks to be woken 100 ms after the next scheduled time (nextScheduleTimeDuration), on the engine's clock. Every
event names the CronJob and is worded as upstream's recorder calls word it.

The store is the informer cache and is written synchronously, so upstream's extra GETs against a possibly stale
lister (GetCronJob before UnexpectedJob, GetJob before MissingJob) read the same store here.
"""

from __future__ import annotations

import enum
import math
from typing import Any

from .. import podutil
from ..cron import CronError, Schedule, format_rfc3339, load_location, parse_standard, with_time_zone
from ..errors import ApiError
from ..printers.describe import rfc1123z
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time, parse_time

Obj = dict[str, Any]

CRONJOB_CONTROLLER = "cronjob-controller"
CRONJOBS = "cronjobs.batch"
JOBS = "jobs.batch"
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NEXT_SCHEDULE_DELTA = 0.1  # nextScheduleDelta: wake 100 ms after the scheduled time, past any clock skew
MANY_MISSED = 100  # more missed start times than this: TooManyMissedTimes


class Missed(enum.Enum):
    NONE = "none"
    FEW = "few"
    MANY = "many"


def _time(value: Any) -> float | None:
    return parse_time(value) if isinstance(value, str) and value else None


def job_name(cronjob_name: str, scheduled: float) -> str:
    """getJobName: the scheduled time in minutes since the epoch makes the name, so a start is created once."""
    return f"{cronjob_name}-{int(scheduled) // 60}"


def finished_condition(job: Obj) -> str | None:
    """`Complete` or `Failed` when the Job has finished (IsJobFinished), else None."""
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


def most_recent_schedule_time(cj: Obj, now: float, schedule: Schedule, include_deadline: bool,
                              ) -> tuple[float, float | None, Missed, str | None]:
    """mostRecentScheduleTime: (earliest time considered, the latest start time <= now or None, how many were
    missed, error). Start times are counted from lastScheduleTime (or creation) by the interval between the next
    two, as upstream approximates, so a CronJob stopped for a year costs no more than one stopped for a minute."""
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    earliest = _time(status.get("lastScheduleTime"))
    if earliest is None:
        earliest = _time(cj["metadata"].get("creationTimestamp")) or 0.0
    deadline = spec.get("startingDeadlineSeconds")
    if include_deadline and isinstance(deadline, int):
        earliest = max(earliest, now - deadline)
    t1 = schedule.next(earliest)
    if t1 is not None and now < t1:
        return earliest, None, Missed.NONE, None
    t2 = schedule.next(t1) if t1 is not None else None
    if t1 is not None and t2 is not None and now < t2:
        return earliest, t1, Missed.NONE, None
    # A schedule that never fires again (`0 0 31 2 *`) has Go's zero time for both: no interval at all.
    between = round(t2 - t1) if t1 is not None and t2 is not None else 0
    if between < 1:
        return earliest, None, Missed.NONE, "time difference between two schedules is less than 1 second"
    assert t1 is not None
    missed_count = int(now - t1) // between + 1
    most_recent: float | None = None
    t: float | None = schedule.next(t1 + (missed_count - 2) * between)
    while t is not None and t <= now:
        most_recent = t
        t = schedule.next(t)
    missed = Missed.MANY if missed_count > MANY_MISSED else Missed.FEW
    return earliest, most_recent, missed, None


def next_schedule_delay(cj: Obj, now: float, schedule: Schedule) -> float:
    """nextScheduleTimeDuration: seconds until 100 ms past the next start time."""
    earliest, most_recent, missed, error = most_recent_schedule_time(cj, now, schedule, False)
    if error is not None:
        base = now
    elif most_recent is None:
        base = earliest if missed is Missed.NONE else now
    else:
        base = most_recent
    following = schedule.next(base)
    if following is None:
        return math.inf  # Go's zero time lies in the past: upstream would requeue at once, forever; we wait
    return following + NEXT_SCHEDULE_DELTA - now


def _by_start_time(job: Obj) -> tuple[int, float, str]:
    """byJobStartTime: started Jobs oldest first, Jobs not started yet last, names breaking ties."""
    start = _time((job.get("status") or {}).get("startTime"))
    return (1, 0.0, job["metadata"]["name"]) if start is None else (0, start, job["metadata"]["name"])


def _job_reference(job: Obj) -> Obj:
    meta = job["metadata"]
    return {"apiVersion": job.get("apiVersion", "batch/v1"), "kind": job.get("kind", "Job"), "name": meta["name"],
            "namespace": meta.get("namespace", ""), "resourceVersion": meta.get("resourceVersion", ""),
            "uid": meta.get("uid", "")}


def job_from_template(cj: Obj, scheduled: float | None, name: str) -> Obj:
    """getJobFromTemplate2: the template's labels, annotations and spec, owned by the CronJob. A scheduled Job
    carries its scheduled time in the CronJob's time zone; a manual one (`kubectl create job --from`) does not."""
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    annotations = dict(template_meta.get("annotations") or {})
    if scheduled is not None:
        try:
            loc = load_location((cj.get("spec") or {}).get("timeZone") or "")
        except CronError:
            loc = None
        annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = format_rfc3339(scheduled, loc)
    meta: Obj = {"name": name, "namespace": cj["metadata"].get("namespace", ""),
                 "ownerReferences": [podutil.owner_reference(cj)]}
    labels = template_meta.get("labels")
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": deep_copy(template.get("spec") or {})}


MANUAL_ANNOTATION = "cronjob.kubernetes.io/instantiate"


def manual_job(cj: Obj, name: str) -> Obj:
    """`kubectl create job NAME --from=cronjob/CJ` (and k9s's trigger): the CronJob's template, marked as started
    by hand, owned by the CronJob so its history limits and `kubectl get jobs` show it with the others."""
    job = job_from_template(cj, None, name)
    job["metadata"].setdefault("annotations", {})[MANUAL_ANNOTATION] = "manual"
    return job


@register_controller
class CronJobController(Controller):
    name = CRONJOB_CONTROLLER
    resources = (CRONJOBS, JOBS)

    def start(self) -> None:
        for cj in self.store.iter(CRONJOBS):
            self.queue.add(podutil.key_of(cj))

    def keys_for(self, event: WatchEvent) -> list[str]:
        obj = event.object
        namespace = obj["metadata"].get("namespace", "")
        if event.resource == CRONJOBS:
            return self._cronjob_keys(event)
        keys = []
        for version in (obj, event.old):
            ref = podutil.controller_ref(version) if version else None
            if ref and ref.get("kind") == "CronJob":
                keys.append(f"{namespace}/{ref['name']}")
        return list(dict.fromkeys(keys))

    def _cronjob_keys(self, event: WatchEvent) -> list[str]:
        """updateCronJob: a new schedule or time zone waits for its next start time; any other change syncs now."""
        key = podutil.key_of(event.object)
        old, new = event.old, event.object
        if event.type != "MODIFIED" or old is None:
            return [key]
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if (old_spec.get("schedule"), old_spec.get("timeZone")) == (new_spec.get("schedule"), new_spec.get("timeZone")):
            return [key]
        try:
            schedule = parse_standard(with_time_zone(str(new_spec.get("schedule") or ""), new_spec.get("timeZone")))
        except CronError:
            self.recorder.record(new, "Warning", "UnParseableCronJobSchedule",
                                 f"unparseable schedule for cronjob: {new_spec.get('schedule')}", self.name)
            return []
        self.queue.add_after(key, next_schedule_delay(new, self.clock.now(), schedule))
        return []

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get(CRONJOBS, namespace, name)

    # --- sync ----------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        cj = self.object_for_key(key)
        if cj is None:
            return None
        uid = cj["metadata"].get("uid", "")
        name = cj["metadata"]["name"]
        # getJobsToBeReconciled: the Jobs whose controller reference names this CronJob.
        jobs = [job for job in self.store.dependents(uid, JOBS)
                if (podutil.controller_ref(job) or {}).get("name") == name]
        work = {**cj, "status": deep_copy(cj.get("status") or {})}
        changed = self._cleanup_finished_jobs(work, jobs)
        requeue, synced = self._sync(work, jobs)
        if changed or synced:
            self.api.update_status(work)
        if requeue is None or math.isinf(requeue):
            return None
        return max(requeue, 0.0)

    def _event(self, cj: Obj, kind: str, reason: str, message: str) -> None:
        self.recorder.record(cj, kind, reason, message, self.name)

    def _sync(self, cj: Obj, jobs: list[Obj]) -> tuple[float | None, bool]:
        """syncCronJob: (seconds until the next sync or None, whether the status changed)."""
        now = self.clock.now()
        status = cj["status"]
        spec = cj.get("spec") or {}
        changed = False
        active_uids = {ref.get("uid") for ref in status.get("active") or ()}
        children = set()
        for job in jobs:
            juid = job["metadata"].get("uid")
            children.add(juid)
            finished = finished_condition(job)
            if juid not in active_uids and finished is None:
                self._event(cj, "Warning", "UnexpectedJob",
                            f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}")
            elif finished is not None:
                if juid in active_uids:
                    self._remove_active(cj, juid)
                    active_uids.discard(juid)
                    self._event(cj, "Normal", "SawCompletedJob",
                                f"Saw completed job: {job['metadata']['name']}, condition: {finished}")
                    changed = True
                if finished == "Complete":
                    done = (job.get("status") or {}).get("completionTime")
                    last = status.get("lastSuccessfulTime")
                    if done and (last is None or (_time(done) or 0.0) > (_time(last) or 0.0)):
                        status["lastSuccessfulTime"] = done
                        changed = True
        for ref in list(status.get("active") or ()):
            if ref.get("uid") in children:
                continue
            if self.store.get(JOBS, ref.get("namespace", ""), ref.get("name", "")) is None:
                self._event(cj, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}")
                self._remove_active(cj, ref.get("uid"))
                changed = True

        if cj["metadata"].get("deletionTimestamp"):
            return None, changed
        time_zone = spec.get("timeZone")
        if time_zone is not None:
            try:
                load_location(time_zone)
            except CronError as exc:
                self._event(cj, "Warning", "UnknownTimeZone", f'invalid timeZone: "{time_zone}": {exc}')
                return None, changed
        if spec.get("suspend"):
            return None, changed
        schedule_text = str(spec.get("schedule") or "")
        if "TZ" in schedule_text:
            self._event(cj, "Warning", "UnsupportedSchedule",
                        f'CRON_TZ or TZ used in schedule "{schedule_text}" is not officially supported, see '
                        "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details")
        try:
            schedule = parse_standard(with_time_zone(schedule_text, time_zone))
        except CronError as exc:
            self._event(cj, "Warning", "UnparseableSchedule", f'unparseable schedule: "{schedule_text}" : {exc}')
            return None, changed

        _, scheduled, missed, error = most_recent_schedule_time(cj, now, schedule, True)
        if scheduled is not None and missed is Missed.MANY:
            self._event(cj, "Warning", "TooManyMissedTimes",
                        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock "
                        "skew")
        if scheduled is None:
            if error is not None:
                self._event(cj, "Warning", "InvalidSchedule", f"invalid schedule: {schedule_text} : {error}")
                return None, changed
            return next_schedule_delay(cj, now, schedule), changed

        deadline = spec.get("startingDeadlineSeconds")
        if isinstance(deadline, int) and scheduled + deadline < now:
            self._event(cj, "Warning", "MissSchedule",
                        f"Missed scheduled time to start a job: {rfc1123z(format_time(scheduled))}")
            return next_schedule_delay(cj, now, schedule), changed
        name = job_name(cj["metadata"]["name"], scheduled)
        already = any(ref.get("name") == name for ref in status.get("active") or ())
        if already or _time(status.get("lastScheduleTime")) == scheduled:
            return next_schedule_delay(cj, now, schedule), changed
        policy = spec.get("concurrencyPolicy")
        if policy == "Forbid" and status.get("active"):
            self._event(cj, "Normal", "JobAlreadyActive",
                        "Not starting job because prior execution is running and concurrency policy is Forbid")
            return next_schedule_delay(cj, now, schedule), changed
        if policy == "Replace":
            for ref in list(status.get("active") or ()):
                job = self.store.get(JOBS, ref.get("namespace", ""), ref.get("name", ""))
                if job is None:
                    self._event(cj, "Warning", "FailedGet",
                                f'Get job: jobs.batch "{ref.get("name")}" not found')
                    raise ApiError(404, "NotFound", f'jobs.batch "{ref.get("name")}" not found')
                if not self._delete_job(cj, job):
                    raise ApiError(500, "InternalError",
                                   f"could not replace job {ref.get('namespace')}/{ref.get('name')}")
                changed = True

        request = job_from_template(cj, scheduled, name)
        try:
            created = self.api.create(request)
        except ApiError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                existing = self.store.get(JOBS, request["metadata"]["namespace"], name)
                ref = podutil.controller_ref(existing) if existing else None
                if existing is None or (ref or {}).get("uid") != cj["metadata"].get("uid"):
                    return None, changed  # another actor's Job: it is theirs to account for
                if existing["metadata"].get("uid") in active_uids:
                    return None, changed
                created = existing
            else:
                if not _namespace_terminating(exc):
                    self._event(cj, "Warning", "FailedCreate", f"Error creating job: {exc.message}")
                raise
        else:
            self._event(cj, "Normal", "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        status.setdefault("active", []).append(_job_reference(created))
        status["lastScheduleTime"] = format_time(scheduled)
        return next_schedule_delay(cj, now, schedule), True

    def _remove_active(self, cj: Obj, uid: Any) -> None:
        cj["status"]["active"] = [ref for ref in cj["status"].get("active") or () if ref.get("uid") != uid]
        if not cj["status"]["active"]:
            del cj["status"]["active"]  # an empty list is omitted, as the API serialises it

    def _delete_job(self, cj: Obj, job: Obj) -> bool:
        """deleteJob: delete the Job (its pods follow in the background) and forget it as active."""
        meta = job["metadata"]
        try:
            self.api.delete(JOBS, meta["name"], meta.get("namespace"), propagation="Background")
        except ApiError as exc:
            if exc.code != 404:
                self._event(cj, "Warning", "FailedDelete", f"Deleted job: {exc.message}")
                return False
        self._remove_active(cj, meta.get("uid"))
        self._event(cj, "Normal", "SuccessfulDelete", f"Deleted job {meta['name']}")
        return True

    def _cleanup_finished_jobs(self, cj: Obj, jobs: list[Obj]) -> bool:
        """cleanupFinishedJobs: keep the newest successfulJobsHistoryLimit Complete and failedJobsHistoryLimit
        Failed Jobs, deleting the oldest by start time."""
        spec = cj.get("spec") or {}
        changed = False
        limits = (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit"))
        for condition, limit_field in limits:
            limit = spec.get(limit_field)
            if not isinstance(limit, int):
                continue
            finished = sorted((job for job in jobs if finished_condition(job) == condition), key=_by_start_time)
            for job in finished[:max(0, len(finished) - limit)]:
                if self._delete_job(cj, job):
                    changed = True
        return changed


def _namespace_terminating(exc: ApiError) -> bool:
    causes = (exc.status.get("details") or {}).get("causes") or ()
    return any(cause.get("reason") == "NamespaceTerminating" for cause in causes)
