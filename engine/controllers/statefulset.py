"""StatefulSet controller (`k/k pkg/controller/statefulset/stateful_set.go` sync, `stateful_set_control.go`
UpdateStatefulSet / updateStatefulSet / processReplica / processCondemned, `stateful_pod_control.go`).

A sync: adopt orphaned ControllerRevisions, claim the pods whose names say they belong to the set, find the current
and update revisions (creating, or renumbering for a rollback, the one matching the template), then:
- every ordinal in [start, start+replicas) gets its pod, its claims created first; with OrderedReady (monotonic)
  the walk stops at the first pod that is not yet created, Running and Ready (and available, minReadySeconds), so
  pods start one at a time in ordinal order; Parallel creates them all at once;
- pods beyond the range are condemned and deleted highest ordinal first, one at a time when monotonic;
- with RollingUpdate, the highest-ordinal pod at or above the partition that is not at the update revision is
  deleted (its replacement comes back at the new revision on a later sync), waiting for each to become available;
  OnDelete only replaces pods someone deleted;
- status is written and revisions beyond revisionHistoryLimit that no pod uses are deleted.

The store is the informer cache and is updated synchronously with every write, so expectations are left out, as
in the ReplicaSet and DaemonSet controllers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..kinds import statefulset as kind
from ..runtime import Controller, register_controller
from ..store import WatchEvent, deep_copy
from . import history
from . import statefulset_util as su
from .replicaset import _namespace_terminating

Obj = dict[str, Any]
RESOURCE = "statefulsets.apps"
CLAIMS = "persistentvolumeclaims"
STATEFULSET_CONTROLLER = "statefulset-controller"


class _Blocked(Exception):
    """A monotonic walk must stop here for this sync (upstream's `shouldExit`)."""


@register_controller
class StatefulSetController(Controller):
    name = STATEFULSET_CONTROLLER
    resources = (RESOURCE, "pods", history.REVISIONS)
    owner_kinds = {"pods": "StatefulSet", history.REVISIONS: "StatefulSet"}

    def start(self) -> None:
        for sts in self.store.iter(RESOURCE):
            self.queue.add(podutil.key_of(sts))

    # --- informer handlers -----------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.resource == RESOURCE:
            return (podutil.key_of(event.object),)
        return history.owner_keys(self.store, event, "StatefulSet", RESOURCE)

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get(RESOURCE, namespace, name)

    # --- sync ----------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        sts = self.store.get(RESOURCE, namespace, name)
        if sts is None:
            return None
        revisions = history.sort_revisions(history.claim_revisions(self.api, sts))
        pods = self._claim_pods(sts)
        sts = self.store.get(RESOURCE, namespace, name) or sts
        current, update, collisions = self._revisions(sts, revisions)
        try:
            status = self._update(sts, current, update, collisions, pods)
        finally:
            self._truncate_history(sts, revisions, current, update)
        min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        if min_ready and status.get("availableReplicas", 0) != su.replicas(sts):
            return self._until_available(min_ready)
        return None

    def _until_available(self, min_ready: int) -> float:
        """syncStatefulSet's enqueueSSAfter(minReadySeconds): look again once a ready pod may have become
        available."""
        return float(min_ready)

    # --- pods ----------------------------------------------------------------------------------------------

    def _claim_pods(self, sts: Obj) -> list[Obj]:
        """getPodsForStatefulSet: ClaimPods, adopting only orphans whose names make them members of the set."""
        return history.claim_owned(self.api, sts, "pods", lambda pod: su.is_member(sts, pod))

    def _event(self, sts: Obj, verb: str, what: str, error: str | None) -> None:
        """recordPodEvent / recordClaimEvent, in the words a v1.36 controller-manager writes."""
        title = verb.title()
        if error is None:
            self.recorder.record(sts, "Normal", f"Successful{title}",
                                 f"{title} {what} in StatefulSet {sts['metadata']['name']} "
                                 f"{'success' if what.startswith('Claim') else 'successful'}", self.name)
        else:
            self.recorder.record(sts, "Warning", f"Failed{title}",
                                 f"{title} {what} in StatefulSet {sts['metadata']['name']} failed error: {error}",
                                 self.name)

    def _create_claims(self, sts: Obj, pod: Obj) -> None:
        """createPersistentVolumeClaims: each missing claim is created; one being deleted fails the pod."""
        problems = []
        number = su.ordinal(pod)
        for claim in su.claims_for(sts, number).values():
            cmeta = claim["metadata"]
            existing = self.store.get(CLAIMS, cmeta["namespace"], cmeta["name"])
            if existing is None:
                try:
                    self.api.create(claim)
                except ApiError as exc:
                    problems.append(f"failed to create PVC {cmeta['name']}: {exc.message}")
                    if exc.code != 409:
                        self._event(sts, "create", f"Claim {cmeta['name']} for Pod {pod['metadata']['name']}",
                                    exc.message)
                    continue
                self._event(sts, "create", f"Claim {cmeta['name']} Pod {pod['metadata']['name']}", None)
            elif existing["metadata"].get("deletionTimestamp"):
                problems.append(f"pvc {cmeta['name']} is being deleted")
        if problems:
            raise ApiError(500, "InternalError", problems[0] if len(problems) == 1
                           else "[" + ", ".join(problems) + "]")

    def _create_pod(self, sts: Obj, pod: Obj) -> None:
        """CreateStatefulPod: the claims first, then the pod, then the claims' owners as the policy says."""
        name = pod["metadata"]["name"]
        try:
            self._create_claims(sts, pod)
        except ApiError as exc:
            self._event(sts, "create", f"Pod {name}", exc.message)
            raise
        try:
            created = self.api.create(pod)
        except ApiError as exc:
            if exc.code == 409:
                raise  # sunk by upstream without an event; the next sync sees the pod
            if not _namespace_terminating(exc):
                self._event(sts, "create", f"Pod {name}", exc.message)
            raise
        self._update_claims_for_retention(sts, created)
        self._event(sts, "create", f"Pod {name}", None)

    def _delete_pod(self, sts: Obj, pod: Obj) -> None:
        """DeleteStatefulPod."""
        name = pod["metadata"]["name"]
        try:
            self.api.delete("pods", name, pod["metadata"].get("namespace", ""))
        except ApiError as exc:
            if exc.code == 404:
                return
            self._event(sts, "delete", f"Pod {name}", exc.message)
            raise
        self._event(sts, "delete", f"Pod {name}", None)

    def _pod_claims(self, sts: Obj, pod: Obj) -> list[Obj]:
        out = []
        for claim in su.claims_for(sts, su.ordinal(pod)).values():
            found = self.store.get(CLAIMS, claim["metadata"]["namespace"], claim["metadata"]["name"])
            if found is not None:
                out.append(found)
        return out

    def _claims_match_retention(self, sts: Obj, pod: Obj) -> bool:
        """ClaimsMatchRetentionPolicy (a missing claim counts as matching, as processReplica treats the error)."""
        return all(su.claim_owner_up_to_date(c, sts, pod) for c in self._pod_claims(sts, pod))

    def _update_claims_for_retention(self, sts: Obj, pod: Obj) -> None:
        """UpdatePodClaimForRetentionPolicy: rewrite the ownerReferences of the claims that disagree."""
        for claim in self._pod_claims(sts, pod):
            if su.claim_owner_up_to_date(claim, sts, pod):
                continue
            updated = deep_copy(claim)
            refs = su.claim_owner_refs(claim, sts, pod)
            if refs:
                updated["metadata"]["ownerReferences"] = refs
            else:
                updated["metadata"].pop("ownerReferences", None)
            self.api.update(updated)

    def _update_pod(self, sts: Obj, pod: Obj) -> None:
        """UpdateStatefulPod: restore the identity labels and the claims' owners (a pod's volumes cannot change
        once created, so a storage mismatch only gets its missing claims)."""
        changed = False
        if not su.identity_matches(sts, pod):
            name = pod["metadata"]["name"]
            self.api.patch("pods", name, pod["metadata"].get("namespace", ""),
                           {"metadata": {"labels": {su.POD_NAME_LABEL: name}}})
            changed = True
        if not su.storage_matches(sts, pod):
            self._create_claims(sts, pod)
        if not self._claims_match_retention(sts, pod):
            self._update_claims_for_retention(sts, pod)
        if changed:
            self._event(sts, "update", f"Pod {pod['metadata']['name']}", None)

    # --- revisions -----------------------------------------------------------------------------------------

    def _revisions(self, sts: Obj, revisions: list[Obj]) -> tuple[Obj, Obj, int]:
        """getStatefulSetRevisions: (current, update, collisionCount). The update revision is the template's: the
        latest revision if it matches, an older matching one renumbered (a rollback), or a new one."""
        collisions = int((sts.get("status") or {}).get("collisionCount") or 0)
        data = history.revision_data(sts)
        next_number = history.revision_number(revisions[-1]) + 1 if revisions else 1
        equal = [r for r in revisions if r.get("data") == data]
        if equal and revisions[-1] is equal[-1]:
            update = revisions[-1]
        elif equal:
            update = self.api.update({**deep_copy(equal[-1]), "revision": next_number})
        else:
            update, collisions = self._create_revision(sts, data, next_number, collisions)
        wanted = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == wanted), update)
        return current, update, collisions

    def _create_revision(self, sts: Obj, data: Obj, number: int, collisions: int) -> tuple[Obj, int]:
        """NewControllerRevision + CreateControllerRevision: `<set>-<hash>`, labelled with the template's labels
        and the hash, annotated with the set's annotations; a name taken by different data bumps the collision
        count and tries the next name."""
        meta = sts["metadata"]
        labels = dict(((sts["spec"]["template"].get("metadata") or {}).get("labels")) or {})
        labels[history.HASH_LABEL] = history.hash_revision(data, collisions)
        revision_meta: Obj = {"namespace": meta.get("namespace", ""), "labels": labels,
                              "ownerReferences": [podutil.owner_reference(sts)]}
        if meta.get("annotations"):
            revision_meta["annotations"] = dict(meta["annotations"])
        while True:
            name = f"{meta['name'][:223]}-{history.hash_revision(data, collisions)}"
            revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                        "metadata": {**revision_meta, "name": name}, "data": data, "revision": number}
            try:
                return self.api.create(revision), collisions
            except ApiError as exc:
                if exc.code != 409:
                    raise
            existing = self.store.get(history.REVISIONS, meta.get("namespace", ""), name)
            if existing is not None and existing.get("data") == data:
                return existing, collisions
            collisions += 1

    def _truncate_history(self, sts: Obj, revisions: list[Obj], current: Obj | None, update: Obj | None) -> None:
        """truncateHistory: the oldest revisions beyond revisionHistoryLimit go, except the current and update
        revisions and any a pod still runs."""
        live = {r["metadata"]["name"] for r in (current, update) if r is not None}
        live.update(su.pod_revision(p) for p in self.store.dependents(sts["metadata"]["uid"], "pods"))
        old = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = sts["spec"].get("revisionHistoryLimit")
        limit = limit if isinstance(limit, int) else 10
        if limit < 0 or len(old) <= limit:
            return
        for revision in old[:len(old) - limit]:
            history.delete_revision(self.api, revision)

    # --- updateStatefulSet -----------------------------------------------------------------------------------

    def _update(self, sts: Obj, current: Obj, update: Obj, collisions: int, pods: list[Obj]) -> Obj:
        now = self.clock.now()
        min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        start, count = su.start_ordinal(sts), su.replicas(sts)
        slots: list[Obj | None] = [None] * count
        condemned: list[Obj] = []
        for pod in pods:
            number = su.ordinal(pod)
            if start <= number < start + count:
                slots[number - start] = pod
            elif number >= 0:
                condemned.append(pod)
        replicas: list[Obj] = [pod if pod is not None else su.versioned_pod(sts, current, update, start + i)
                               for i, pod in enumerate(slots)]
        condemned.sort(key=su.ordinal, reverse=True)
        first_unavailable = next((p for p in replicas if su.is_unavailable(p, min_ready, now)), None)
        if first_unavailable is None:
            first_unavailable = next((p for p in reversed(condemned) if su.is_unavailable(p, min_ready, now)), None)

        error: ApiError | None = None
        current_adjust = 0
        try:
            if not sts["metadata"].get("deletionTimestamp"):
                current_adjust = self._converge(sts, current, update, replicas, condemned, first_unavailable,
                                                min_ready, now)
        except _Blocked:
            pass
        except ApiError as exc:
            error = exc
        # Counted over the pods as this sync found them, as upstream does: a pod created just now is counted by
        # the next sync (its creation wakes one), and one the rolling update deleted is taken off currentReplicas.
        status = self._status(sts, current, update, collisions, [*replicas, *condemned], min_ready, now)
        status["currentReplicas"] -= current_adjust
        self._write_status(sts, status)
        if error is not None:
            raise error
        return status

    def _converge(self, sts: Obj, current: Obj, update: Obj, replicas: list[Obj], condemned: list[Obj],
                  first_unavailable: Obj | None, min_ready: int, now: float) -> int:
        """The body of updateStatefulSet after the partition into replicas and condemned pods; raises _Blocked
        where a monotonic walk stops. Returns how many pods the rolling update just deleted (their count is taken
        off currentReplicas in the status, as upstream decrements it)."""
        monotonic = not su.allows_burst(sts)
        update_set = {**sts, "spec": {**sts["spec"], "template": history.revision_template(update)}}
        for i in range(len(replicas)):
            self._process_replica(sts, update_set, monotonic, replicas, i, min_ready, now)
        for pod in condemned:
            if not self._claims_match_retention(update_set, pod):
                self._update_claims_for_retention(update_set, pod)
        for pod in condemned:
            self._process_condemned(sts, pod, first_unavailable, monotonic, min_ready, now)
        if su.is_on_delete(sts):
            return 0
        rolling = (sts["spec"].get("updateStrategy") or {}).get("rollingUpdate")
        partition = int((rolling or {}).get("partition") or 0) if isinstance(rolling, dict) else 0
        update_name = update["metadata"]["name"]
        if kind.MAX_UNAVAILABLE_STATEFULSET:
            return self._update_after_invariant(sts, replicas, update_name, partition, min_ready, now)
        for target in range(len(replicas) - 1, partition - 1, -1):
            pod = replicas[target]
            if su.pod_revision(pod) != update_name and not su.is_terminating(pod):
                self._delete_pod(sts, pod)
                return 1
            if su.is_unavailable(pod, min_ready, now):
                return 0
        return 0

    def _update_after_invariant(self, sts: Obj, replicas: list[Obj], update_name: str, partition: int,
                                min_ready: int, now: float) -> int:
        """updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet): delete, highest ordinal first,
        as many out-of-date pods as maxUnavailable leaves room for."""
        unavailable = sum(1 for p in replicas if su.is_unavailable(p, min_ready, now))
        room = su.max_unavailable(sts) - unavailable
        deleted = 0
        for target in range(len(replicas) - 1, partition - 1, -1):
            if deleted >= room:
                break
            pod = replicas[target]
            if su.pod_revision(pod) != update_name and not su.is_terminating(pod):
                self._delete_pod(sts, pod)
                deleted += 1
        return deleted

    def _process_replica(self, sts: Obj, update_set: Obj, monotonic: bool, replicas: list[Obj], i: int,
                         min_ready: int, now: float) -> None:
        pod = replicas[i]
        phase = su.phase(pod)
        if phase in ("Failed", "Succeeded"):
            # A pod that ran to an end (evicted, its node rebooted) is replaced, whatever its exit code.
            if not su.is_terminating(pod):
                self._delete_pod(sts, pod)
            raise _Blocked  # the new pod is made on a later sync, once this one is gone
        if not su.is_created(pod):
            if self._claim_stale(sts, pod):
                raise _Blocked
            self._create_pod(sts, pod)
            if monotonic:
                raise _Blocked
            return
        if phase == "Pending":
            self._create_claims(sts, pod)  # createMissingPersistentVolumeClaims
        if monotonic and (su.is_terminating(pod) or not su.is_running_and_ready(pod)
                          or not su.is_running_and_available(pod, min_ready, now)):
            raise _Blocked
        if su.identity_matches(sts, pod) and su.storage_matches(sts, pod) and \
                self._claims_match_retention(update_set, pod):
            return
        self._update_pod(update_set, pod)

    def _claim_stale(self, sts: Obj, pod: Obj) -> bool:
        """PodClaimIsStale: with whenScaled Delete, wait while a claim still belongs to an earlier pod."""
        return any(su.claim_is_stale(sts, claim, pod) for claim in self._pod_claims(sts, pod))

    def _process_condemned(self, sts: Obj, pod: Obj, first_unavailable: Obj | None, monotonic: bool,
                           min_ready: int, now: float) -> None:
        if su.is_terminating(pod):
            if monotonic:
                raise _Blocked  # wait for it to go before the next one
            return
        if monotonic and pod is not first_unavailable and (
                not su.is_running_and_ready(pod) or not su.is_running_and_available(pod, min_ready, now)):
            raise _Blocked
        self._delete_pod(sts, pod)
        if monotonic:
            raise _Blocked

    # --- status --------------------------------------------------------------------------------------------

    def _status(self, sts: Obj, current: Obj, update: Obj, collisions: int, pods: list[Obj], min_ready: int,
                now: float) -> Obj:
        """updateStatus / computeReplicaStatus."""
        counts = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "currentReplicas": 0,
                  "updatedReplicas": 0}
        current_name, update_name = current["metadata"]["name"], update["metadata"]["name"]
        for pod in pods:
            if not su.is_created(pod):
                continue
            counts["replicas"] += 1
            if su.is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                counts["availableReplicas"] += su.is_running_and_available(pod, min_ready, now)
            if not su.is_terminating(pod):
                revision = su.pod_revision(pod)
                counts["currentReplicas"] += revision == current_name
                counts["updatedReplicas"] += revision == update_name
        return {"observedGeneration": sts["metadata"].get("generation", 1), **counts,
                "currentRevision": current_name, "updateRevision": update_name, "collisionCount": collisions}

    def _write_status(self, sts: Obj, status: Obj) -> None:
        """updateStatefulSetStatus: completeRollingUpdate, then a write only when something changed."""
        replicas = su.replicas(sts)
        if ((sts["spec"].get("updateStrategy") or {}).get("type") == kind.ROLLING_UPDATE
                and status["updatedReplicas"] == replicas and status["readyReplicas"] == replicas
                and status["replicas"] == replicas):
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        for field in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not status[field]:
                del status[field]  # omitempty, as the API server serialises zero values
        old = sts.get("status") or {}
        wanted = {**status, **{k: val for k, val in old.items() if k == "conditions"}}
        if wanted != old:
            latest = self.store.get(RESOURCE, sts["metadata"].get("namespace", ""), sts["metadata"]["name"]) or sts
            self.api.update_status({**latest, "status": wanted})
