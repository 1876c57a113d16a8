"""ReplicaSet controller (`k/k pkg/controller/replicaset/replica_set.go`).

The store is this controller's informer cache and is updated synchronously with every write, so the
"expectations" machinery that guards against a stale cache in Kubernetes is not needed here: a sync's own creates
and deletes are already in the store when the next sync runs. What takes their place is `PodIndex`
(`replicaset_pods.py`), kept from the watch, so that a sync costs what changed rather than every pod: 100,000
replicas are created 500 a sync (burstReplicas, in slowStartBatch's batches of 1, 2, 4, ...) with the other
controllers running between syncs, and a scale-down picks its pods from per-node orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .. import podutil
from ..errors import ApiError
from ..events import REPLICASET_CONTROLLER
from ..runtime import Controller, register_controller
from ..selectors import selector_from_dict
from ..store import WatchEvent, deep_copy
from ..timeutil import format_time
from .claim import set_controller
from .replicaset_pods import (
    GO_ZERO_TIME,
    POD_DELETION_COST,
    OwnedPods,
    PodIndex,
    compare_for_deletion,
    pods_to_delete,
)

__all__ = ["BURST_REPLICAS", "GO_ZERO_TIME", "POD_DELETION_COST", "ReplicaSetController", "compare_for_deletion",
           "pods_to_delete", "slow_start_batch", "slow_start_batches"]

Obj = dict[str, Any]
E = TypeVar("E")

BURST_REPLICAS = 500  # burstReplicas: at most this many creates or deletes per sync
SLOW_START_INITIAL_BATCH = 1  # controller.SlowStartInitialBatchSize
SHARED_SPECS_LIMIT = 20_000


def slow_start_batches(count: int, initial: int = SLOW_START_INITIAL_BATCH) -> list[int]:
    """The batch sizes slowStartBatch uses when every call succeeds: 1, 2, 4, ... until `count` is covered."""
    batches = []
    remaining, size = count, min(initial, count)
    while size > 0:
        batches.append(size)
        remaining -= size
        size = min(2 * size, remaining)
    return batches


def slow_start_batch(count: int, initial: int, fn: Callable[[], E | None]) -> tuple[int, E | None]:
    """controller_utils slowStartBatch: call `fn` `count` times in batches of `initial`, then double.

    Every call of a batch is made (upstream runs them in parallel); a batch with a failure ends it, and the
    remaining calls are never made. `fn` returns an error or None. Returns (successful calls, first error).
    """
    successes = 0
    for size in slow_start_batches(count, initial):
        first_error: E | None = None
        for _ in range(size):
            error = fn()
            if error is None:
                successes += 1
            elif first_error is None:
                first_error = error
        if first_error is not None:
            return successes, first_error
    return successes, None


@register_controller
class ReplicaSetController(Controller):
    name = REPLICASET_CONTROLLER
    resources = ("replicasets.apps", "pods")
    owner_kinds = {"pods": "ReplicaSet"}

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._specs: dict[str, tuple[Obj, Obj]] = {}  # rs uid -> (its template, the pod spec shared by its pods)
        self.pods = PodIndex()

    def start(self) -> None:
        self.pods.clear()
        for pod in self.store.iter("pods"):
            meta = pod["metadata"]
            self.pods.observe((meta.get("namespace", ""), meta["name"]), pod)
        for rs in self.store.iter("replicasets.apps"):
            self.queue.add(podutil.key_of(rs))

    def on_event(self, event: WatchEvent) -> None:
        meta = event.object["metadata"]
        namespace = meta.get("namespace", "")
        if event.resource == "pods":
            # The index follows the store (not the event), so it is right whatever order events arrive in.
            self.pods.observe((namespace, meta["name"]), self.store.get("pods", namespace, meta["name"]))
        elif event.type == "DELETED":
            self.pods.owner_deleted(meta.get("uid", ""))
        super().on_event(event)

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

    def _claim_pods(self, rs: Obj, owned: OwnedPods) -> None:
        """ClaimPods: release controlled pods that stopped matching, adopt matching orphans (the index follows)."""
        if rs["metadata"].get("deletionTimestamp"):
            return  # ClaimObject releases nothing and adopts nothing while the owner itself is being deleted
        for key in sorted(owned.unmatched):
            set_controller(self.api, owned.states[key].pod, rs["metadata"]["uid"], None)
        selector = selector_from_dict(rs["spec"].get("selector"))
        for pod in self.store.uncontrolled("pods", rs["metadata"].get("namespace", "")):
            meta = pod["metadata"]
            if not meta.get("deletionTimestamp") and selector.matches(meta.get("labels")):
                set_controller(self.api, pod, rs["metadata"]["uid"], rs)

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        rs = self.store.get("replicasets.apps", namespace, name)
        if rs is None:
            return None
        owned = self.pods.owned_by(rs["metadata"]["uid"])
        owned.set_owner(rs)
        self._claim_pods(rs, owned)
        manage_error: tuple[str, str] | None = None
        more = False
        if not rs["metadata"].get("deletionTimestamp"):
            manage_error, more = self._manage_replicas(rs, owned)
            rs = self.store.get("replicasets.apps", namespace, name) or rs
        requeue = self._update_status(rs, owned, manage_error)
        if more and manage_error is None:
            requeue = 0.0  # the rest of a scale beyond burstReplicas: next sync, after the other controllers
        return requeue

    def _manage_replicas(self, rs: Obj, owned: OwnedPods) -> tuple[tuple[str, str] | None, bool]:
        """Create or delete at most burstReplicas pods; also says whether more remain to do."""
        desired = rs["spec"].get("replicas", 1)
        diff = owned.claimed - desired  # the claimed active pods
        if diff < 0:
            return self._create_pods(rs, min(-diff, BURST_REPLICAS)), -diff > BURST_REPLICAS
        if diff > 0:
            return self._delete_pods(rs, owned, min(diff, BURST_REPLICAS)), diff > BURST_REPLICAS
        return None, False

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
        """slowStartBatch over `count` creates: a batch with a failure ends the sync (FailedCreate), and the
        creates never attempted are left to the next sync."""

        def create() -> str | None:
            try:
                # The template was validated with its ReplicaSet, and the pod is built fresh.
                pod = self.api.create(self._pod_from_template(rs), trusted=True)
            except ApiError as exc:
                if _namespace_terminating(exc):
                    return None  # every create would fail; the namespace controller is removing us anyway
                self.recorder.record(rs, "Warning", "FailedCreate", f"Error creating: {exc.message}", self.name)
                return exc.message
            self.recorder.record(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                 self.name)
            return None

        _, error = slow_start_batch(count, SLOW_START_INITIAL_BATCH, create)
        return ("FailedCreate", error) if error is not None else None

    def _delete_pods(self, rs: Obj, owned: OwnedPods, count: int) -> tuple[str, str] | None:
        rank = self._rank(rs, owned)
        error: str | None = None
        for pod in owned.pods_to_delete(count, rank, self.clock.now()):
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

    def _rank(self, rs: Obj, owned: OwnedPods) -> Callable[[str], int]:
        """Active related pods per node: those of every ReplicaSet with this one's owner (getIndirectlyRelatedPods,
        through ownerReferences), or this ReplicaSet's own claimed pods when it has no owner."""
        owner = podutil.controller_ref(rs)
        if owner is None:
            by_node = owned.by_node
            return lambda node: len(by_node.get(node, ()))
        siblings = self.store.dependents(owner["uid"], "replicasets.apps")
        counts = [c for sib in siblings if (c := self.pods.per_node.get(sib["metadata"]["uid"])) is not None]
        if len(counts) == 1:
            only = counts[0]
            return lambda node: only.get(node, 0)
        return lambda node: sum(c.get(node, 0) for c in counts)

    def _update_status(self, rs: Obj, owned: OwnedPods, manage_error: tuple[str, str] | None) -> float | None:
        now = self.clock.now()
        active, ready, labeled, terminating = owned.active, owned.ready, owned.labeled, owned.terminating
        available, wait = owned.available(now)
        if rs["metadata"].get("deletionTimestamp"):
            # Only the claimed pods count, and a ReplicaSet being deleted releases none: leave out the others.
            for key in owned.unmatched:
                st = owned.states[key]
                terminating -= st.terminating
                if st.active:
                    active -= 1
                    labeled -= st.labeled
                    ready -= st.ready
                    available -= owned.is_available(key)
        old_status = rs.get("status") or {}
        status: Obj = {
            "replicas": active,
            "fullyLabeledReplicas": labeled,
            "readyReplicas": ready,
            "availableReplicas": available,
            "terminatingReplicas": terminating,
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
        # omitempty, as the API server serialises zero values; terminatingReplicas is a pointer (v1.36), so its
        # 0 is reported, and the Deployment controller can sum it.
        for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not status[field]:
                del status[field]
        if status != old_status:
            self.api.update_status({**rs, "status": status})
        requeue: float | None = None
        if wait is not None:
            # Re-check when the next ready pod crosses minReadySeconds.
            requeue = max(0.0, wait) + 0.001
        if manage_error is not None:
            requeue = min(requeue or 10.0, 10.0)
        return requeue


def _namespace_terminating(exc: ApiError) -> bool:
    causes = ((exc.status.get("details") or {}).get("causes")) or ()
    return any(cause.get("reason") == "NamespaceTerminating" for cause in causes)
