"""`k9py check`: apply manifest folders to a virtual-clock cluster, run until it settles, report.

The report says, per declared object, its Argo CD health; lists problems a person must fix (pods that cannot be
scheduled, crash loops, image pull failures, rollouts past their deadline); and lists manifest errors at
file:line. Exit 0 when everything is Healthy, 1 when anything is not (or some documents were rejected),
2 when nothing usable could be applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from .cluster import Cluster
from .kinds import REGISTRY
from .manifests.loader import LoadError
from .manifests.source import InventoryEntry, ManifestSource, ObjKey
from .netcheck import network_warnings
from .printers.duration import human_duration
from .runtime import WallClockExceeded
from .settling import SETTLE_WINDOW, pod_fingerprint, unproven_containers
from .timeutil import parse_time

Obj = dict[str, Any]
SETTLE_STEP = 5.0
STABLE_FOR = 60.0  # a cluster whose unhealthy objects stop changing for this long has settled as far as it will
# Settling stops after this much wall time, whatever `--for` says: a virtual minute of a huge cluster can take
# minutes of real time, and a check must end.
WALL_BUDGET = 120.0

@attrs.define
class Report:
    converged: bool = False
    cluster_seconds: float = 0.0
    objects: list[Obj] = attrs.Factory(list)
    problems: list[Obj] = attrs.Factory(list)
    errors: list[Obj] = attrs.Factory(list)
    applied: int = 0
    documents: int = 0
    wall_seconds: float = 0.0  # spent settling
    stopped_by_wall_time: bool = False  # settling hit the wall-time budget before converging or settling down

    @property
    def exit_code(self) -> int:
        if self.applied == 0 and (self.errors or self.documents == 0):
            return 2
        if self.errors or self.problems or not self.converged:
            return 1
        return 0

    def as_json(self) -> Obj:
        return {"converged": self.converged, "cluster_seconds": round(self.cluster_seconds, 3),
                "stopped_by_wall_time": self.stopped_by_wall_time,
                "objects": self.objects, "problems": self.problems, "errors": self.errors}


def _error_entry(error: LoadError) -> Obj:
    return {"file": error.file, "line": error.line, "column": error.column, "message": error.message}


def _health_snapshot(cluster: Cluster, declared: list[ObjKey]) -> list[Obj]:
    out = []
    for kind, namespace, name in declared:
        status, message = cluster.health(kind, name, namespace or None)
        out.append({"kind": kind, "namespace": namespace, "name": name, "health": status, "message": message})
    return out


def pod_problems(cluster: Cluster, namespaces: set[str] | None) -> list[Obj]:
    """What is wrong with pods, in the words `kubectl describe` would use."""
    problems = []
    now = cluster.now()
    for pod in cluster.store.iter("pods"):
        meta, status = pod["metadata"], pod.get("status") or {}
        namespace = meta.get("namespace", "")
        if namespaces is not None and namespace not in namespaces:
            continue
        base = {"kind": "Pod", "namespace": namespace, "name": meta["name"]}
        if meta.get("deletionTimestamp"):
            continue
        for cond in status.get("conditions") or ():
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                problems.append({**base, "severity": "error", "reason": "FailedScheduling",
                                 "message": cond.get("message", "")})
        for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            waiting = (cs.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason", "")
            last = (cs.get("lastState") or {}).get("terminated") or {}
            if not reason and _restarted_lately(last, now):
                # Between two crashes the container is Running, but the loop is what a user will see.
                reason = "CrashLoopBackOff"
            if reason in ("CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
                          "CreateContainerConfigError", "InvalidImageName"):
                detail = waiting.get("message", "")
                if reason == "CrashLoopBackOff" and last:
                    detail = (f"container {cs['name']} exited with code {last.get('exitCode')} "
                              f"({last.get('reason')}), restarted {cs.get('restartCount', 0)} times"
                              + (f"; {detail}" if detail else ""))
                problems.append({**base, "severity": "error", "reason": reason, "message": detail})
        if any(c.get("type") == "PodReadyToStartContainers" and c.get("status") == "False"
               for c in status.get("conditions") or ()):
            # Waiting for its volumes: the kubelet's FailedMount events say which, and the SetUp ones why; a volume
            # held by another node has only the attach/detach controller's FailedAttachVolume.
            mounts = [e for e in cluster.events(namespace, involved=pod)
                      if e.get("reason") in ("FailedMount", "FailedAttachVolume")]
            mounts.sort(key=lambda e: str(e.get("message", "")).startswith("MountVolume.SetUp"))
            if mounts:
                problems.append({**base, "severity": "error", "reason": mounts[-1].get("reason", "FailedMount"),
                                 "message": mounts[-1].get("message", "")})
        if status.get("phase") == "Failed" and not _owned_by_job(meta):
            problems.append({**base, "severity": "error", "reason": status.get("reason") or "Failed",
                             "message": status.get("message") or "pod failed"})
    return problems


def _owned_by_job(meta: Obj) -> bool:
    """A Job's failed pods are its retries: whether they matter is the Job's own verdict (its health and
    problems: BackoffLimitExceeded, DeadlineExceeded), not each pod's."""
    return any(ref.get("kind") == "Job" and ref.get("controller") for ref in meta.get("ownerReferences") or ())


def _restarted_lately(last_terminated: Obj, now: float) -> bool:
    finished = last_terminated.get("finishedAt")
    return bool(finished) and now - parse_time(finished) < SETTLE_WINDOW


