"""recreate.go: the Recreate strategy. Scale every old ReplicaSet to 0, wait until none of their pods can still
be running, then bring the new ReplicaSet straight to spec.replicas.

`rollout_recreate` reads the store and writes through the API; the other functions are pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .progress import sync_rollout_status
from .sync import cleanup_deployment, get_all_replica_sets_and_sync_revision, scale_replica_set
from .util import (
    _meta,
    _name,
    deployment_complete,
    filter_active_replica_sets,
    get_actual_replica_count_for_replica_sets,
    spec_replicas,
)

if TYPE_CHECKING:
    from .controller import DeploymentController

Obj = dict[str, Any]


def rollout_recreate(dc: DeploymentController, d: Obj, rss: list[Obj]) -> float | None:
    """rolloutRecreate."""
    new_rs, all_old = get_all_replica_sets_and_sync_revision(dc, d, rss, create=False)
    d = dc.current(d)
    active_old = filter_active_replica_sets(all_old)
    scaled_down = False
    for rs_name, replicas in plan_scale_down_old_for_recreate(active_old).items():
        rs = next(r for r in active_old if r["metadata"]["name"] == rs_name)
        scaled_down = scale_replica_set(dc, d, rs, replicas) or scaled_down
    all_old = dc.fresh(all_old)
    if scaled_down:
        return sync_rollout_status(dc, d, all_old, new_rs)
    pods_by_rs = {rs["metadata"]["uid"]: dc.store.dependents(rs["metadata"]["uid"], "pods")
                  for rs in [*all_old, *([new_rs] if new_rs else [])]}
    if old_pods_running(new_rs, all_old, pods_by_rs):
        return sync_rollout_status(dc, d, all_old, new_rs)
    if new_rs is None:
        new_rs, all_old = get_all_replica_sets_and_sync_revision(dc, d, dc.claim_replica_sets(d), create=True)
        d = dc.current(d)
        if new_rs is None:
            return None
    # scaleUpNewReplicaSetForRecreate: straight to spec.replicas, whatever the RS's size was.
    if spec_replicas(new_rs) != spec_replicas(d):
        scale_replica_set(dc, d, new_rs, spec_replicas(d))
        new_rs = dc.fresh([new_rs])[0]
    if deployment_complete(d, d.get("status") or {}):
        cleanup_deployment(dc, d, all_old)
        all_old = dc.fresh(all_old)
    return sync_rollout_status(dc, d, all_old, new_rs)


# --- plans: pure functions over the objects ------------------------------------------------------------------


def plan_scale_down_old_for_recreate(old_rss: Sequence[Obj]) -> dict[str, int]:
    """scaleDownOldReplicaSetsForRecreate: every active old RS to 0."""
    return {_name(rs): 0 for rs in filter_active_replica_sets(old_rss)}


def old_pods_running(
    new_rs: Mapping[str, Any] | None, old_rss: Sequence[Obj], pods_by_rs_uid: Mapping[str, Sequence[Obj]]
) -> bool:
    """oldPodsRunning: Recreate must wait until no old pod can still be running.

    True if any old RS reports status.replicas > 0, or any pod owned by an RS other than ``new_rs`` is
    not Succeeded/Failed (Unknown counts as running: the node may just be unreachable).
    """
    if get_actual_replica_count_for_replica_sets(old_rss) > 0:
        return True
    new_uid = _meta(new_rs).get("uid") if new_rs is not None else None
    for rs_uid, pods in pods_by_rs_uid.items():
        if new_uid is not None and rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False
