"""`k9py check`: apply manifest folders to a virtual-clock cluster, run until it settles, report.

The report says, per declared object, its Argo CD health; lists problems a person must fix (pods that cannot be
scheduled, crash loops, image pull failures, rollouts past their deadline); and lists manifest errors at
file:line. Exit 0 when everything is Healthy, 1 when anything is not (or some documents were rejected),
2 when nothing usable could be applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from . import errors
from .apply import apply_object
from .cluster import Cluster
from .kinds import REGISTRY
from .manifests.loader import Document, LoadError, field_line, load_paths

Obj = dict[str, Any]
SETTLE_STEP = 5.0
STABLE_FOR = 60.0  # a cluster whose unhealthy objects stop changing for this long has settled as far as it will

# Kinds every Kubernetes user knows that this engine does not serve yet: say so instead of "no matches".
KNOWN_UNSUPPORTED = {
    "Service", "ConfigMap", "Secret", "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress",
    "HorizontalPodAutoscaler", "PersistentVolumeClaim", "PersistentVolume", "ServiceAccount", "Role",
    "RoleBinding", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy", "PodDisruptionBudget",
    "StorageClass", "CustomResourceDefinition", "Endpoints", "EndpointSlice", "LimitRange", "ResourceQuota",
    "PriorityClass", "IngressClass",
}


@attrs.define
class Report:
    converged: bool = False
    cluster_seconds: float = 0.0
    objects: list[Obj] = attrs.Factory(list)
    problems: list[Obj] = attrs.Factory(list)
    errors: list[Obj] = attrs.Factory(list)
    applied: int = 0
    documents: int = 0

    @property
    def exit_code(self) -> int:
        if self.applied == 0 and (self.errors or self.documents == 0):
            return 2
        if self.errors or self.problems or not self.converged:
            return 1
        return 0

    def as_json(self) -> Obj:
        return {"converged": self.converged, "cluster_seconds": round(self.cluster_seconds, 3),
                "objects": self.objects, "problems": self.problems, "errors": self.errors}


def _error_entry(error: LoadError) -> Obj:
    return {"file": error.file, "line": error.line, "message": error.message}


def _document_error(doc: Document, exc: errors.ApiError) -> Obj:
    """An API rejection placed at the line of the first offending field when there is one."""
    line = doc.line
    causes = (exc.status.get("details") or {}).get("causes") or []
    field = next((c.get("field") for c in causes if c.get("field")), None)
    if field and doc.item is None:
        try:
            text = Path(doc.file).read_text(encoding="utf-8")
            line = field_line(text, doc.index, field) or line
        except OSError:
            pass
    return {"file": doc.file, "line": line, "message": exc.message}


def _unsupported_message(doc: Document) -> str | None:
    kind = doc.obj.get("kind")
    if isinstance(kind, str) and kind in KNOWN_UNSUPPORTED and REGISTRY.by_kind(kind) is None:
        return (f'kind "{kind}" ({doc.obj.get("apiVersion", "?")}) is a Kubernetes kind that k9py does not '
                "simulate yet; the document was skipped")
    return None


def _object_key(obj: Obj) -> tuple[str, str, str]:
    info = REGISTRY.by_kind(obj["kind"])
    namespace = obj["metadata"].get("namespace", "") if info and info.namespaced else ""
    return obj["kind"], namespace, obj["metadata"]["name"]


def _health_snapshot(cluster: Cluster, declared: list[tuple[str, str, str]]) -> list[Obj]:
    out = []
    for kind, namespace, name in declared:
        status, message = cluster.health(kind, name, namespace or None)
        out.append({"kind": kind, "namespace": namespace, "name": name, "health": status, "message": message})
    return out


def pod_problems(cluster: Cluster, namespaces: set[str] | None) -> list[Obj]:
    """What is wrong with pods, in the words `kubectl describe` would use."""
    problems = []
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
            if reason in ("CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
                          "CreateContainerConfigError", "InvalidImageName"):
                last = (cs.get("lastState") or {}).get("terminated") or {}
                detail = waiting.get("message", "")
                if reason == "CrashLoopBackOff" and last:
                    detail = (f"container {cs['name']} exited with code {last.get('exitCode')} "
                              f"({last.get('reason')}), restarted {cs.get('restartCount', 0)} times; {detail}")
                problems.append({**base, "severity": "error", "reason": reason, "message": detail})
        if status.get("phase") == "Failed":
            problems.append({**base, "severity": "error", "reason": status.get("reason") or "Failed",
                             "message": status.get("message") or "pod failed"})
    return problems


def workload_problems(cluster: Cluster, declared: Iterable[tuple[str, str, str]]) -> list[Obj]:
    problems = []
    for kind, namespace, name in declared:
        if kind != "Deployment":
            continue
        d = cluster.store.get("deployments.apps", namespace, name)
        for cond in ((d or {}).get("status") or {}).get("conditions") or ():
            if cond.get("reason") == "ProgressDeadlineExceeded":
                problems.append({"severity": "error", "kind": kind, "namespace": namespace, "name": name,
                                 "reason": "ProgressDeadlineExceeded", "message": cond.get("message", "")})
            if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
                problems.append({"severity": "error", "kind": kind, "namespace": namespace, "name": name,
                                 "reason": cond.get("reason", "ReplicaFailure"), "message": cond.get("message", "")})
    return problems


async def run_check(paths: list[str], *, nodes: int = 3, node_cpu: str = "4", node_memory: str = "16Gi",
                    duration: float = 600.0, namespace: str | None = None) -> Report:
    report = Report()
    documents, load_errors = load_paths(paths)
    report.errors.extend(_error_entry(e) for e in load_errors)
    report.documents = len(documents)
    cluster = Cluster(nodes=nodes, node_cpu=node_cpu, node_memory=node_memory, clock="virtual")
    async with cluster:
        declared: list[tuple[str, str, str]] = []
        seen: dict[tuple[str, str, str], Document] = {}
        ordered = sorted(documents, key=lambda d: (0 if d.obj.get("kind") == "Namespace" else
                                                   1 if not getattr(REGISTRY.by_kind(str(d.obj.get("kind"))),
                                                                    "namespaced", True) else 2))
        for doc in ordered:
            unsupported = _unsupported_message(doc)
            if unsupported:
                report.errors.append({"file": doc.file, "line": doc.line, "message": unsupported})
                continue
            try:
                live = apply_object(cluster.api, doc.obj, namespace)
            except errors.ApiError as exc:
                report.errors.append(_document_error(doc, exc))
                continue
            key = _object_key(live)
            if key in seen:
                first = seen[key]
                kind, ns, name = key
                report.errors.append({"file": doc.file, "line": doc.line, "message":
                                      f'{kind} {ns + "/" if ns else ""}{name} is also declared at {first.where}; '
                                      "the later declaration wins"})
            else:
                seen[key] = doc
                declared.append(key)
        report.applied = len(declared)
        namespaces = {ns for _, ns, _ in declared if ns} | {name for kind, _, name in declared if kind == "Namespace"}
        report.errors.sort(key=lambda e: (e["file"], e["line"]))
        if not declared:
            return report
        start = cluster.now()
        last_change = start
        previous: list[Obj] | None = None
        while cluster.now() - start < duration:
            await cluster.run_for(min(SETTLE_STEP, duration - (cluster.now() - start)))
            snapshot = _health_snapshot(cluster, declared)
            if all(o["health"] == "Healthy" for o in snapshot) and not pod_problems(cluster, namespaces):
                report.converged = True
                break
            if snapshot != previous:
                previous, last_change = snapshot, cluster.now()
            elif cluster.now() - last_change >= STABLE_FOR and not any(
                    o["health"] == "Progressing" for o in snapshot):
                break
        report.cluster_seconds = cluster.now() - start
        report.objects = _health_snapshot(cluster, declared)
        report.problems = workload_problems(cluster, declared) + pod_problems(cluster, namespaces)
    return report