def workload_problems(cluster: Cluster, declared: Iterable[ObjKey]) -> list[Obj]:
    """What each declared object's kind says needs a person (`KindInfo.problems`): a Deployment past its
    progress deadline, a Job past its backoff limit."""
    problems = []
    for kind, namespace, name in declared:
        info = REGISTRY.by_kind(kind)
        obj = cluster.store.get(info.resource, namespace, name) if info is not None else None
        if info is None or obj is None:
            continue
        for reason, message in info.problems(obj):
            problems.append({"severity": "error", "kind": kind, "namespace": namespace, "name": name,
                             "reason": reason, "message": message})
    return problems


async def run_check(paths: list[str], *, nodes: int = 3, node_cpu: str = "4", node_memory: str = "16Gi",
                    duration: float = 600.0, namespace: str | None = None, wall_budget: float | None = WALL_BUDGET,
                    wall_clock: Callable[[], float] = time.perf_counter) -> Report:
    """Apply the folders to a fresh virtual-clock cluster and settle it for at most `duration` cluster seconds and
    at most `wall_budget` seconds of `wall_clock` (None: no wall-time bound); reading the files is not bounded."""
    report = Report()
    cluster = Cluster(nodes=nodes, node_cpu=node_cpu, node_memory=node_memory, clock="virtual")
    async with cluster:
        sources = [ManifestSource(cluster.api, path, namespace=namespace or "default") for path in paths]
        # An object declared under two folders is checked once, placed in the first folder that declares it.
        seen: dict[ObjKey, InventoryEntry] = {}
        for source in sources:
            source.sync()
            report.errors.extend(_error_entry(e) for e in source.all_errors)
            report.documents += source.document_count
            seen.update((key, entry) for key, entry in source.inventory.items() if key not in seen)
        declared = list(seen)
        report.applied = len(declared)
        report.errors.sort(key=lambda e: (e["file"], e["line"]))
        if not declared:
            return report
        namespaces = {ns for _, ns, _ in declared if ns} | {name for kind, _, name in declared if kind == "Namespace"}
        wall_start = wall_clock()
        if wall_budget is not None:
            # The controllers stop between two reconciles once it passes, however much work is queued.
            cluster.manager.wall_clock = wall_clock
            cluster.manager.wall_deadline = wall_start + wall_budget
        try:
            await _settle(cluster, declared, namespaces, duration, report)
        except WallClockExceeded:
            report.stopped_by_wall_time = True
        finally:
            cluster.manager.wall_deadline = None
        report.wall_seconds = wall_clock() - wall_start
        report.objects = _health_snapshot(cluster, declared)
        report.problems = workload_problems(cluster, declared) + pod_problems(cluster, namespaces)
        if not report.converged:
            report.problems += unsettled_problems(cluster, namespaces)
        if report.stopped_by_wall_time and all(o["health"] == "Healthy" for o in report.objects) \
                and not report.problems:
            report.converged, report.stopped_by_wall_time = True, False  # it got there just in time
        # Warnings about traffic the folder's Services and policies will not carry: they do not stop convergence.
        report.problems += network_warnings(cluster.store, seen)
    return report


def _long_running_pods(cluster: Cluster, namespaces: set[str]) -> list[Obj]:
    """The pods whose stability convergence waits for. A Job's pods come and go by design (a CronJob starts one
    every minute): their Job's health judges them instead."""
    return [p for p in cluster.store.iter("pods")
            if p["metadata"].get("namespace", "") in namespaces and not _owned_by_job(p["metadata"])]


async def _settle(cluster: Cluster, declared: list[ObjKey], namespaces: set[str], duration: float,
                  report: Report) -> None:
    """Run until the declared objects have converged (`engine.settling`: Healthy, no pod problem, the pods stable
    for the settle window and every container past its first crash opportunity), nothing changes any more, or
    `duration` has passed."""
    start = cluster.now()
    last_change = last_pod_change = start
    previous: list[Obj] | None = None
    pods_before: frozenset[tuple[Any, ...]] | None = None
    deadline = cluster.manager.wall_deadline
    try:
        while cluster.now() - start < duration:
            if deadline is not None and cluster.manager.wall_clock() > deadline:
                raise WallClockExceeded
            await cluster.run_for(min(SETTLE_STEP, duration - (cluster.now() - start)))
            now = cluster.now()
            snapshot = _health_snapshot(cluster, declared)
            pods = _long_running_pods(cluster, namespaces)
            fingerprint = pod_fingerprint(pods)
            if fingerprint != pods_before:
                pods_before, last_pod_change = fingerprint, now
            healthy = all(o["health"] == "Healthy" for o in snapshot) and not pod_problems(cluster, namespaces)
            if healthy and now - last_pod_change >= SETTLE_WINDOW and not unproven_containers(pods, now):
                report.converged = True
                return
            if snapshot != previous:
                previous, last_change = snapshot, now
            elif not healthy and now - last_change >= STABLE_FOR and not any(
                    o["health"] == "Progressing" for o in snapshot):
                return
    finally:
        report.cluster_seconds = cluster.now() - start


def unsettled_problems(cluster: Cluster, namespaces: set[str]) -> list[Obj]:
    """Containers the check stopped watching before they ran long enough to show whether they crash."""
    return [{"kind": "Pod", "namespace": u.pod["metadata"].get("namespace", ""), "name": u.pod["metadata"]["name"],
             "severity": "warning", "reason": "NotSettled",
             "message": f"container {u.container} has run {human_duration(u.ran)} of the {human_duration(u.fails_at)} "
                        "after which it fails; check again with a longer --for"}
            for u in unproven_containers(_long_running_pods(cluster, namespaces), cluster.now())]
