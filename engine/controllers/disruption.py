"""The disruption controller (k/k pkg/controller/disruption/disruption.go): keeps each PodDisruptionBudget's status
(currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods, the DisruptionAllowed
condition) true to the pods it selects, on the engine's clock.

- expectedPods and desiredHealthy (getExpectedPodCount): an integer minAvailable counts the selected pods; a
  percentage, or any maxUnavailable, sums the scale of the pods' controllers (getExpectedScale: Deployment
  through its ReplicaSet, ReplicaSet, StatefulSet, ReplicationController, any kind with a scale subresource) and
  rounds the percentage up. A pod with no controller is reported (UnmanagedPods) and left out of the sum; a
  controller that cannot be found fails the sync.
- currentHealthy counts Ready pods that are not terminating and not in disruptedPods; an entry of disruptedPods
  (written by an eviction) lapses after DeletionTimeout (2 min) if its pod is still there (a NotDeleted event),
  and the budget is synced again when the oldest entry lapses.
- disruptionsAllowed = currentHealthy - desiredHealthy, never below 0, and 0 while expectedPods is 0.
- A failed sync (failSafe) allows no disruption: DisruptionAllowed False, reason SyncFailed, with the error.

Only namespaces that hold a budget cost anything: a pod event elsewhere stops at one dictionary lookup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..eviction import PDBS, disruption_allowed_condition, set_condition
from ..podutil import controller_ref, is_ready
from ..runtime import Controller, register_controller
from ..selectors import labels_match
from ..store import WatchEvent
from ..timeutil import parse_time

Obj = dict[str, Any]

DELETION_TIMEOUT = 120.0  # DeletionTimeout: how long an approved eviction keeps its pod out of currentHealthy
# The disruption controller's events come from kube-controller-manager's shared recorder.
COMPONENT = "controllermanager"
# getPodReplicationController and getPodStatefulSet: owners whose scale is their spec.replicas.
BUILTIN_FINDERS = {("ReplicationController", ""): "replicationcontrollers",
                   ("StatefulSet", "apps"): "statefulsets.apps"}


class SyncError(Exception):
    """trySync failed: the message goes to the SyncFailed condition."""


def scaled_value(value: Any, total: int) -> int:
    """intstr.GetScaledValueFromIntOrPercent with roundUp=true: `30%` of 5 is 2."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if not text.endswith("%") or not text[:-1].isdigit():
        raise SyncError(f"invalid value for IntOrString: invalid value {text!r}")
    return math.ceil(int(text[:-1]) * total / 100)


