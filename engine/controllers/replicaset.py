"""ReplicaSet controller (`k/k pkg/controller/replicaset/replica_set.go`).

The store is this controller's informer cache and is updated synchronously with every write, so the
"expectations" machinery that guards against a stale cache in Kubernetes is not needed here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..events import REPLICASET_CONTROLLER
from ..selectors import selector_from_dict
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time, parse_time
from .runtime import Controller

Obj = dict[str, Any]

BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH = 1
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
SHARED_SPECS_LIMIT = 20_000
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
# Go's zero time.Time (0001-01-01T00:00:00Z) as a Unix timestamp.
GO_ZERO_TIME = -62135596800.0


def slow_start_batches(count: int, initial: int = SLOW_START_INITIAL_BATCH) -> list[int]:
    """1, 2, 4, … until `count` is covered (controller_utils slowStartBatch)."""
    batches = []
    remaining, size = count, min(initial, count)
    while remaining > 0:
        batches.append(size)
        remaining -= size
        size = min(2 * size, remaining)
    return batches


def _log_rank(t: float, now: float) -> int:
    """logarithmicRankDiff: floor(log2(now - t in ns)), -1 when t is not in the past."""
    delta_ns = (now - t) * 1e9
    return math.floor(math.log2(delta_ns)) if delta_ns > 0 else -1


def _timestamp(value: str | None) -> float:
    """A metav1.Time; a missing one is Go's zero time, which ranks as the oldest possible instant."""
    return parse_time(value) if value else GO_ZERO_TIME


def _deletion_cost(pod: Obj) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _ready_time(pod: Obj) -> float:
    """podReadyTime: the Ready condition's lastTransitionTime while Ready, else the zero time."""
    cond = podutil.condition(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return GO_ZERO_TIME
    return _timestamp(cond.get("lastTransitionTime"))


def _max_restarts(pod: Obj) -> tuple[int, int]:
    """maxContainerRestarts: (max over regular containers, max over sidecar init containers)."""
    status = pod.get("status") or {}
    regular = max((cs.get("restartCount", 0) for cs in status.get("containerStatuses") or ()), default=0)
    sidecar_names = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or ()
                     if c.get("restartPolicy") == "Always"}
    sidecar = max((cs.get("restartCount", 0) for cs in status.get("initContainerStatuses") or ()
                   if cs.get("name") in sidecar_names), default=0)
    return regular, sidecar


def _sign(less: bool) -> int:
    return -1 if less else 1


def compare_for_deletion(a: Obj, b: Obj, rank_a: int, rank_b: int, now: float) -> int:
    """ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on, as they are by default):
    negative when `a` should be deleted before `b`, 0 when neither is less."""
    node_a, node_b = a["spec"].get("nodeName") or "", b["spec"].get("nodeName") or ""
    if node_a != node_b and (not node_a or not node_b):
        return _sign(not node_a)  # 1. unassigned first
    phase_a = _PHASE_RANK.get((a.get("status") or {}).get("phase", ""), 0)
    phase_b = _PHASE_RANK.get((b.get("status") or {}).get("phase", ""), 0)
    if phase_a != phase_b:
        return _sign(phase_a < phase_b)  # 2. Pending < Unknown < Running
    ready_a, ready_b = podutil.is_ready(a), podutil.is_ready(b)
    if ready_a != ready_b:
        return _sign(not ready_a)  # 3. not ready first
    cost_a, cost_b = _deletion_cost(a), _deletion_cost(b)
    if cost_a != cost_b:
        return _sign(cost_a < cost_b)  # 4. lower deletion cost first
    if rank_a != rank_b:
        return _sign(rank_a > rank_b)  # 5. more related pods on the same node first
    if ready_a and ready_b:  # 6. ready more recently first (same log2 bucket: fall through)
        t_a, t_b = _ready_time(a), _ready_time(b)
        if t_a != t_b:
            r_a, r_b = _log_rank(t_a, now), _log_rank(t_b, now)
            if r_a != r_b:
                return _sign(r_a < r_b)
    restarts_a, restarts_b = _max_restarts(a), _max_restarts(b)
    for x, y in zip(restarts_a, restarts_b, strict=True):
        if x != y:
            return _sign(x > y)  # 7. more restarts first (regular containers, then sidecars)
    c_a = _timestamp(a["metadata"].get("creationTimestamp"))
    c_b = _timestamp(b["metadata"].get("creationTimestamp"))
    if c_a != c_b:  # 8. newer first (same log2 bucket: fall through)
        r_a, r_b = _log_rank(c_a, now), _log_rank(c_b, now)
        if r_a != r_b:
            return _sign(r_a < r_b)
    uid_a, uid_b = a["metadata"].get("uid", ""), b["metadata"].get("uid", "")
    if uid_a != uid_b:
        return _sign(uid_a < uid_b)  # 9. the UID acts as a random tiebreak
    return 0


