"""rolling.go: the RollingUpdate strategy. Each sync grows the new ReplicaSet within maxSurge
(reconcileNewReplicaSet), then shrinks old ones within maxUnavailable: unhealthy replicas first
(cleanupUnhealthyReplicas), then available ones down to the minimum availability
(scaleDownOldReplicaSetsForRollingUpdate).

`rollout_rolling` reads the store and writes through the API; the `plan_*` functions are pure and carry the
table tests ported from rolling_test.go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .progress import sync_rollout_status
from .sync import cleanup_deployment, get_all_replica_sets_and_sync_revision, scale_replica_set
from .util import (
    RS,
    _meta,
    _name,
    _spec,
    _status_int,
    deployment_complete,
    filter_active_replica_sets,
    get_available_replica_count_for_replica_sets,
    get_replica_count_for_replica_sets,
    max_unavailable,
    new_rs_new_replicas,
    sort_replica_sets_by_creation_timestamp,
    spec_replicas,
)

if TYPE_CHECKING:
    from .controller import DeploymentController

Obj = dict[str, Any]


class ScaleStep(NamedTuple):
    """One scaleReplicaSet call the controller would make, in order (one event per step)."""

    name: str
    from_replicas: int
    to_replicas: int


def rollout_rolling(dc: DeploymentController, d: Obj, rss: list[Obj]) -> float | None:
    """rolloutRolling: scale up the new RS, or else scale down old ones; then clean up and report progress."""
    new_rs, all_old = get_all_replica_sets_and_sync_revision(dc, d, rss, create=True)
    d = dc.current(d)
    if new_rs is None:
        return None
    all_rss = [*all_old, new_rs]
    target = plan_reconcile_new_replica_set(d, all_rss, new_rs)
    if target is not None and scale_replica_set(dc, d, new_rs, target):
        return sync_rollout_status(dc, d, dc.fresh(all_old), dc.fresh([new_rs])[0])
    new_rs = dc.fresh([new_rs])[0]
    all_old = dc.fresh(all_old)
    active_old = filter_active_replica_sets(all_old)
    scaled_down = False
    for step in plan_reconcile_old_replica_sets(d, [*all_old, new_rs], active_old, new_rs):
        rs = dc.store.get(RS, d["metadata"].get("namespace", ""), step.name)
        if rs is not None and scale_replica_set(dc, d, rs, step.to_replicas):
            scaled_down = True
    all_old = dc.fresh(all_old)
    if not scaled_down and deployment_complete(d, d.get("status") or {}):
        cleanup_deployment(dc, d, all_old)
        all_old = dc.fresh(all_old)
    return sync_rollout_status(dc, d, all_old, new_rs)


# --- plans: pure functions over the objects ------------------------------------------------------------------


def plan_reconcile_new_replica_set(
    d: Mapping[str, Any], all_rss: Sequence[Obj | None], new_rs: Obj
) -> int | None:
    """reconcileNewReplicaSet (step A): the new RS's next size, or None if no scale is due."""
    replicas = spec_replicas(d)
    current = spec_replicas(new_rs)
    if current == replicas:
        return None
    if current > replicas:
        return replicas
    target = new_rs_new_replicas(d, all_rss, new_rs)
    return None if target == current else target


def plan_reconcile_old_replica_sets(
    d: Mapping[str, Any], all_rss: Sequence[Obj | None], old_rss: Sequence[Obj], new_rs: Obj | None
) -> list[ScaleStep]:
    """reconcileOldReplicaSets (step B) as the ordered list of scale calls: B1 then B2, so an RS may appear
    twice, which upstream reports as two ScalingReplicaSet events.

    ``all_rss`` is every RS (old and new); ``old_rss`` the old ones (inactive ones are ignored).
    Empty when nothing may be scaled down yet.
    """
    active_old = filter_active_replica_sets(old_rss)
    if get_replica_count_for_replica_sets(active_old) == 0:
        return []
    all_pods = get_replica_count_for_replica_sets(all_rss)
    min_avail = spec_replicas(d) - max_unavailable(d)
    # Unavailable new pods already use up the unavailability budget: without this, a crash-looping new
    # RS would let every sync take more old pods away (see the worked example in rolling.go).
    new_unavailable = (
        0 if new_rs is None else spec_replicas(new_rs) - _status_int(new_rs, "availableReplicas")
    )
    max_scaled_down = all_pods - min_avail - new_unavailable
    if max_scaled_down <= 0:
        return []
    steps, updated_old, _ = plan_cleanup_unhealthy_replicas(active_old, max_scaled_down)
    # Upstream recomputes availability over the (updated) active old RSs plus the new RS only.
    scope = [*updated_old, new_rs] if new_rs is not None else updated_old
    steps += plan_scale_down_old_for_rolling_update(d, scope, updated_old)
    return steps


def plan_cleanup_unhealthy_replicas(
    old_rss: Sequence[Obj], max_cleanup: int
) -> tuple[list[ScaleStep], list[Obj], int]:
    """cleanupUnhealthyReplicas (step B1): scale old RSs (oldest first) down by their unavailable
    replicas, at most ``max_cleanup`` in total. Returns (the scale steps, the old RSs as they are after
    them, replicas removed)."""
    steps: list[ScaleStep] = []
    updated: list[Obj] = []
    total = 0
    for rs in sort_replica_sets_by_creation_timestamp(old_rss):
        size = spec_replicas(rs)
        available = _status_int(rs, "availableReplicas")
        # Unready pods go first in the ReplicaSet's deletion order, so shrinking by (spec - available)
        # removes only unhealthy pods and cannot reduce availability.
        if total >= max_cleanup or size == 0 or size == available:
            updated.append(rs)
            continue
        count = min(max_cleanup - total, size - available)
        new_size = size - count
        if new_size > size:
            raise ValueError(
                f"when cleaning up unhealthy replicas, got invalid request to scale down "
                f"{_meta(rs).get('namespace', '')}/{_name(rs)} {size} -> {new_size}"
            )
        steps.append(ScaleStep(_name(rs), size, new_size))
        updated.append(_with_replicas(rs, new_size))
        total += count
    return steps, updated, total


def _with_replicas(rs: Obj, replicas: int) -> Obj:
    # What the API would hand back after the scale: same status, new spec.replicas.
    return {**rs, "spec": {**_spec(rs), "replicas": replicas}}


def plan_scale_down_old_for_rolling_update(
    d: Mapping[str, Any], all_rss: Sequence[Obj | None], old_rss: Sequence[Obj]
) -> list[ScaleStep]:
    """scaleDownOldReplicaSetsForRollingUpdate (step B2): remove (Σavailable over ``all_rss`` - minAvailable)
    replicas from old RSs, oldest first."""
    min_avail = spec_replicas(d) - max_unavailable(d)
    available = get_available_replica_count_for_replica_sets(all_rss)
    if available <= min_avail:
        return []
    steps: list[ScaleStep] = []
    goal = available - min_avail
    done = 0
    for rs in sort_replica_sets_by_creation_timestamp(old_rss):
        if done >= goal:
            break
        size = spec_replicas(rs)
        if size == 0:
            continue
        count = min(size, goal - done)
        steps.append(ScaleStep(_name(rs), size, size - count))
        done += count
    return steps
