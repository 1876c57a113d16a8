"""DaemonSet controller (`k/k pkg/controller/daemon/daemon_controller.go` syncDaemonSet, `update.go`).

One pod per node that should run it (`Placement`: nodeSelector, node affinity, NoSchedule/NoExecute taints against
the template's tolerations plus the daemon tolerations). Each pod is pinned to its node by a required node
affinity on `metadata.name` and bound by the default scheduler, like upstream since ScheduleDaemonSetPods.

A sync: claim ControllerRevisions and find (or snapshot) the one matching the template (`constructHistory`); claim
pods and group them by target node; `manage` creates the missing pods and deletes those that must go; then, when
manage had nothing to do (upstream's expectations would hold the rolling update back until manage's writes were
observed), `rollingUpdate` replaces out-of-date pods within maxUnavailable / maxSurge; old revisions beyond
revisionHistoryLimit are deleted; status is written.

The store is this controller's informer cache and is updated synchronously with every write, so expectations are
always satisfied by the next sync and are left out, as in the ReplicaSet controller.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import podutil
from ..errors import ApiError
from ..runtime import Controller, register_controller
from ..selectors import selector_from_dict
from ..store import WatchEvent, deep_copy
from . import daemonset_util as du
from . import history
from .replicaset import SLOW_START_INITIAL_BATCH, _namespace_terminating, slow_start_batch

Obj = dict[str, Any]
RESOURCE = "daemonsets.apps"
REVISIONS = "controllerrevisions.apps"
DAEMONSET_CONTROLLER = "daemonset-controller"
BURST_REPLICAS = 250  # at most this many creates, and as many deletes, per sync
# failedPodsBackoff: flowcontrol.NewBackOff(1s, 15min) keyed by DaemonSet, generation and node.
FAILED_POD_BACKOFF_INITIAL = 1.0
FAILED_POD_BACKOFF_MAX = 900.0


def _key(obj: Obj) -> str:
    return podutil.key_of(obj)


def _true_conditions(node: Obj) -> set[str]:
    return {c.get("type", "") for c in (node.get("status") or {}).get("conditions") or () if c.get("status") == "True"}


def _node_change_ignorable(old: Obj, new: Obj) -> bool:
    """shouldIgnoreNodeUpdate: a heartbeat (same true conditions, same labels and spec) changes nothing here."""
    return (_true_conditions(old) == _true_conditions(new)
            and (old.get("metadata") or {}).get("labels") == (new.get("metadata") or {}).get("labels")
            and old.get("spec") == new.get("spec"))


class _Backoff:
    """flowcontrol.Backoff on the engine clock: per key, a delay that doubles on each failure up to a cap, and
    starts over once the key has been quiet for twice the cap."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, float]] = {}  # key -> (delay, last update)

    def in_backoff(self, key: str, now: float) -> float | None:
        """IsInBackOffSinceUpdate: the current delay while `now` is within it of the last update, else None."""
        entry = self._entries.get(key)
        if entry is None or now - entry[1] >= entry[0]:
            return None
        return entry[0]

    def next(self, key: str, now: float) -> None:
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * FAILED_POD_BACKOFF_MAX:
            self._entries[key] = (FAILED_POD_BACKOFF_INITIAL, now)
        else:
            self._entries[key] = (min(entry[0] * 2, FAILED_POD_BACKOFF_MAX), now)

    def gc(self, now: float) -> None:
        self._entries = {k: e for k, e in self._entries.items() if now - e[1] <= 2 * FAILED_POD_BACKOFF_MAX}