def pods_to_delete(pods: list[Obj], related: list[Obj], count: int, now: float) -> list[Obj]:
    """The `count` pods a scale-down removes, ranked by related active pods on the same node."""
    per_node: dict[str, int] = {}
    for pod in related:
        if podutil.is_active(pod):  # unassigned pods share the "" bucket, as upstream's map does
            node = pod["spec"].get("nodeName") or ""
            per_node[node] = per_node.get(node, 0) + 1
    ranks = {id(p): per_node.get(p["spec"].get("nodeName") or "", 0) for p in pods}

    def cmp(a: Obj, b: Obj) -> int:
        return compare_for_deletion(a, b, ranks[id(a)], ranks[id(b)], now)

    return sorted(pods, key=functools.cmp_to_key(cmp))[:count]


class ReplicaSetController(Controller):
    name = REPLICASET_CONTROLLER
    resources = ("replicasets.apps", "pods")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._specs: dict[str, tuple[Obj, Obj]] = {}  # rs uid -> (its template, the pod spec shared by its pods)

    def start(self) -> None:
        for rs in self.store.iter("replicasets.apps"):
            self.queue.add(podutil.key_of(rs))

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        if event.resource == "replicasets.apps":
            return (podutil.key_of(obj),)
        keys = []
        for version in (obj, event.old):
            ref = podutil.controller_ref(version) if version else None
            if ref and ref.get("kind") == "ReplicaSet":
                keys.append(f"{obj['metadata'].get('namespace', '')}/{ref['name']}")
        if podutil.controller_ref(obj) is None and event.type != "DELETED" and (
            event.type == "ADDED"
            or (obj["metadata"].get("labels") != (event.old or {}).get("metadata", {}).get("labels"))
            or podutil.controller_ref(event.old or {}) is not None
        ):
            # addPod/updatePod: an orphan that appeared, was relabelled or was released may be adopted.
            keys.extend(self._matching_replicasets(obj))
        return set(keys)

    def _matching_replicasets(self, pod: Obj) -> list[str]:
        """An orphan pod may be adopted by any ReplicaSet whose selector it matches."""
        namespace = pod["metadata"].get("namespace", "")
        labels = pod["metadata"].get("labels") or {}
        return [podutil.key_of(rs) for rs in self.store.iter("replicasets.apps", namespace)
                if selector_from_dict(rs["spec"].get("selector")).matches(labels)]

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get("replicasets.apps", namespace, name)

    # --- reconcile -----------------------------------------------------------------------------------------

    def _claim_pods(self, rs: Obj) -> list[Obj]:
        """Pods this ReplicaSet controls, adopting matching orphans and releasing ones that stopped matching."""
        uid = rs["metadata"]["uid"]
        selector = selector_from_dict(rs["spec"].get("selector"))
        owned = []
        for pod in self.store.dependents(uid, "pods"):
            ref = podutil.controller_ref(pod)
            if ref is None or ref.get("uid") != uid:
                continue
            if selector.matches(pod["metadata"].get("labels")):
                owned.append(pod)
            elif not rs["metadata"].get("deletionTimestamp"):
                self._set_owner(pod, None, rs)  # ClaimObject releases unless the owner itself is being deleted
        if rs["metadata"].get("deletionTimestamp"):
            return owned
        namespace = rs["metadata"].get("namespace", "")
        for pod in self.store.uncontrolled("pods", namespace):
            meta = pod["metadata"]
            if not meta.get("deletionTimestamp") and selector.matches(meta.get("labels")):
                adopted = self._set_owner(pod, rs, rs)
                if adopted is not None:
                    owned.append(adopted)
        return owned

    def _set_owner(self, pod: Obj, owner: Obj | None, rs: Obj) -> Obj | None:
        new = deep_copy(pod)
        refs = [r for r in new["metadata"].get("ownerReferences") or () if r.get("uid") != rs["metadata"]["uid"]]
        if owner is not None:
            refs.append(podutil.owner_reference(owner))
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)  # omitempty: no empty list left behind
        try:
            return self.api.update(new)
        except ApiError:
            return None

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        rs = self.store.get("replicasets.apps", namespace, name)
        if rs is None:
            return None
        pods = self._claim_pods(rs)
        active = [p for p in pods if podutil.is_active(p)]
        manage_error: tuple[str, str] | None = None
        if not rs["metadata"].get("deletionTimestamp"):
            manage_error = self._manage_replicas(rs, active)
            rs = self.store.get("replicasets.apps", namespace, name) or rs
            pods = [p for p in self.store.dependents(rs["metadata"]["uid"], "pods")
                    if (podutil.controller_ref(p) or {}).get("uid") == rs["metadata"]["uid"]]
        return self._update_status(rs, pods, manage_error)

    def _manage_replicas(self, rs: Obj, active: list[Obj]) -> tuple[str, str] | None:
        desired = rs["spec"].get("replicas", 1)
        diff = len(active) - desired
        if diff < 0:
            return self._create_pods(rs, min(-diff, BURST_REPLICAS))
        if diff > 0:
            return self._delete_pods(rs, active, min(diff, BURST_REPLICAS))
        return None

    def _pod_from_template(self, rs: Obj) -> Obj:
        template = rs["spec"]["template"]
        meta = template.get("metadata") or {}
        pod_meta: Obj = {
            "generateName": rs["metadata"]["name"] + "-",
            "namespace": rs["metadata"].get("namespace", "default"),
            "labels": deep_copy(meta.get("labels") or {}),
            "ownerReferences": [podutil.owner_reference(rs)],
        }
        if meta.get("annotations"):
            pod_meta["annotations"] = deep_copy(meta["annotations"])
        if meta.get("finalizers"):
            pod_meta["finalizers"] = list(meta["finalizers"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": self._shared_spec(rs, template)}

    def _shared_spec(self, rs: Obj, template: Obj) -> Obj:
        """One copy of the template's spec for all the pods this ReplicaSet makes from it.

        Stored objects are never changed in place (every writer copies first), so sibling pods can share it;
        that saves a deep copy per pod, memory, and lets the scheduler recognise the spec it already parsed.
        """
        uid = rs["metadata"]["uid"]
        cached = self._specs.get(uid)
        if cached is not None and cached[0] is template:
            return cached[1]
        if len(self._specs) >= SHARED_SPECS_LIMIT:
            self._specs.clear()
        spec = deep_copy(template.get("spec"))
        self._specs[uid] = (template, spec)
        return spec

    def _create_pods(self, rs: Obj, count: int) -> tuple[str, str] | None:
        """slowStartBatch: batches of 1, 2, 4, …; every call of a batch is made (upstream runs them in
        parallel), and a batch with a failure ends the sync."""
        error: str | None = None
        for batch in slow_start_batches(count):
            for _ in range(batch):
                try:
                    # The template was validated with its ReplicaSet, and the pod is built fresh.
                    pod = self.api.create(self._pod_from_template(rs), trusted=True)
                except ApiError as exc:
                    if _namespace_terminating(exc):
                        continue  # every create would fail; the namespace controller is removing us anyway
                    self.recorder.record(rs, "Warning", "FailedCreate", f"Error creating: {exc.message}", self.name)
                    error = error or exc.message
                    continue
                self.recorder.record(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                     self.name)
            if error is not None:
                return "FailedCreate", error
        return None

    def _delete_pods(self, rs: Obj, active: list[Obj], count: int) -> tuple[str, str] | None:
        related = active
        owner = podutil.controller_ref(rs)
        if owner is not None:
            siblings = self.store.dependents(owner["uid"], "replicasets.apps")
            related = [p for sib in siblings for p in self.store.dependents(sib["metadata"]["uid"], "pods")]
        error: str | None = None
        for pod in pods_to_delete(active, related, count, self.clock.now()):
            name = pod["metadata"]["name"]
            try:
                self.api.delete("pods", name, pod["metadata"].get("namespace"))
            except ApiError as exc:
                if exc.code == 404:
                    continue
                self.recorder.record(rs, "Warning", "FailedDelete", f"Error deleting: {exc.message}", self.name)
                error = error or f"unable to delete pods: {exc.message}"
                continue
            self.recorder.record(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {name}", self.name)
        return ("FailedDelete", error) if error is not None else None

    def _update_status(self, rs: Obj, pods: list[Obj], manage_error: tuple[str, str] | None) -> float | None:
        now = self.clock.now()
        min_ready = rs["spec"].get("minReadySeconds", 0)
        template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        active = [p for p in pods if podutil.is_active(p)]
        ready = [p for p in active if podutil.is_ready(p)]
        available = [p for p in ready if podutil.is_available(p, min_ready, now)]
        fully_labeled = [p for p in active
                         if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in template_labels.items())]
        terminating = [p for p in pods if p["metadata"].get("deletionTimestamp") and not podutil.is_terminal(p)]
        old_status = rs.get("status") or {}
        status: Obj = {
            "replicas": len(active),
            "fullyLabeledReplicas": len(fully_labeled),
            "readyReplicas": len(ready),
            "availableReplicas": len(available),
            "terminatingReplicas": len(terminating),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        # calculateStatus: a ReplicaFailure condition is added once (an existing one is kept as it is) and
        # removed by the first sync that manages replicas without an error.
        conditions = list(old_status.get("conditions") or ())
        has_failure = any(c.get("type") == "ReplicaFailure" for c in conditions)
        if manage_error is not None and not has_failure:
            conditions.append({"type": "ReplicaFailure", "status": "True", "reason": manage_error[0],
                               "message": manage_error[1], "lastTransitionTime": format_time(now)})
        elif manage_error is None and has_failure:
            conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
        if conditions:
            status["conditions"] = conditions
        for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas", "terminatingReplicas"):
            if not status[field]:
                del status[field]  # omitempty, as the API server serialises zero values
        if status != old_status:
            self.api.update_status({**rs, "status": status})
        requeue: float | None = None
        if min_ready and len(available) < len(ready):
            # Re-check when the next ready pod crosses minReadySeconds.
            waits = [podutil.ready_since(p) + min_ready - now for p in ready if p not in available]
            requeue = max(0.0, min(w for w in waits if w is not None)) + 0.001
        if manage_error is not None:
            requeue = min(requeue or 10.0, 10.0)
        return requeue


def _namespace_terminating(exc: ApiError) -> bool:
    causes = ((exc.status.get("details") or {}).get("causes")) or ()
    return any(cause.get("reason") == "NamespaceTerminating" for cause in causes)
