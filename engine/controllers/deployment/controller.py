"""Deployment controller (`k/k pkg/controller/deployment/deployment_controller.go`): the informer handlers,
ReplicaSet adoption and syncDeployment, which picks the path the sync takes.

The paths live beside it as upstream's do: `sync.py` (scaling, the new ReplicaSet, history cleanup, status),
`rolling.py`, `recreate.py` and `progress.py`; the shared arithmetic is in `util.py`. Upstream writes them as
methods of one DeploymentController spread over those files; here they are functions taking the controller,
so each file keeps its own part and this class stays the one place that registers and wires it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ... import podutil
from ...errors import ApiError
from ...events import DEPLOYMENT_CONTROLLER
from ...runtime import Controller, register_controller
from ...selectors import selector_from_dict
from ...store import WatchEvent, deep_copy
from . import util as du
from .recreate import rollout_recreate
from .rolling import rollout_rolling
from .sync import (
    apply_paused_condition,
    get_all_replica_sets_and_sync_revision,
    is_scaling_event,
    sync,
    sync_deployment_status,
)
from .util import DEPLOYMENTS, RS

Obj = dict[str, Any]


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

    def claim_replica_sets(self, d: Obj) -> list[Obj]:
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

    def current(self, d: Obj) -> Obj:
        """The Deployment as the store has it now (a sync writes it several times), or `d` once it is gone."""
        meta = d["metadata"]
        return self.store.get(DEPLOYMENTS, meta.get("namespace", ""), meta["name"]) or d

    def fresh(self, rss: list[Obj]) -> list[Obj]:
        """The store's current version of each RS, leaving out those deleted meanwhile."""
        out = []
        for rs in rss:
            current = self.store.get(RS, rs["metadata"].get("namespace", ""), rs["metadata"]["name"])
            if current is not None:
                out.append(current)
        return out

    # --- writing -------------------------------------------------------------------------------------------

    def write_status(self, d: Obj, status: Obj) -> Obj:
        """Write `status` unless the current Deployment already has it; returns the Deployment as stored."""
        d = self.current(d)
        if status == d.get("status"):
            return d
        return self.api.update_status({**d, "status": status})

    # --- reconcile -----------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        """syncDeployment."""
        namespace, name = podutil.split_key(key)
        d = self.store.get(DEPLOYMENTS, namespace, name)
        if d is None:
            return None
        rss = self.claim_replica_sets(d)
        if any(_unobserved(rs) for rs in rss):
            # A ReplicaSet we just resized has not acted on it yet. On a real cluster its controller deletes the
            # surplus pods long before this controller's next decision reaches the new ReplicaSet's pods; here
            # both run in one drain, so wait for its status write (which re-queues us) to keep that order and
            # never overshoot maxSurge in actual pods.
            return None
        if d["metadata"].get("deletionTimestamp"):
            # syncStatusOnly: a Deployment being deleted only reports its counts.
            new_rs, old = get_all_replica_sets_and_sync_revision(self, d, rss, create=False)
            sync_deployment_status(self, d, new_rs, old)
            return None
        paused_view = {**d, "status": deep_copy(d.get("status") or {})}
        if apply_paused_condition(paused_view, self.clock.now()):
            d = self.write_status(d, paused_view["status"])
        if d["spec"].get("paused"):
            return sync(self, d, rss)
        new_rs = du.find_new_replica_set(d, rss)
        _, active_old = du.find_old_replica_sets(d, rss)
        if is_scaling_event(d, new_rs, active_old):
            return sync(self, d, rss)
        if (d["spec"].get("strategy") or {}).get("type") == du.RECREATE:
            return rollout_recreate(self, d, rss)
        return rollout_rolling(self, d, rss)


def _unobserved(rs: Obj) -> bool:
    """The ReplicaSet's controller has not yet reconciled its latest spec."""
    observed = (rs.get("status") or {}).get("observedGeneration", 0)
    return observed < rs["metadata"].get("generation", 0) and not rs["metadata"].get("deletionTimestamp")