@register_controller
class DaemonSetController(Controller):
    name = DAEMONSET_CONTROLLER
    resources = (RESOURCE, "pods", "nodes", REVISIONS)
    owner_kinds = {"pods": "DaemonSet", REVISIONS: "DaemonSet"}

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._placements: dict[str, tuple[Obj, du.Placement]] = {}  # ds uid -> (its template, parsed)
        self.failed_pods_backoff = _Backoff()

    def start(self) -> None:
        for ds in self.store.iter(RESOURCE):
            self.queue.add(_key(ds))

    # --- informer handlers -----------------------------------------------------------------------------------

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        if event.resource == RESOURCE:
            return (_key(event.object),)
        if event.resource == "nodes":
            return self._keys_for_node(event)
        return self._keys_for_owned(event)

    def _keys_for_owned(self, event: WatchEvent) -> set[str]:
        """Pods and ControllerRevisions: their DaemonSet (before and after a change of owner), or, for an orphan that
        appeared or was relabelled, every DaemonSet that might adopt it (addPod/updatePod, addHistory/...)."""
        return history.owner_keys(self.store, event, "DaemonSet", RESOURCE)

    def _keys_for_node(self, event: WatchEvent) -> list[str]:
        """addNode/updateNode: the DaemonSets whose verdict on the node changed. A deleted node's daemon pods are
        left to the pod garbage collector, as upstream does; the status is recomputed all the same."""
        node, old = event.object, event.old
        if event.type == "MODIFIED" and old is not None and _node_change_ignorable(old, node):
            return []
        keys = []
        for ds in self.store.iter(RESOURCE):
            placement = self._placement(ds)
            if event.type == "MODIFIED" and old is not None and placement.should_run(old) == placement.should_run(node):
                continue
            if event.type == "ADDED" and not placement.should_run(node)[0]:
                continue
            keys.append(_key(ds))
        return keys

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = podutil.split_key(key)
        return self.store.get(RESOURCE, namespace, name)

    def _placement(self, ds: Obj) -> du.Placement:
        uid = ds["metadata"].get("uid", "")
        template = ds["spec"].get("template")
        cached = self._placements.get(uid)
        if cached is None or cached[0] is not template:
            cached = self._placements[uid] = (template, du.Placement(ds))
        return cached[1]

    # --- sync --------------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        namespace, name = podutil.split_key(key)
        ds = self.store.get(RESOURCE, namespace, name)
        if ds is None:
            live = {d["metadata"].get("uid") for d in self.store.iter(RESOURCE)}
            self._placements = {uid: p for uid, p in self._placements.items() if uid in live}
            return None
        selector = ds["spec"].get("selector")
        if isinstance(selector, dict) and selector_from_dict(selector).empty:
            self.recorder.record(ds, "Warning", "SelectingAll",
                                 "This daemon set is selecting all pods. A non-empty selector is required.", self.name)
            return None
        if ds["metadata"].get("deletionTimestamp"):
            # Its revisions may already be gone or orphaned: no status can be computed reliably (upstream's words).
            return None
        current, old = self._construct_history(ds)
        hash_ = (current["metadata"].get("labels") or {}).get(du.CONTROLLER_REVISION_HASH, "")
        ds = self.store.get(RESOURCE, namespace, name) or ds
        nodes = sorted(self.store.iter("nodes"), key=lambda n: n["metadata"]["name"])
        placement = self._placement(ds)
        requeues: list[float] = []
        node_pods = self._nodes_to_daemon_pods(ds)
        to_create, to_delete = self._manage(ds, nodes, node_pods, hash_, placement, requeues)
        error = self._sync_nodes(ds, to_delete, to_create, hash_)
        if not to_create and not to_delete and error is None:
            strategy = (ds["spec"].get("updateStrategy") or {}).get("type") or du.ROLLING_UPDATE
            if strategy == du.ROLLING_UPDATE:
                node_pods = self._nodes_to_daemon_pods(ds)
                error = self._rolling_update(ds, nodes, node_pods, hash_, placement)
        self._cleanup_history(ds, old)
        ds = self.store.get(RESOURCE, namespace, name) or ds
        wait = self._update_status(ds, nodes, hash_, placement)
        if wait is not None:
            requeues.append(wait)
        if error is not None:
            raise ApiError(500, "InternalError", error)
        self.failed_pods_backoff.gc(self.clock.now())
        return min(requeues) if requeues else None

    # --- pods -------------------------------------------------------------------------------------------------

    def _claim_pods(self, ds: Obj) -> list[Obj]:
        """ClaimPods: the pods this DaemonSet controls, after releasing those its selector no longer matches and
        adopting matching orphans."""
        return history.claim_owned(self.api, ds, "pods")

    def _nodes_to_daemon_pods(self, ds: Obj, include_deleted_terminal: bool = False) -> dict[str, list[Obj]]:
        """getNodesToDaemonPods: claimed pods by the node they run on or are pinned to. Terminal pods already being
        deleted are left out: nothing remains to be done with them."""
        out: dict[str, list[Obj]] = {}
        for pod in self._claim_pods(ds):
            if not include_deleted_terminal and podutil.is_terminal(pod) and pod["metadata"].get("deletionTimestamp"):
                continue
            node = du.target_node_name(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        return out

    def _manage(self, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str,
                placement: du.Placement, requeues: list[float]) -> tuple[list[str], list[str]]:
        """manage: the nodes needing a daemon pod and the pods to delete (podsShouldBeOnNode for every node, plus
        unbound pods pinned to nodes that no longer exist)."""
        to_create: list[str] = []
        to_delete: list[str] = []
        for node in nodes:
            create, delete = self._pods_should_be_on_node(ds, node, node_pods, hash_, placement, requeues)
            to_create.extend(create)
            to_delete.extend(delete)
        names = {n["metadata"]["name"] for n in nodes}
        for node_name in sorted(node_pods):
            if node_name not in names:
                to_delete.extend(p["metadata"]["name"] for p in node_pods[node_name] if not p["spec"].get("nodeName"))
        return to_create, to_delete

    def _pods_should_be_on_node(self, ds: Obj, node: Obj, node_pods: dict[str, list[Obj]], hash_: str,
                                placement: du.Placement, requeues: list[float]) -> tuple[list[str], list[str]]:
        node_name = node["metadata"]["name"]
        should_run, should_continue = placement.should_run(node)
        pods = node_pods.get(node_name)
        if should_run and pods is None:
            return [node_name], []
        if not should_continue:
            # The node may not keep a daemon pod (affinity, selector, an untolerated NoExecute taint).
            return [], [p["metadata"]["name"] for p in pods or () if not p["metadata"].get("deletionTimestamp")]
        to_delete: list[str] = []
        running: list[Obj] = []
        now = self.clock.now()
        namespace = ds["metadata"].get("namespace", "")
        for pod in pods or ():
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            name = pod["metadata"]["name"]
            if phase == "Failed":
                # Kubelets may reject a pod over and over: deleting failed pods is rate limited per node.
                backoff_key = f"{ds['metadata']['uid']}/{(ds.get('status') or {}).get('observedGeneration', 0)}/" \
                              f"{node_name}"
                delay = self.failed_pods_backoff.in_backoff(backoff_key, now)
                if delay is not None:
                    requeues.append(delay)
                    continue
                self.failed_pods_backoff.next(backoff_key, now)
                self.recorder.record(ds, "Warning", "FailedDaemonPod", f"Found failed daemon pod {namespace}/{name} "
                                     f"on node {node_name}, will try to kill it", self.name)
                to_delete.append(name)
            elif phase == "Succeeded":
                self.recorder.record(ds, "Normal", "SucceededDaemonPod", f"Found succeeded daemon pod "
                                     f"{namespace}/{name} on node {node_name}, will try to delete it", self.name)
                to_delete.append(name)
            else:
                running.append(pod)
        if not du.allows_surge(ds):
            # Without surge a node keeps only its oldest pod.
            to_delete.extend(p["metadata"]["name"] for p in du.by_creation(running)[1:])
            return [], to_delete
        if len(running) <= 1:
            return ([node_name] if not running and should_run else []), to_delete
        # Surging: an old and a new pod may share the node while the new one is not yet available.
        generation = du.template_generation(ds)
        oldest_new: Obj | None = None
        oldest_old: Obj | None = None
        for pod in du.by_creation(running):
            if du.is_pod_updated(pod, hash_, generation):
                if oldest_new is None:
                    oldest_new = pod
                    continue
            elif oldest_old is None:
                oldest_old = pod
                continue
            to_delete.append(pod["metadata"]["name"])
        if oldest_new is not None and oldest_old is not None:
            min_ready = ds["spec"].get("minReadySeconds", 0) or 0
            if not podutil.is_ready(oldest_old) or podutil.is_available(oldest_new, min_ready, now):
                to_delete.append(oldest_old["metadata"]["name"])
        return [], to_delete

    def _sync_nodes(self, ds: Obj, to_delete: list[str], to_create: list[str], hash_: str) -> str | None:
        """syncNodes: create at most burstReplicas pods in slow-start batches, delete at most as many."""
        error: str | None = None
        if to_create:
            template = self._pod_template(ds, hash_)
            nodes = iter(to_create[:BURST_REPLICAS])

            def create() -> str | None:
                return self._create_pod(ds, template, next(nodes))

            _, error = slow_start_batch(min(len(to_create), BURST_REPLICAS), SLOW_START_INITIAL_BATCH, create)
        namespace = ds["metadata"].get("namespace", "")
        for name in to_delete[:BURST_REPLICAS]:
            try:
                self.api.delete("pods", name, namespace)
            except ApiError as exc:
                if exc.code == 404:
                    continue
                self.recorder.record(ds, "Warning", "FailedDelete", f"Error deleting: {exc.message}", self.name)
                error = error or exc.message
                continue
            self.recorder.record(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {name}", self.name)
        return error

    def _pod_template(self, ds: Obj, hash_: str) -> Obj:
        """CreatePodTemplate: a private copy of the template with the daemon tolerations and the revision labels
        (pods of one sync share its parts; stored objects are never changed in place)."""
        template = deep_copy(ds["spec"]["template"])
        du.add_daemon_tolerations(template.setdefault("spec", {}))
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        generation = du.template_generation(ds)
        if generation is not None:
            labels[du.TEMPLATE_GENERATION_LABEL] = str(generation)
        if hash_:
            labels[du.CONTROLLER_REVISION_HASH] = hash_
        return template

    def _create_pod(self, ds: Obj, template: Obj, node_name: str) -> str | None:
        meta, tmeta = ds["metadata"], template["metadata"]
        spec = template["spec"]
        pod_meta: Obj = {"generateName": meta["name"] + "-", "namespace": meta.get("namespace", "default"),
                         "labels": dict(tmeta.get("labels") or {}), "ownerReferences": [podutil.owner_reference(ds)]}
        if tmeta.get("annotations"):
            pod_meta["annotations"] = dict(tmeta["annotations"])
        if tmeta.get("finalizers"):
            pod_meta["finalizers"] = list(tmeta["finalizers"])
        pod_spec = {**spec, "tolerations": [dict(t) for t in spec.get("tolerations") or ()],
                    "affinity": du.node_name_affinity(spec.get("affinity"), node_name)}
        try:
            # The template was validated with its DaemonSet; the pod is built fresh for this create.
            pod = self.api.create({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec},
                                  trusted=True)
        except ApiError as exc:
            if _namespace_terminating(exc):
                return None  # every create would fail: the namespace controller is removing us anyway
            self.recorder.record(ds, "Warning", "FailedCreate", f"Error creating: {exc.message}", self.name)
            return exc.message
        self.recorder.record(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}", self.name)
        return None

    # --- rolling update ----------------------------------------------------------------------------------------

    def _rolling_update(self, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str,
                        placement: du.Placement) -> str | None:
        """rollingUpdate: without surge, delete old pods while fewer than maxUnavailable nodes are unavailable
        (manage then creates their replacements); with surge, create new pods beside available old ones, at most
        maxSurge at a time, and delete each old pod once its replacement is available."""
        desired = 0
        for node in nodes:
            if placement.should_run(node)[0]:
                desired += 1
                node_pods.setdefault(node["metadata"]["name"], [])
        max_surge, max_unavailable = du.rolling_counts(ds, desired)
        now = self.clock.now()
        min_ready = ds["spec"].get("minReadySeconds", 0) or 0
        generation = du.template_generation(ds)
        by_name = {n["metadata"]["name"]: n for n in nodes}

        def available(pod: Obj) -> bool:
            return podutil.is_available(pod, min_ready, now)

        if max_surge == 0:
            unavailable = 0
            replacements: list[str] = []
            candidates: list[str] = []
            for node_name in sorted(node_pods):
                found = _updated_pods_on_node(node_pods[node_name], hash_, generation)
                if found is None:
                    unavailable += 1  # excess pods: manage prunes them first
                    continue
                new, old = found
                if (old is None) == (new is None):
                    unavailable += 1  # nothing there yet, or both: manage will settle it
                elif new is not None:
                    unavailable += not available(new)
                elif not available(old):  # type: ignore[arg-type]
                    replacements.append(old["metadata"]["name"])  # type: ignore[index]
                    unavailable += 1
                elif unavailable < max_unavailable:
                    candidates.append(old["metadata"]["name"])  # type: ignore[index]
            room = min(max(0, max_unavailable - unavailable), len(candidates))
            return self._sync_nodes(ds, replacements + candidates[:room], [], hash_)

        surge = 0
        now_available = 0
        to_delete: list[str] = []
        should_not_run: list[str] = []
        candidate_nodes: list[str] = []
        allowed_nodes: list[str] = []
        for node_name in sorted(node_pods):
            found = _updated_pods_on_node(node_pods[node_name], hash_, generation)
            if found is None:
                surge += 1
                continue
            new, old = found
            if old is not None:
                now_available += available(old)
            elif new is not None:
                now_available += available(new)
            if old is None:
                continue
            node = by_name.get(node_name)
            if new is None:
                runs = node is not None and placement.should_run(node)[0]
                if not available(old):
                    if not runs:
                        to_delete.append(old["metadata"]["name"])
                    else:
                        allowed_nodes.append(node_name)
                elif not runs:
                    should_not_run.append(old["metadata"]["name"])
                elif surge < max_surge:
                    candidate_nodes.append(node_name)
            elif not available(new):
                surge += 1
            else:
                to_delete.append(old["metadata"]["name"])
        # With surge the owner expects full availability: a pod on a node that should no longer run one goes
        # only once enough pods elsewhere are available.
        deletable = min(now_available - desired, len(should_not_run))
        if deletable > 0:
            to_delete.extend(should_not_run[:deletable])
        room = min(max(0, max_surge - surge), len(candidate_nodes))
        return self._sync_nodes(ds, to_delete, allowed_nodes + candidate_nodes[:room], hash_)

    # --- history -----------------------------------------------------------------------------------------------

    def _controlled_histories(self, ds: Obj) -> list[Obj]:
        """ClaimControllerRevisions: release what stopped matching, adopt matching orphans."""
        return history.claim_revisions(self.api, ds)

    def _construct_history(self, ds: Obj) -> tuple[Obj, list[Obj]]:
        """constructHistory: (the revision matching the template, the others). The current one is created when
        missing, deduplicated, and renumbered above every old one (a rollback makes an old revision current)."""
        current: list[Obj] = []
        old: list[Obj] = []
        for revision in self._controlled_histories(ds):
            labels = revision["metadata"].get("labels") or {}
            if du.CONTROLLER_REVISION_HASH not in labels:
                relabelled = deep_copy(revision)
                relabelled["metadata"].setdefault("labels", {})[du.CONTROLLER_REVISION_HASH] = \
                    revision["metadata"]["name"]
                revision = self.api.update(relabelled)
            (current if du.matches_revision(ds, revision) else old).append(revision)
        next_revision = max((du.revision_number(r) for r in old), default=0) + 1
        if not current:
            return self._snapshot(ds, next_revision), old
        keep = self._dedup(ds, current)
        if du.revision_number(keep) < next_revision:
            keep = self.api.update({**deep_copy(keep), "revision": next_revision})
        return keep, old

    def _dedup(self, ds: Obj, current: list[Obj]) -> Obj:
        """dedupCurHistories: keep the highest revision; relabel pods of the others before deleting them."""
        keep = current[0]
        for revision in current:
            if du.revision_number(revision) >= du.revision_number(keep):
                keep = revision
        if len(current) == 1:
            return keep
        keep_hash = (keep["metadata"].get("labels") or {}).get(du.CONTROLLER_REVISION_HASH)
        namespace = ds["metadata"].get("namespace", "")
        for pod in self._claim_pods(ds):
            if (pod["metadata"].get("labels") or {}).get(du.CONTROLLER_REVISION_HASH) != keep_hash:
                self.api.patch("pods", pod["metadata"]["name"], namespace,
                               {"metadata": {"labels": {du.CONTROLLER_REVISION_HASH: keep_hash}}})
        for revision in current:
            if revision is not keep:
                self.api.delete(REVISIONS, revision["metadata"]["name"], namespace)
        return keep

    def _snapshot(self, ds: Obj, number: int) -> Obj:
        """snapshot: a new ControllerRevision `<ds>-<hash>`; a name taken by another template bumps
        status.collisionCount and fails the sync, which retries with the new hash."""
        meta = ds["metadata"]
        hash_ = du.template_hash(ds)
        name = f"{meta['name']}-{hash_}"
        namespace = meta.get("namespace", "")
        labels = dict(((ds["spec"]["template"].get("metadata") or {}).get("labels")) or {})
        labels[du.CONTROLLER_REVISION_HASH] = hash_
        revision_meta: Obj = {"name": name, "namespace": namespace, "labels": labels,
                              "ownerReferences": [podutil.owner_reference(ds)]}
        if meta.get("annotations"):
            revision_meta["annotations"] = dict(meta["annotations"])
        revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": revision_meta,
                    "data": du.revision_data(ds), "revision": number}
        try:
            return self.api.create(revision)
        except ApiError as exc:
            if exc.code != 409:
                raise
        existing = self.store.get(REVISIONS, namespace, name)
        if existing is not None and du.matches_revision(ds, existing):
            return existing
        status = dict(ds.get("status") or {})
        status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
        self.api.update_status({**ds, "status": status})
        raise ApiError(409, "AlreadyExists", f'controllerrevisions.apps "{name}" already exists')

    def _cleanup_history(self, ds: Obj, old: list[Obj]) -> None:
        """cleanupHistory: delete the oldest revisions beyond revisionHistoryLimit that no pod still runs."""
        limit = ds["spec"].get("revisionHistoryLimit")
        excess = len(old) - (limit if isinstance(limit, int) else 10)
        if excess <= 0:
            return
        live = {(p["metadata"].get("labels") or {}).get(du.CONTROLLER_REVISION_HASH)
                for pods in self._nodes_to_daemon_pods(ds, include_deleted_terminal=True).values() for p in pods}
        for revision in sorted(old, key=du.revision_number):
            if excess <= 0:
                break
            if (revision["metadata"].get("labels") or {}).get(du.CONTROLLER_REVISION_HASH) in live:
                continue
            history.delete_revision(self.api, revision)
            excess -= 1

    # --- status ------------------------------------------------------------------------------------------------

    def _update_status(self, ds: Obj, nodes: list[Obj], hash_: str, placement: du.Placement) -> float | None:
        """updateDaemonSetStatus; returns how long until a ready pod becomes available (minReadySeconds)."""
        node_pods = self._nodes_to_daemon_pods(ds)
        now = self.clock.now()
        min_ready = ds["spec"].get("minReadySeconds", 0) or 0
        generation = du.template_generation(ds)
        desired = current = misscheduled = ready = updated = available = 0
        for node in nodes:
            should_run, _ = placement.should_run(node)
            pods = node_pods.get(node["metadata"]["name"])
            if not should_run:
                misscheduled += bool(pods)
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            oldest = du.by_creation(pods)[0]
            if podutil.is_ready(oldest):
                ready += 1
                available += podutil.is_available(oldest, min_ready, now)
            updated += du.is_pod_updated(oldest, hash_, generation)
        old_status = ds.get("status") or {}
        status: Obj = {"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                       "desiredNumberScheduled": desired, "numberReady": ready,
                       "observedGeneration": ds["metadata"].get("generation", 1),
                       "updatedNumberScheduled": updated, "numberAvailable": available,
                       "numberUnavailable": desired - available}
        if old_status.get("collisionCount") is not None:
            status["collisionCount"] = old_status["collisionCount"]
        for field in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
            if not status[field]:
                del status[field]  # omitempty, as the API server serialises zero values
        if status != old_status:
            self.api.update_status({**ds, "status": status})
        if not min_ready:
            return None
        waits = [since + min_ready - now for pods in node_pods.values() for p in pods
                 if (since := podutil.ready_since(p)) is not None and since + min_ready >= now]
        return max(0.0, min(waits)) + 0.001 if waits else None


def _updated_pods_on_node(pods: list[Obj], hash_: str, generation: int | None) -> tuple[Obj | None, Obj | None] | None:
    """findUpdatedPodsOnNode: the node's (new, old) live pods, None when it has more than one of either."""
    new: Obj | None = None
    old: Obj | None = None
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if du.is_pod_updated(pod, hash_, generation):
            if new is not None:
                return None
            new = pod
        else:
            if old is not None:
                return None
            old = pod
    return new, old