@register_controller
class DisruptionController(Controller):
    name = "disruption-controller"
    resources = (PDBS, "pods")

    def start(self) -> None:
        for pdb in self.store.iter(PDBS):
            self.queue.add(_key(pdb))

    def on_event(self, event: WatchEvent) -> None:
        # Every pod event of the cluster comes here: a namespace without budgets settles it in one lookup.
        if event.resource == PDBS or self.store.count(PDBS, event.object["metadata"].get("namespace", "")):
            super().on_event(event)

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.resource == PDBS:
            return (_key(event.object),)
        # addPod/updatePod/deletePod: the budgets selecting the pod (before and after a label change).
        namespace = event.object["metadata"].get("namespace", "")
        pods = [event.object] if event.old is None else [event.object, event.old]
        return [_key(pdb) for pdb in self.store.iter(PDBS, namespace)
                if any(_selects(pdb, pod) for pod in pods)]

    def object_for_key(self, key: str) -> Obj | None:
        namespace, _, name = key.partition("/")
        return self.store.get(PDBS, namespace, name)

    def reconcile(self, key: str) -> float | None:
        pdb = self.object_for_key(key)
        if pdb is None:
            return None
        try:
            return self._try_sync(pdb)
        except SyncError as exc:
            self._fail_safe(pdb, str(exc))
            return None

    def _try_sync(self, pdb: Obj) -> float | None:
        namespace = pdb["metadata"].get("namespace", "")
        pods = [pod for pod in self.store.iter("pods", namespace) if _selects(pdb, pod)]
        if not pods:
            self.recorder.record(pdb, "Normal", "NoPods", "No matching pods found", COMPONENT)
        try:
            expected, desired, unmanaged = self._expected_pod_count(pdb, pods)
        except SyncError as exc:
            self.recorder.record(pdb, "Warning", "CalculateExpectedPodCountFailed",
                                 f"Failed to calculate the number of expected pods: {exc}", COMPONENT)
            raise
        if unmanaged:
            selector = (pdb.get("spec") or {}).get("selector")
            self.recorder.record(
                pdb, "Warning", "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: {_go_selector(selector)}) were found to be "
                "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in "
                'undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to '
                "an integer value.", COMPONENT)
        now = self.clock.now()
        disrupted, recheck = self._disrupted_pod_map(pdb, pods, now)
        healthy = sum(1 for pod in pods if not pod["metadata"].get("deletionTimestamp")
                      and pod["metadata"]["name"] not in disrupted and is_ready(pod))
        self._update_status(pdb, healthy, desired, expected, disrupted, now)
        return None if recheck is None else max(recheck - now, 0.0)

    def _expected_pod_count(self, pdb: Obj, pods: list[Obj]) -> tuple[int, int, list[str]]:
        """getExpectedPodCount: (expectedCount, desiredHealthy, unmanaged pod names)."""
        spec = pdb.get("spec") or {}
        low, high = spec.get("minAvailable"), spec.get("maxUnavailable")
        if high is not None:
            expected, unmanaged = self._expected_scale(pods)
            return expected, max(expected - scaled_value(high, expected), 0), unmanaged
        if isinstance(low, int) and not isinstance(low, bool):
            return len(pods), low, []
        if low is not None:
            expected, unmanaged = self._expected_scale(pods)
            return expected, scaled_value(low, expected), unmanaged
        return 0, 0, []

    def _expected_scale(self, pods: list[Obj]) -> tuple[int, list[str]]:
        """getExpectedScale: the sum of the scale of every controller of the pods, each counted once."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = self._find_controller(ref, pod["metadata"].get("namespace", ""))
            if found is None:
                raise SyncError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _find_controller(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        """The finders, in upstream's order: (controller UID, its scale), or None when none knows the pod's owner."""
        kind, group = ref.get("kind"), str(ref.get("apiVersion", "")).rpartition("/")[0]
        if kind == "ReplicaSet" and group in ("apps", "extensions"):
            rs = self._owned(ref, "replicasets.apps", namespace)
            if rs is None:
                return None
            parent = controller_ref(rs)
            if parent is not None and parent.get("kind") == "Deployment":
                # getPodDeployment: a Deployment's pods count the Deployment's replicas, not one ReplicaSet's.
                deployment = self._owned(parent, "deployments.apps", namespace)
                return None if deployment is None else _scale_of(deployment)
            return _scale_of(rs)
        resource = BUILTIN_FINDERS.get((str(kind), group))
        if resource is not None:
            owner = self._owned(ref, resource, namespace)
            return None if owner is None else _scale_of(owner)
        return self._scale_controller(ref, namespace)

    def _scale_controller(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        """getScaleController: any other kind through its scale subresource."""
        info = self.ctx.registry.by_kind(str(ref.get("kind")), str(ref.get("apiVersion")))
        if info is None:
            return None
        if not info.scalable:
            raise SyncError(f"{info.resource} does not implement the scale subresource")
        owner = self._owned(ref, info.resource, namespace)
        return None if owner is None else _scale_of(owner)

    def _owned(self, ref: Obj, resource: str, namespace: str) -> Obj | None:
        owner = self.store.get(resource, namespace, str(ref.get("name", "")))
        return owner if owner is not None and owner["metadata"].get("uid") == ref.get("uid") else None

    def _disrupted_pod_map(self, pdb: Obj, pods: list[Obj], now: float) -> tuple[dict[str, str], float | None]:
        """buildDisruptedPodMap: the approved evictions still pending, and when the first of them lapses."""
        recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck: float | None = None
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in recorded:
                continue
            try:
                expected_deletion = parse_time(recorded[name]) + DELETION_TIMEOUT
            except (TypeError, ValueError):
                continue
            if expected_deletion < now:
                # Upstream names the budget with its namespace twice; so does k9py.
                meta = pdb["metadata"]
                self.recorder.record(pod, "Warning", "NotDeleted", "Pod was expected by PDB "
                                     f"{meta.get('namespace', '')}/{meta.get('namespace', '')} to be deleted but it "
                                     "wasn't", COMPONENT)
                continue
            recheck = expected_deletion if recheck is None else min(recheck, expected_deletion)
            kept[name] = recorded[name]
        return kept, recheck

    def _update_status(self, pdb: Obj, healthy: int, desired: int, expected: int, disrupted: dict[str, str],
                       now: float) -> None:
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0  # a budget that matches no pod yet is safe when its first pods appear
        generation = pdb["metadata"].get("generation") or 0
        status: Obj = {"observedGeneration": generation, "disruptedPods": disrupted or None,
                       "disruptionsAllowed": allowed, "currentHealthy": healthy, "desiredHealthy": desired,
                       "expectedPods": expected,
                       "conditions": [dict(c) for c in (pdb.get("status") or {}).get("conditions") or ()]}
        if not disrupted:
            del status["disruptedPods"]  # omitempty
        disruption_allowed_condition(status, generation, now)
        if status != pdb.get("status"):
            self.api.update_status({**pdb, "status": status}, trusted=True)

    def _fail_safe(self, pdb: Obj, message: str) -> None:
        """failSafe: no disruption is allowed while the budget cannot be computed."""
        status = {**(pdb.get("status") or {}), "disruptionsAllowed": 0}
        status["conditions"] = [dict(c) for c in status.get("conditions") or ()]
        set_condition(status, {"type": "DisruptionAllowed", "status": "False", "reason": "SyncFailed",
                               "message": message, "observedGeneration": status.get("observedGeneration") or 0},
                      self.clock.now())
        if status != pdb.get("status"):
            self.api.update_status({**pdb, "status": status}, trusted=True)


def _key(pdb: Obj) -> str:
    return f"{pdb['metadata'].get('namespace', '')}/{pdb['metadata']['name']}"


def _selects(pdb: Obj, pod: Obj) -> bool:
    """getPodsForPdb: in policy/v1 an empty selector selects every pod of the namespace; an invalid one none."""
    selector = (pdb.get("spec") or {}).get("selector")
    try:
        return labels_match(selector, pod["metadata"].get("labels") or {})
    except ApiError:
        return False


def _scale_of(owner: Obj) -> tuple[str, int]:
    replicas = (owner.get("spec") or {}).get("replicas")
    return str(owner["metadata"].get("uid", "")), replicas if isinstance(replicas, int) else 1


def _go_selector(selector: Any) -> str:
    """`%v` of a *metav1.LabelSelector in the UnmanagedPods message: Go's struct print."""
    if not isinstance(selector, dict):
        return "nil"
    labels = "".join(f"{k}: {v}," for k, v in sorted((selector.get("matchLabels") or {}).items()))
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
            "MatchExpressions:[]LabelSelectorRequirement{},}")
