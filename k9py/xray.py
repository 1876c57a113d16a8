"""k9s's xray: what owns what, as a tree. Deployment → ReplicaSets → Pods → containers; a Service → the pods it
selects → their containers. Learners see ownership here more clearly than anywhere else.

A tree is built from the backend's lists (never the engine's internals): owner references link a ReplicaSet to
its Deployment and a Pod to its ReplicaSet, a Service's selector picks its pods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .backend import Backend, KindRef

Obj = dict[str, Any]

# The kinds xray starts from; each line names its kind in full, as a learner reads it.
ROOTS = ("Deployment", "ReplicaSet", "Pod", "Service")


@dataclass(frozen=True)
class XrayNode:
    """One line of the tree."""

    kind: str  # Deployment, ReplicaSet, Pod, Service or Container
    name: str  # namespace/name at the top of an all-namespaces tree, the name below
    status: str  # what a glance needs: "3/3 ready", "Running 1/1", "waiting: ImagePullBackOff"
    healthy: bool
    obj: Obj | None  # the API object (a container's line carries its pod)
    depth: int = 0
    lines: tuple[bool, ...] = ()  # per ancestor below the root: has it a later sibling (draw "│" under it)
    last: bool = True  # the last child of its parent (draw "└─" rather than "├─")

    @property
    def prefix(self) -> str:
        if not self.depth:
            return ""
        return "".join("│  " if more else "   " for more in self.lines) + ("└─ " if self.last else "├─ ")

    @property
    def label(self) -> str:
        return f"{self.prefix}{self.kind.lower()} {self.name}"

    @property
    def text(self) -> str:
        return f"{self.label}  {self.status}"


def _uid(obj: Obj) -> str:
    return obj["metadata"].get("uid", "")


def _owners(obj: Obj) -> list[str]:
    return [ref.get("uid", "") for ref in obj["metadata"].get("ownerReferences") or ()]


def _key(obj: Obj) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


class _Tree:
    def __init__(self, backend: Backend, namespace: str | None) -> None:
        self.backend, self.namespace = backend, namespace
        self.pods = sorted(self._list("Pod"), key=_key)
        self.replicasets = sorted(self._list("ReplicaSet"), key=_key)
        self.children: dict[str, list[Obj]] = defaultdict(list)  # owner uid -> owned objects
        for obj in [*self.replicasets, *self.pods]:
            for owner in _owners(obj):
                self.children[owner].append(obj)
        self.out: list[XrayNode] = []

    def _list(self, kind: str) -> list[Obj]:
        return self.backend.list(self.backend.resolve(kind), self.namespace)

    def _name(self, obj: Obj, top: bool) -> str:
        namespace, name = _key(obj)
        return f"{namespace}/{name}" if top and self.namespace is None and namespace else name

    def add(self, kind: str, obj: Obj, depth: int, lines: tuple[bool, ...], last: bool) -> None:
        status, healthy = _status(self.backend, kind, obj)
        self.out.append(XrayNode(kind, self._name(obj, depth == 0), status, healthy, obj, depth, lines, last))
        below = self._below(kind, obj)
        child_lines = (*lines, not last) if depth else ()
        for i, (child_kind, child) in enumerate(below):
            child_last = i == len(below) - 1
            if child_kind == "Container":
                status, healthy = _container_status(child)
                self.out.append(XrayNode("Container", child["name"], status, healthy, obj, depth + 1, child_lines,
                                         child_last))
            else:
                self.add(child_kind, child, depth + 1, child_lines, child_last)

    def _below(self, kind: str, obj: Obj) -> list[tuple[str, Any]]:
        if kind == "Deployment":
            return [("ReplicaSet", rs) for rs in self.children.get(_uid(obj), ()) if rs.get("kind") == "ReplicaSet"]
        if kind == "ReplicaSet":
            return [("Pod", pod) for pod in self.children.get(_uid(obj), ()) if pod.get("kind") == "Pod"]
        if kind == "Service":
            selector = (obj.get("spec") or {}).get("selector") or {}
            namespace = obj["metadata"].get("namespace")
            return [("Pod", pod) for pod in self.pods if selector and pod["metadata"].get("namespace") == namespace
                    and all((pod["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]
        if kind == "Pod":
            spec, status = obj.get("spec") or {}, obj.get("status") or {}
            statuses = {cs["name"]: cs for cs in (status.get("initContainerStatuses") or [])
                        + (status.get("containerStatuses") or [])}
            return [("Container", {"name": c["name"], "status": statuses.get(c["name"])})
                    for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
        return []


def _status(backend: Backend, kind: str, obj: Obj) -> tuple[str, bool]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind in ("Deployment", "ReplicaSet"):
        desired = spec.get("replicas", 1) if spec.get("replicas") is not None else 1
        ready = status.get("readyReplicas") or 0
        return f"{ready}/{desired} ready", ready == desired
    if kind == "Pod":
        text = backend.pod_status(obj)
        statuses = status.get("containerStatuses") or []
        ready = sum(1 for cs in statuses if cs.get("ready"))
        total = len(spec.get("containers") or [])
        return f"{text} {ready}/{total}", text == "Completed" or (text == "Running" and ready == total)
    if kind == "Service":
        return f"{spec.get('type', 'ClusterIP')} {spec.get('clusterIP', '')}".rstrip(), True
    return "", True


def _container_status(container: Obj) -> tuple[str, bool]:
    cs = container.get("status")
    if not cs:
        return "waiting", False
    state = cs.get("state") or {}
    restarts = cs.get("restartCount") or 0
    suffix = f", {restarts} restart{'s' if restarts != 1 else ''}" if restarts else ""
    if "running" in state:
        return ("ready" if cs.get("ready") else "running, not ready") + suffix, bool(cs.get("ready"))
    if "terminated" in state:
        reason = state["terminated"].get("reason") or "Terminated"
        return f"terminated: {reason}{suffix}", reason == "Completed"
    reason = (state.get("waiting") or {}).get("reason") or "waiting"
    return f"waiting: {reason}{suffix}", False


def xray(backend: Backend, kind: KindRef, namespace: str | None) -> list[XrayNode]:
    """The tree under every object of `kind` (one of ROOTS) in `namespace` (None: all), in name order."""
    if kind.kind not in ROOTS:
        raise ValueError(f"xray starts from deployments, replicasets, pods or services, not {kind.plural}")
    tree = _Tree(backend, namespace)
    roots: Iterable[Obj] = {"Pod": tree.pods, "ReplicaSet": tree.replicasets}.get(kind.kind) or sorted(
        backend.list(kind, namespace), key=_key)
    for obj in roots:
        tree.add(kind.kind, obj, 0, (), True)
    return tree.out
