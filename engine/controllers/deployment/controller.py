"""Deployment controller (`k/k pkg/controller/deployment/`): syncDeployment, rolling and recreate rollouts,
proportional scaling, revision history cleanup and the Progressing/Available conditions.

The arithmetic lives in `util.py` (pure functions with table tests ported from Kubernetes); this file
reads the informer cache (the store) and performs the writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ... import podutil
from ...errors import ApiError
from ...events import DEPLOYMENT_CONTROLLER
from ...quoting import go_quote
from ...runtime import Controller, register_controller
from ...selectors import selector_from_dict
from ...store import WatchEvent, deep_copy
from . import util as du

Obj = dict[str, Any]
RS = "replicasets.apps"
DEPLOYMENTS = "deployments.apps"
MAX_NAME_LENGTH = 253  # validation.DNS1123SubdomainMaxLength
NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating"


def replica_set_name(deployment_name: str, pod_template_hash: str) -> str:
    """generateReplicaSetName (k/k PR #132560): `<deployment>-<hash>`, the Deployment's name cut short so the
    whole fits in 253 characters. A cut that leaves an invalid name (one ending in a dot) makes the create fail
    and the Deployment says so, as upstream."""
    keep = MAX_NAME_LENGTH - 1 - len(pod_template_hash)
    if 0 < keep < len(deployment_name):
        deployment_name = deployment_name[:keep]
    return f"{deployment_name}-{pod_template_hash}"


@register_controller
class DeploymentController(Controller):
    name = DEPLOYMENT_CONTROLLER
    resources = (DEPLOYMENTS, RS, "pods")

    def start(self) -> None:
        for d in self.store.iter(DEPLOYMENTS):
            self.queue.add(podutil.key_of(d))

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        namespace = obj["metadata"].get("namespace", "")
        if event.resource == DEPLOYMENTS:
            return (podutil.key_of(obj),)
        if event.resource == RS:
            keys = set()
            for version in (obj, event.old):
                ref = podutil.controller_ref(version) if version else None
                if ref and ref.get("kind") == "Deployment":
                    keys.add(f"{namespace}/{ref['name']}")
            if not keys and event.type == "ADDED":
                labels = obj["metadata"].get("labels") or {}
                keys.update(podutil.key_of(d) for d in self.store.iter(DEPLOYMENTS, namespace)
                            if selector_from_dict(d["spec"].get("selector")).matches(labels))
            return keys
        # Pods matter only when they go away: a Recreate rollout waits for every old pod to be gone.
        if event.type != "DELETED":
            return ()
        ref = podutil.controller_ref(obj)
        if not ref or ref.get("kind") != "ReplicaSet":
            return ()
        rs = self.store.get(RS, namespace, ref["name"])
        owner = podutil.controller_ref(rs) if rs else None
        return (f"{namespace}/{owner['name']}",) if owner and owner.get("kind") == "Deployment" else ()

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get(DEPLOYMENTS, namespace, name)

    # --- reading -------------------------------------------------------------------------------------------

    def _claim_replica_sets(self, d: Obj) -> list[Obj]:
        """RSs this Deployment controls, adopting orphans that match its selector (ControllerRefManager)."""
        uid = d["metadata"]["uid"]
        selector = selector_from_dict(d["spec"].get("selector"))
        deleting = bool(d["metadata"].get("deletionTimestamp"))
        owned = []
        for rs in self.store.dependents(uid, RS):
            if (podutil.controller_ref(rs) or {}).get("uid") != uid:
                continue
            if selector.matches(rs["metadata"].get("labels")):
                owned.append(rs)
            elif not deleting:
                self._release(rs, uid)  # relabelled out of our selector: no longer ours
        if deleting:
            return owned
        for rs in self.store.uncontrolled(RS, d["metadata"].get("namespace", "")):
            if not rs["metadata"].get("deletionTimestamp") and selector.matches(rs["metadata"].get("labels")):
                adopted = deep_copy(rs)
                adopted["metadata"]["ownerReferences"] = [*(rs["metadata"].get("ownerReferences") or []),
                                                          du.controller_ref(d)]
                try:
                    owned.append(self.api.update(adopted))
                except ApiError:
                    pass
        return owned

    def _release(self, rs: Obj, uid: str) -> None:
        released = deep_copy(rs)
        refs = [r for r in rs["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
        if refs:
            released["metadata"]["ownerReferences"] = refs
        else:
            released["metadata"].pop("ownerReferences", None)
        try:
            self.api.update(released)
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _current(self, d: Obj) -> Obj:
        meta = d["metadata"]
        return self.store.get(DEPLOYMENTS, meta.get("namespace", ""), meta["name"]) or d

    # --- writing helpers -----------------------------------------------------------------------------------

    def _scale(self, d: Obj, rs: Obj, replicas: int) -> bool:
        """scaleReplicaSetAndRecordEvent: True if the size changed."""
        current = self.store.get(RS, rs["metadata"].get("namespace", ""), rs["metadata"]["name"]) or rs
        update, changed = du.scale_replica_set_update(current, replicas, d)
        if update is None:
            return False
        old_size = du.spec_replicas(current)
        self.api.update(update)  # validated like any client's write: the API has the last word, not the controller
        if changed:
            self.recorder.record(d, "Normal", "ScalingReplicaSet",
                                 du.scaling_event_message(current["metadata"]["name"], old_size, replicas), self.name)
        return changed

    def _write_status(self, d: Obj, status: Obj) -> Obj:
        d = self._current(d)
        if status == d.get("status"):
            return d
        return self.api.update_status({**d, "status": status})

    def _replica_sets_and_sync_revision(self, d: Obj, rss: list[Obj], create: bool) -> tuple[Obj | None, list[Obj]]:
        """getAllReplicaSetsAndSyncRevision: (new RS or None, all old RSs)."""
        all_old, _ = du.find_old_replica_sets(d, rss)
        existing = du.find_new_replica_set(d, rss)
        if existing is not None:
            return self._sync_existing_new_rs(d, existing, all_old), all_old
        if not create:
            return None, all_old
        return self._create_new_rs(d, all_old), all_old

    def _sync_existing_new_rs(self, d: Obj, rs: Obj, all_old: list[Obj]) -> Obj:
        # Only annotations and spec.minReadySeconds may change here: copy just those layers.
        updated = {**rs, "metadata": {**rs["metadata"], "annotations": dict(rs["metadata"].get("annotations") or {})},
                   "spec": dict(rs["spec"])}
        changed = du.set_new_replica_set_annotations(d, updated, str(du.max_revision(all_old) + 1), True)
        min_ready = d["spec"].get("minReadySeconds", 0)
        if updated["spec"].get("minReadySeconds", 0) != min_ready:
            updated["spec"]["minReadySeconds"] = min_ready
            changed = True
        if changed:
            rs = self.api.update(updated)
        self._sync_deployment_revision(d, rs)
        d = self._current(d)
        status = deep_copy(d.get("status") or {})
        if du.get_condition(status, du.DEPLOYMENT_PROGRESSING) is None:
            du.set_condition(status, du.new_deployment_condition(
                du.DEPLOYMENT_PROGRESSING, "True", du.FOUND_NEW_RS_REASON,
                f"Found new replica set {go_quote(rs['metadata']['name'])}", self.clock.now()))
            self._write_status(d, status)
        return rs

    def _sync_deployment_revision(self, d: Obj, rs: Obj) -> None:
        d = self._current(d)
        d = {**d, "metadata": {**d["metadata"], "annotations": dict(d["metadata"].get("annotations") or {})}}
        if du.set_deployment_revision(d, (rs["metadata"].get("annotations") or {}).get(du.REVISION_ANNOTATION, "")):
            self.api.update(d)

    def _create_new_rs(self, d: Obj, all_old: list[Obj]) -> Obj | None:
        new_rs = du.build_new_replica_set(d, all_old)
        pod_template_hash = new_rs["metadata"]["labels"][du.POD_TEMPLATE_HASH_LABEL]
        new_rs["metadata"]["name"] = replica_set_name(d["metadata"]["name"], pod_template_hash)
        now = self.clock.now()
        try:
            # Validated as any client's create: a name or annotations the Deployment's own validation allowed can
            # still make an invalid ReplicaSet, and a real API server refuses it.
            created = self.api.create(new_rs)
        except ApiError as exc:
            if exc.code == 409:
                existing = self.store.get(RS, d["metadata"].get("namespace", ""), new_rs["metadata"]["name"])
                if existing is not None and du.is_controlled_by(existing, d) and du.equal_ignore_hash(
                        existing["spec"].get("template"), d["spec"].get("template")):
                    return existing
                # A hash collision: bump collisionCount so the next sync picks another name.
                status = deep_copy(self._current(d).get("status") or {})
                status["collisionCount"] = status.get("collisionCount", 0) + 1
                self._write_status(d, status)
                raise
            causes = (exc.status.get("details") or {}).get("causes") or ()
            if any(c.get("reason") == NAMESPACE_TERMINATING_CAUSE for c in causes):
                raise  # every create in the namespace fails from now on: nothing to report on the Deployment
            message = f"Failed to create new replica set {go_quote(new_rs['metadata']['name'])}: {exc.message}"
            if du.has_progress_deadline(d):
                status = deep_copy(self._current(d).get("status") or {})
                du.set_condition(status, du.new_deployment_condition(
                    du.DEPLOYMENT_PROGRESSING, "False", du.FAILED_RS_CREATE_REASON, message, now))
                self._write_status(d, status)
            self.recorder.record(d, "Warning", du.FAILED_RS_CREATE_REASON, message, self.name)
            raise  # the queue retries with back-off, on the engine clock
        replicas = du.spec_replicas(created)
        if replicas > 0:
            self.recorder.record(d, "Normal", "ScalingReplicaSet",
                                 du.scaling_event_message(created["metadata"]["name"], 0, replicas), self.name)
        self._sync_deployment_revision(d, created)
        status = deep_copy(self._current(d).get("status") or {})
        du.set_condition(status, du.new_deployment_condition(
            du.DEPLOYMENT_PROGRESSING, "True", du.NEW_REPLICA_SET_REASON,
            f"Created new replica set {go_quote(created['metadata']['name'])}", now))
        self._write_status(d, status)
        return created

    # --- reconcile -----------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        d = self.store.get(DEPLOYMENTS, namespace, name)
        if d is None:
            return None
        rss = self._claim_replica_sets(d)
        if any(_unobserved(rs) for rs in rss):
            # A ReplicaSet we just resized has not acted on it yet. On a real cluster its controller deletes the
            # surplus pods long before this controller's next decision reaches the new ReplicaSet's pods; here
            # both run in one drain, so wait for its status write (which re-queues us) to keep that order and
            # never overshoot maxSurge in actual pods.
            return None
        if d["metadata"].get("deletionTimestamp"):
            new_rs, old = self._replica_sets_and_sync_revision(d, rss, create=False)
            self._sync_status(d, new_rs, old)
            return None
        paused_view = {**d, "status": deep_copy(d.get("status") or {})}
        if du.apply_paused_condition(paused_view, self.clock.now()):
            d = self._write_status(d, paused_view["status"])
        if d["spec"].get("paused"):
            return self._sync_scaling(d, rss)
        new_rs = du.find_new_replica_set(d, rss)
        _, active_old = du.find_old_replica_sets(d, rss)
        if du.is_scaling_event(d, new_rs, active_old):
            return self._sync_scaling(d, rss)
        if (d["spec"].get("strategy") or {}).get("type") == du.RECREATE:
            return self._rollout_recreate(d, rss)
        return self._rollout_rolling(d, rss)

    def _fresh(self, rss: list[Obj]) -> list[Obj]:
        out = []
        for rs in rss:
            current = self.store.get(RS, rs["metadata"].get("namespace", ""), rs["metadata"]["name"])
            if current is not None:
                out.append(current)
        return out

    def _sync_scaling(self, d: Obj, rss: list[Obj]) -> float | None:
        """sync(): proportional scaling (and history cleanup while paused)."""
        new_rs, all_old = self._replica_sets_and_sync_revision(d, rss, create=False)
        d = self._current(d)
        # All old RSs, not only active ones: with none active, FindActiveOrLatest picks the newest of them all.
        for rs_name, replicas in du.plan_proportional_scale(d, new_rs, all_old).items():
            rs = next((r for r in [new_rs, *all_old] if r is not None and r["metadata"]["name"] == rs_name), None)
            if rs is not None:
                self._scale(d, rs, replicas)
        new_rs = self._fresh([new_rs])[0] if new_rs is not None and self._fresh([new_rs]) else new_rs
        all_old = self._fresh(all_old)
        if d["spec"].get("paused"):
            self._cleanup(d, all_old)
        self._sync_status(d, new_rs, all_old)
        return None

    def _sync_status(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """syncDeploymentStatus: counts and the Available condition, leaving Progressing alone."""
        d = self._current(d)
        all_rss = [*old, new_rs] if new_rs is not None else list(old)
        self._write_status(d, du.calculate_status(d, all_rss, new_rs, self.clock.now()))

    def _cleanup(self, d: Obj, old: list[Obj]) -> None:
        for rs in du.plan_cleanup_deployment(d, old):
            try:
                self.api.delete(RS, rs["metadata"]["name"], rs["metadata"].get("namespace"))
            except ApiError as exc:
                if exc.code != 404:
                    raise

    def _rollout_rolling(self, d: Obj, rss: list[Obj]) -> float | None:
        new_rs, all_old = self._replica_sets_and_sync_revision(d, rss, create=True)
        d = self._current(d)
        if new_rs is None:
            return None
        all_rss = [*all_old, new_rs]
        target = du.plan_reconcile_new_replica_set(d, all_rss, new_rs)
        if target is not None and self._scale(d, new_rs, target):
            return self._sync_rollout_status(d, self._fresh(all_old), self._fresh([new_rs])[0])
        new_rs = self._fresh([new_rs])[0]
        all_old = self._fresh(all_old)
        active_old = du.filter_active_replica_sets(all_old)
        scaled_down = False
        for step in du.plan_reconcile_old_replica_sets_steps(d, [*all_old, new_rs], active_old, new_rs):
            rs = self.store.get(RS, d["metadata"].get("namespace", ""), step.name)
            if rs is not None and self._scale(d, rs, step.to_replicas):
                scaled_down = True
        all_old = self._fresh(all_old)
        if not scaled_down and du.deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, all_old)
            all_old = self._fresh(all_old)
        return self._sync_rollout_status(d, all_old, new_rs)

    def _rollout_recreate(self, d: Obj, rss: list[Obj]) -> float | None:
        new_rs, all_old = self._replica_sets_and_sync_revision(d, rss, create=False)
        d = self._current(d)
        active_old = du.filter_active_replica_sets(all_old)
        scaled_down = False
        for rs_name, replicas in du.plan_scale_down_old_for_recreate(active_old).items():
            rs = next(r for r in active_old if r["metadata"]["name"] == rs_name)
            scaled_down = self._scale(d, rs, replicas) or scaled_down
        all_old = self._fresh(all_old)
        if scaled_down:
            return self._sync_rollout_status(d, all_old, new_rs)
        pods_by_rs = {rs["metadata"]["uid"]: self.store.dependents(rs["metadata"]["uid"], "pods")
                      for rs in [*all_old, *([new_rs] if new_rs else [])]}
        if du.old_pods_running(new_rs, all_old, pods_by_rs):
            return self._sync_rollout_status(d, all_old, new_rs)
        if new_rs is None:
            new_rs, all_old = self._replica_sets_and_sync_revision(d, self._claim_replica_sets(d), create=True)
            d = self._current(d)
            if new_rs is None:
                return None
        # scaleUpNewReplicaSetForRecreate: straight to spec.replicas, whatever the RS's size was.
        if du.spec_replicas(new_rs) != du.spec_replicas(d):
            self._scale(d, new_rs, du.spec_replicas(d))
            new_rs = self._fresh([new_rs])[0]
        if du.deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, all_old)
            all_old = self._fresh(all_old)
        return self._sync_rollout_status(d, all_old, new_rs)

    def _sync_rollout_status(self, d: Obj, old: list[Obj], new_rs: Obj | None) -> float | None:
        """syncRolloutStatus: counts, conditions, and when to re-check the progress deadline."""
        d = self._current(d)
        now = self.clock.now()
        all_rss = [*old, new_rs] if new_rs is not None else list(old)
        status = du.calculate_status(d, all_rss, new_rs, now)
        status = du.sync_rollout_status_conditions(d, all_rss, new_rs, status, now)
        d = self._write_status(d, status)
        requeue = du.requeue_after_for_deadline(d, status, now)
        return None if requeue is None else requeue + 1.0


def _unobserved(rs: Obj) -> bool:
    """The ReplicaSet's controller has not yet reconciled its latest spec."""
    observed = (rs.get("status") or {}).get("observedGeneration", 0)
    return observed < rs["metadata"].get("generation", 0) and not rs["metadata"].get("deletionTimestamp")
