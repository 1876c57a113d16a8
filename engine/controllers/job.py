"""Job controller (`k/k pkg/controller/job/job_controller.go`).

A sync (syncJob) claims the Job's pods, counts the ones that finished since the last sync, decides whether
the Job has met its success criteria or must fail (pod failure policy, backoffLimit, activeDeadlineSeconds,
failed indexes), then either removes the remaining active pods or creates the missing ones (manageJob, after
the pod-failure back-off), and writes the status.

Pods are tracked with the `batch.kubernetes.io/job-tracking` finalizer, as upstream: a finished pod is first
listed in status.uncountedTerminatedPods, its finalizer removed, then it moves into succeeded/failed. The
store is this controller's cache and is updated synchronously, so the three steps happen in one sync.
Since v1.31 a Job's terminal condition waits for its pods to stop: FailureTarget (or SuccessCriteriaMet) is
added first, Failed (or Complete) once no pod is terminating.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..kinds.job import RESOURCE
from ..runtime import Controller, register_controller
from ..selectors import selector_from_dict
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time, parse_time
from . import job_pods as jp
from .claim import set_controller
from .replicaset import SLOW_START_INITIAL_BATCH, slow_start_batch

Obj = dict[str, Any]
JOB_CONTROLLER = "job-controller"
MAX_POD_CREATE_DELETE_PER_SYNC = 500  # MaxPodCreateDeletePerSync
ORPHAN_PREFIX = "pod|"  # keys of pods whose finalizer must go because their Job is gone

COMPLETE_MESSAGE = ("CompletionsReached", "Reached expected number of succeeded pods")
BACKOFF_LIMIT = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE = ("DeadlineExceeded", "Job was active longer than specified deadline")
FAILED_INDEXES = ("FailedIndexes", "Job has failed indexes")
MAX_FAILED_INDEXES = ("MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes")


def _condition(job: Obj, ctype: str) -> Obj | None:
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond.get("type") == ctype and cond.get("status") == "True":
            return cond
    return None


def is_finished(job: Obj) -> bool:
    return _condition(job, "Complete") is not None or _condition(job, "Failed") is not None


def _new_condition(ctype: str, status: str, reason: str, message: str, now: float) -> Obj:
    stamp = format_time(now)
    return {"type": ctype, "status": status, "reason": reason, "message": message,
            "lastProbeTime": stamp, "lastTransitionTime": stamp}


def _ensure_condition(conditions: list[Obj], ctype: str, status: str, reason: str, message: str,
                      now: float) -> bool:
    """ensureJobConditionStatus: add or update a condition; a False one is never added where none exists."""
    for i, cond in enumerate(conditions):
        if cond.get("type") == ctype:
            if cond.get("status") == status and cond.get("reason") == reason and cond.get("message") == message:
                return False
            conditions[i] = _new_condition(ctype, status, reason, message, now)
            return True
    if status == "True":
        conditions.append(_new_condition(ctype, status, reason, message, now))
        return True
    return False


@register_controller
class JobController(Controller):
    name = JOB_CONTROLLER
    resources = (RESOURCE, "pods")
    owner_kinds = {"pods": "Job"}

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._backoff: dict[str, jp.BackoffRecord] = {}  # podBackoffStore, by job key
        self._specs: dict[str, tuple[Obj, Obj]] = {}  # job uid -> (template, pod spec shared by its pods)

    def start(self) -> None:
        for job in self.store.iter(RESOURCE):
            self.queue.add(podutil.key_of(job))

    # --- events -------------------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        if event.resource == RESOURCE:
            if event.type == "DELETED":
                self._backoff.pop(podutil.key_of(obj), None)
                self._specs.pop(meta.get("uid", ""), None)
            return (podutil.key_of(obj),)
        keys = set()
        for version in (obj, event.old):
            ref = podutil.controller_ref(version) if version else None
            if ref and ref.get("kind") == "Job":
                keys.add(f"{namespace}/{ref['name']}")
        if event.type != "DELETED" and jp.has_finalizer(obj):
            ref = podutil.controller_ref(obj)
            job = self.store.get(RESOURCE, namespace, ref["name"]) if ref else None
            if job is None or job["metadata"].get("uid") != ref.get("uid"):  # type: ignore[union-attr]
                keys.add(f"{ORPHAN_PREFIX}{namespace}/{meta['name']}")
        if podutil.controller_ref(obj) is None and event.type != "DELETED" and not meta.get("deletionTimestamp") and (
                event.type == "ADDED" or meta.get("labels") != ((event.old or {}).get("metadata") or {}).get("labels")):
            # An orphan that appeared or was relabelled may be adopted by a Job whose selector it matches.
            labels = meta.get("labels") or {}
            keys.update(podutil.key_of(job) for job in self.store.iter(RESOURCE, namespace)
                        if selector_from_dict(job["spec"].get("selector")).matches(labels))
        return keys

    def object_for_key(self, key: str) -> Obj | None:
        if key.startswith(ORPHAN_PREFIX):
            return None
        namespace, name = podutil.split_key(key)
        return self.store.get(RESOURCE, namespace, name)

    # --- sync ---------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        if key.startswith(ORPHAN_PREFIX):
            namespace, name = podutil.split_key(key[len(ORPHAN_PREFIX):])
            pod = self.store.get("pods", namespace, name)
            if pod is not None:
                self._remove_finalizer(pod)
            return None
        namespace, name = podutil.split_key(key)
        job = self.store.get(RESOURCE, namespace, name)
        if job is None:
            return None
        pods = self._claim_pods(job)
        if is_finished(job):
            for pod in pods:  # a finished Job keeps no pod from going away
                self._remove_finalizer(pod)
            return None
        return _Sync(self, key, job, pods).run()

    def _claim_pods(self, job: Obj) -> list[Obj]:
        """ClaimPods: the pods this Job controls that still match, adopting matching orphans (not while the
        Job is being deleted) and releasing controlled pods that no longer match."""
        meta = job["metadata"]
        uid, namespace = meta["uid"], meta.get("namespace", "")
        selector = selector_from_dict(job["spec"].get("selector"))
        deleting = bool(meta.get("deletionTimestamp"))
        pods = []
        for pod in self.store.dependents(uid, "pods"):
            ref = podutil.controller_ref(pod)
            if ref is None or ref.get("uid") != uid:
                continue
            if selector.matches(pod["metadata"].get("labels")) or deleting:
                pods.append(pod)
            else:
                set_controller(self.api, pod, uid, None)
        if not deleting:
            for pod in self.store.uncontrolled("pods", namespace):
                pmeta = pod["metadata"]
                if not pmeta.get("deletionTimestamp") and selector.matches(pmeta.get("labels")):
                    adopted = set_controller(self.api, pod, uid, job)
                    if adopted is not None:
                        pods.append(adopted)
        return pods

    def _remove_finalizer(self, pod: Obj) -> None:
        if not jp.has_finalizer(pod):
            return
        new = deep_copy(pod)
        finalizers = [f for f in new["metadata"].get("finalizers") or () if f != jp.TRACKING_FINALIZER]
        if finalizers:
            new["metadata"]["finalizers"] = finalizers
        else:
            new["metadata"].pop("finalizers", None)
        try:
            self.api.update(new, trusted=True)
        except ApiError:
            pass  # gone already, or changed under us: the pod's next event brings it back

    # --- pods ---------------------------------------------------------------------------------------------

    def pod_for(self, job: Obj, index: int | None, failure_count: int) -> Obj:
        template = job["spec"]["template"]
        tmeta = template.get("metadata") or {}
        jmeta = job["metadata"]
        name = jmeta["name"]
        labels = dict(tmeta.get("labels") or {})
        annotations = dict(tmeta.get("annotations") or {})
        spec = self._shared_spec(job, template)
        generate = f"{name}-"
        if index is not None:
            # Indexed pods: the index as annotation and label, a stable hostname, JOB_COMPLETION_INDEX.
            generate = f"{name}-{index}-"
            annotations[jp.INDEX_ANNOTATION] = str(index)
            labels[jp.INDEX_LABEL] = str(index)
            if job["spec"].get("backoffLimitPerIndex") is not None:
                annotations[jp.INDEX_FAILURE_COUNT] = str(failure_count)
            spec = _indexed_spec(spec, f"{name}-{index}")
        meta: Obj = {"generateName": generate, "namespace": jmeta.get("namespace", "default"), "labels": labels,
                     "ownerReferences": [podutil.owner_reference(job)],
                     "finalizers": [*(tmeta.get("finalizers") or ()), jp.TRACKING_FINALIZER]}
        if annotations:
            meta["annotations"] = annotations
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}

    def _shared_spec(self, job: Obj, template: Obj) -> Obj:
        """One copy of the template's spec for all the pods of a Job (stored objects are never changed in
        place, so sibling pods can share it)."""
        uid = job["metadata"]["uid"]
        cached = self._specs.get(uid)
        if cached is not None and cached[0] is template:
            return cached[1]
        spec = deep_copy(template.get("spec"))
        self._specs[uid] = (template, spec)
        return spec


def _indexed_spec(spec: Obj, hostname: str) -> Obj:
    """addCompletionIndexEnvVariables, and the hostname `<job>-<index>` unless the template sets one."""
    spec = deep_copy(spec)
    if not spec.get("hostname"):
        spec["hostname"] = hostname
    env_var = {"name": jp.INDEX_ENV, "valueFrom": {"fieldRef": {
        "apiVersion": "v1", "fieldPath": f"metadata.annotations['{jp.INDEX_ANNOTATION}']"}}}
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or ():
            env = container.setdefault("env", [])
            if not any(e.get("name") == jp.INDEX_ENV for e in env):
                env.append(dict(env_var))
    return spec


class _Sync:
    """One syncJob: the counts it works from, the decisions it makes, the writes that follow."""

    def __init__(self, ctl: JobController, key: str, job: Obj, pods: list[Obj]) -> None:
        self.ctl, self.key, self.job, self.pods = ctl, key, job, pods
        self.api, self.recorder = ctl.api, ctl.recorder
        self.now = ctl.clock.now()
        self.spec: Obj = job["spec"]
        self.status: Obj = deep_copy(job.get("status") or {})
        self.conditions: list[Obj] = list(self.status.get("conditions") or ())
        self.indexed = self.spec.get("completionMode") == "Indexed"
        self.completions: int | None = self.spec.get("completions")
        self.requeue: float | None = None

    # --- counting -----------------------------------------------------------------------------------------

    def _count_finished(self) -> None:
        """getNewFinishedPods + the pod failure policy: which tracked pods finished since they were counted."""
        limit = self.completions or 0
        self.succeeded_indexes = jp.parse_indexes(self.status.get("completedIndexes"), limit) if self.indexed \
            else set()
        self.failed_indexes = jp.parse_indexes(self.status.get("failedIndexes"), limit) if self.indexed else set()
        self.new_succeeded: list[Obj] = []
        self.new_failed: list[Obj] = []  # failures that count (toward backoffLimit and the back-off)
        self.finished: list[Obj] = []  # every newly finished pod: its finalizer goes
        self.fail_job: str | None = None
        per_index = self.spec.get("backoffLimitPerIndex")
        for pod in self.pods:
            if not jp.has_finalizer(pod):
                continue
            index = jp.completion_index(pod)
            in_range = not self.indexed or (index is not None and index < limit)
            if jp.phase(pod) == "Succeeded":
                self.finished.append(pod)
                if not in_range:
                    continue
                if self.indexed:
                    if index in self.succeeded_indexes:
                        continue
                    self.succeeded_indexes.add(index)  # type: ignore[arg-type]
                self.new_succeeded.append(pod)
            elif jp.is_failed(pod, self.job):
                self.finished.append(pod)
                if not in_range:
                    continue
                match = jp.match_pod_failure_policy(self.job, pod)
                if match.action == "FailJob" and self.fail_job is None:
                    self.fail_job = match.message
                if not match.counts:
                    continue
                self.new_failed.append(pod)
                if per_index is not None and index is not None and (
                        match.action == "FailIndex" or jp.index_failure_count(pod) + 1 > per_index):
                    self.failed_indexes.add(index)
        self.succeeded = (len(self.succeeded_indexes) if self.indexed
                          else self.status.get("succeeded", 0) + len(self.new_succeeded))
        self.failed = self.status.get("failed", 0) + len(self.new_failed)
        self.active_pods = [p for p in self.pods if jp.is_active(p)]
        self.terminating = sum(1 for p in self.pods if jp.is_terminating(p))

    # --- decisions ----------------------------------------------------------------------------------------

    def _finished_condition(self) -> tuple[str, str, str] | None:
        """(type, reason, message) of the condition that ends the Job, or None: FailureTarget and
        SuccessCriteriaMet carry the reason until the pods are gone and Failed/Complete can follow."""
        target = next((c for c in self.conditions if c.get("type") == "FailureTarget" and c.get("status") == "True"),
                      None)
        if target is not None:
            return "FailureTarget", target.get("reason", ""), target.get("message", "")
        met = next((c for c in self.conditions
                    if c.get("type") == "SuccessCriteriaMet" and c.get("status") == "True"), None)
        if met is not None:
            return "SuccessCriteriaMet", met.get("reason", ""), met.get("message", "")
        if self.fail_job is not None:
            return "FailureTarget", "PodFailurePolicy", self.fail_job
        if self.failed > self.spec.get("backoffLimit", 6) or jp.past_backoff_limit_on_failure(self.job, self.pods):
            return ("FailureTarget", *BACKOFF_LIMIT)
        if self._past_deadline():
            return ("FailureTarget", *DEADLINE)
        if self.indexed and self.spec.get("backoffLimitPerIndex") is not None:
            max_failed = self.spec.get("maxFailedIndexes")
            if max_failed is not None and len(self.failed_indexes) > max_failed:
                return ("FailureTarget", *MAX_FAILED_INDEXES)
            if self.failed_indexes and len(self.failed_indexes | self.succeeded_indexes) >= (self.completions or 0) \
                    and not self.active_pods:
                return ("FailureTarget", *FAILED_INDEXES)
        active = len(self.active_pods)
        if self.completions is None:
            complete = self.succeeded > 0 and active == 0
        else:
            complete = self.succeeded >= self.completions and active == 0
        if complete:
            return ("SuccessCriteriaMet", *COMPLETE_MESSAGE)
        return None

    def _past_deadline(self) -> bool:
        deadline, start = self.spec.get("activeDeadlineSeconds"), self.status.get("startTime")
        if deadline is None or start is None or self.spec.get("suspend"):
            return False
        remaining = parse_time(start) + deadline - self.now
        if remaining > 0:
            self._requeue_after(remaining)
            return False
        return True

    def _requeue_after(self, delay: float) -> None:
        self.requeue = delay if self.requeue is None else min(self.requeue, delay)

    # --- the sync -----------------------------------------------------------------------------------------

    def run(self) -> float | None:
        if self.status.get("startTime") is None and not self.spec.get("suspend"):
            self.status["startTime"] = format_time(self.now)
        self._count_finished()
        backoff = self.ctl._backoff.setdefault(self.key, jp.BackoffRecord())
        backoff.update(self.new_succeeded, self.new_failed, self.now)
        finished = self._finished_condition()
        if self.job["metadata"].get("deletionTimestamp"):
            pass  # a Job being deleted creates nothing; the garbage collector removes its pods
        elif finished is not None:
            self._delete(self.active_pods)  # the Job is done: what still runs is no longer needed
        elif self.spec.get("suspend"):
            self._delete(self.active_pods, uncounted=True)
        else:
            self._manage(backoff)
        active = [p for p in self.pods if jp.is_active(p)]
        self.terminating = sum(1 for p in self.pods if jp.is_terminating(p))
        events = self._suspend_condition(finished is not None)
        self._track_and_write(finished, active, events)
        return self.requeue

    def _delete(self, pods: list[Obj], *, uncounted: bool = False) -> None:
        """deleteActivePods: the pods keep their finalizer, so each is counted as failed once it stops (a Job
        that is finishing). `uncounted` is deleteJobPods: the finalizer goes first and the pod is never
        counted (suspension, a smaller parallelism, surplus indexed pods)."""
        for pod in pods[:MAX_POD_CREATE_DELETE_PER_SYNC]:
            name = pod["metadata"]["name"]
            if uncounted:
                self.ctl._remove_finalizer(pod)
            try:
                after = self.api.delete("pods", name, pod["metadata"].get("namespace"))
            except ApiError as exc:
                if exc.code != 404:
                    self.recorder.record(self.job, "Warning", "FailedDelete", f"Error deleting: {exc.message}",
                                         JOB_CONTROLLER)
                continue
            self.recorder.record(self.job, "Normal", "SuccessfulDelete", f"Deleted pod: {name}", JOB_CONTROLLER)
            self._replace_pod(pod, after)

    def _replace_pod(self, old: Obj, new: Obj | None) -> None:
        """Keep this sync's view of its pods current after a write."""
        self.pods = [p for p in self.pods if p is not old] + ([new] if new is not None else [])

    def _manage(self, backoff: jp.BackoffRecord) -> None:
        """manageJob: as many active pods as parallelism allows and completions still need."""
        parallelism = self.spec.get("parallelism", 1)
        active = self.active_pods
        if self.indexed:
            extra = _indexed_extras(active, self.completions or 0, self.succeeded_indexes | self.failed_indexes)
            if extra:
                self._delete(extra, uncounted=True)
                return
        if self.completions is None:
            want = len(active) if self.succeeded > 0 else parallelism
        else:
            want = max(0, min(self.completions - self.succeeded, parallelism))
        if len(active) > want:
            self._delete(_removal_order(active)[:len(active) - want], uncounted=True)
            return
        terminating = self.terminating if jp.only_replace_failed(self.job) else 0
        diff = want - terminating - len(active)
        if diff <= 0:
            return
        remaining = backoff.remaining(self.now)
        if remaining > 0:
            self._requeue_after(remaining)
            return
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int | None] = [None] * diff
        if self.indexed:
            busy = {jp.completion_index(p) for p in active}
            skip = self.succeeded_indexes | self.failed_indexes | busy
            indexes = [i for i in range(self.completions or 0) if i not in skip][:diff]  # type: ignore[misc]
        pending = iter(indexes)

        def create() -> str | None:
            index = next(pending)
            pod = self.ctl.pod_for(self.job, index, self._index_failures(index))
            try:
                created = self.api.create(pod, trusted=True)
            except ApiError as exc:
                self.recorder.record(self.job, "Warning", "FailedCreate", f"Error creating: {exc.message}",
                                     JOB_CONTROLLER)
                return exc.message
            self.recorder.record(self.job, "Normal", "SuccessfulCreate",
                                 f"Created pod: {created['metadata']['name']}", JOB_CONTROLLER)
            self.pods.append(created)
            return None

        _, error = slow_start_batch(len(indexes), SLOW_START_INITIAL_BATCH, create)
        if error is not None:
            self._requeue_after(10.0)

    def _index_failures(self, index: int | None) -> int:
        """The failures an index has had (the failure-count annotation a new pod of it carries)."""
        if index is None or self.spec.get("backoffLimitPerIndex") is None:
            return 0
        return max((jp.index_failure_count(p) + 1 for p in self.pods
                    if jp.completion_index(p) == index and jp.is_failed(p, self.job)), default=0)

    def _suspend_condition(self, finishing: bool) -> list[tuple[str, str, str]]:
        """The Suspended condition follows spec.suspend; resuming restarts the activeDeadlineSeconds clock."""
        events: list[tuple[str, str, str]] = []
        if finishing:
            return events
        if self.spec.get("suspend"):
            if _ensure_condition(self.conditions, "Suspended", "True", "JobSuspended", "Job suspended", self.now):
                events.append(("Normal", "Suspended", "Job suspended"))
        elif _ensure_condition(self.conditions, "Suspended", "False", "JobResumed", "Job resumed", self.now):
            events.append(("Normal", "Resumed", "Job resumed"))
            self.status["startTime"] = format_time(self.now)
        return events

    def _track_and_write(self, finished: tuple[str, str, str] | None, active: list[Obj],
                         events: list[tuple[str, str, str]]) -> None:
        """trackJobStatusAndRemoveFinalizers, then the status update and the events that follow it."""
        status = self.status
        if self.finished:
            # Record the finished pods as uncounted before their finalizers go, as upstream does, so that no
            # pod is ever counted twice nor lost.
            uncounted = {"succeeded": [p["metadata"]["uid"] for p in self.new_succeeded],
                         "failed": [p["metadata"]["uid"] for p in self.new_failed]}
            self._write({**status, "uncountedTerminatedPods": {k: v for k, v in uncounted.items() if v}})
            for pod in self.finished:
                self.ctl._remove_finalizer(pod)
        status["uncountedTerminatedPods"] = {}
        if finished is not None:
            ctype, reason, message = finished
            _ensure_condition(self.conditions, ctype, "True", reason, message, self.now)
            # The terminal condition waits until no pod is still terminating.
            if self.terminating == 0 and not active:
                final = "Failed" if ctype == "FailureTarget" else "Complete"
                if _ensure_condition(self.conditions, final, "True", reason, message, self.now):
                    if final == "Complete":
                        status["completionTime"] = format_time(self.now)
                        events.append(("Normal", "Completed", "Job completed"))
                    else:
                        events.append(("Warning", reason, message))
        if self.spec.get("suspend") and not active and self.terminating == 0 and finished is None:
            status.pop("startTime", None)  # a suspended Job with nothing running has not started
        status["conditions"] = self.conditions
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if jp.is_ready(p))
        status["succeeded"] = self.succeeded
        status["failed"] = self.failed
        status["terminating"] = self.terminating
        if self.indexed:
            status["completedIndexes"] = jp.format_indexes(self.succeeded_indexes)
            if self.spec.get("backoffLimitPerIndex") is not None:
                status["failedIndexes"] = jp.format_indexes(self.failed_indexes)
        for field in ("active", "succeeded", "failed", "completedIndexes", "conditions"):
            if not status.get(field):
                status.pop(field, None)  # omitempty
        self._write(status)
        for event_type, reason, message in events:
            self.recorder.record(self.job, event_type, reason, message, JOB_CONTROLLER)

    def _write(self, status: Obj) -> None:
        if status == (self.job.get("status") or {}):
            return
        self.job = self.api.update_status({**self.job, "status": deep_copy(status)}, trusted=True)


def _removal_order(pods: list[Obj]) -> list[Obj]:
    """activePodsForRemoval's order (controller.ActivePods): unscheduled, pending, not ready, then newest
    first, so a scale-down removes what has done the least work."""
    def rank(pod: Obj) -> tuple[int, int, int, float]:
        meta = pod["metadata"]
        created = meta.get("creationTimestamp")
        return (1 if (pod.get("spec") or {}).get("nodeName") else 0,
                1 if jp.phase(pod) == "Running" else 0,
                1 if jp.is_ready(pod) else 0,
                -(parse_time(created) if created else 0.0))
    return sorted(pods, key=rank)


def _indexed_extras(active: list[Obj], completions: int, done: set[int]) -> list[Obj]:
    """Active pods with no valid index, an index beyond completions, an index already done, or a second pod
    for the same index (appendDuplicatedIndexPodsForRemoval)."""
    seen: set[int] = set()
    extras = []
    for pod in sorted(active, key=lambda p: p["metadata"].get("creationTimestamp") or ""):
        index = jp.completion_index(pod)
        if index is None or index >= completions or index in done or index in seen:
            extras.append(pod)
        else:
            seen.add(index)
    return extras


__all__ = ["JOB_CONTROLLER", "JobController", "is_finished"]
