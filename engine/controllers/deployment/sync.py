"""sync.go: what every sync path shares. Finding or creating the new ReplicaSet and syncing the revision
(getAllReplicaSetsAndSyncRevision), scaling ReplicaSets and proportional scaling for a scaling event or a paused
Deployment (sync, scale, scaleReplicaSet), revision history cleanup (cleanupDeployment), and the status counts
with the Available condition (syncDeploymentStatus, calculateStatus, checkPausedConditions).

The functions taking `dc` read the store and write through the API, as upstream's DeploymentController methods
do; the others are pure: they return the plan (sizes by ReplicaSet name, the object to write) and have table
tests ported from sync_test.go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import ApiError
from ...quoting import go_quote
from ...store import deep_copy
from .util import (
    DEFAULT_REVISION_HISTORY_LIMIT,
    DEPLOYMENT_AVAILABLE,
    DEPLOYMENT_PROGRESSING,
    FAILED_RS_CREATE_REASON,
    FOUND_NEW_RS_REASON,
    MINIMUM_AVAILABLE_MESSAGE,
    MINIMUM_REPLICAS_AVAILABLE,
    MINIMUM_REPLICAS_UNAVAILABLE,
    MINIMUM_UNAVAILABLE_MESSAGE,
    NEW_REPLICA_SET_REASON,
    PAUSED_DEPLOY_REASON,
    PAUSED_MESSAGE,
    POD_TEMPLATE_HASH_LABEL,
    RESUMED_DEPLOY_REASON,
    RESUMED_MESSAGE,
    REVISION_ANNOTATION,
    RS,
    TIMED_OUT_REASON,
    _int,
    _meta,
    _name,
    _spec,
    _status,
    _status_int,
    compute_hash,
    controller_ref,
    equal_ignore_hash,
    filter_active_replica_sets,
    find_active_or_latest,
    find_new_replica_set,
    find_old_replica_sets,
    get_actual_replica_count_for_replica_sets,
    get_available_replica_count_for_replica_sets,
    get_condition,
    get_desired_replicas_annotation,
    get_proportion,
    get_ready_replica_count_for_replica_sets,
    get_replica_count_for_replica_sets,
    get_terminating_replica_count_for_replica_sets,
    has_progress_deadline,
    has_revision_history_limit,
    is_controlled_by,
    is_rolling_update,
    is_saturated,
    max_revision,
    max_surge,
    max_unavailable,
    new_deployment_condition,
    new_rs_new_replicas,
    replicas_annotations_need_update,
    set_condition,
    set_deployment_revision,
    set_new_replica_set_annotations,
    set_replicas_annotations,
    sort_replica_sets_by_revision,
    sort_replica_sets_by_size_newer,
    sort_replica_sets_by_size_older,
    spec_replicas,
)

if TYPE_CHECKING:
    from .controller import DeploymentController

Obj = dict[str, Any]
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


# --- the controller's side: read the store, write through the API -------------------------------------------


def sync(dc: DeploymentController, d: Obj, rss: list[Obj]) -> float | None:
    """sync(): proportional scaling (and history cleanup while paused)."""
    new_rs, all_old = get_all_replica_sets_and_sync_revision(dc, d, rss, create=False)
    d = dc.current(d)
    # All old RSs, not only active ones: with none active, FindActiveOrLatest picks the newest of them all.
    for rs_name, replicas in plan_proportional_scale(d, new_rs, all_old).items():
        rs = next((r for r in [new_rs, *all_old] if r is not None and r["metadata"]["name"] == rs_name), None)
        if rs is not None:
            scale_replica_set(dc, d, rs, replicas)
    new_rs = dc.fresh([new_rs])[0] if new_rs is not None and dc.fresh([new_rs]) else new_rs
    all_old = dc.fresh(all_old)
    if d["spec"].get("paused"):
        cleanup_deployment(dc, d, all_old)
    sync_deployment_status(dc, d, new_rs, all_old)
    return None


def get_all_replica_sets_and_sync_revision(
    dc: DeploymentController, d: Obj, rss: list[Obj], create: bool
) -> tuple[Obj | None, list[Obj]]:
    """getAllReplicaSetsAndSyncRevision: (new RS or None, all old RSs)."""
    all_old, _ = find_old_replica_sets(d, rss)
    existing = find_new_replica_set(d, rss)
    if existing is not None:
        return _sync_existing_new_rs(dc, d, existing, all_old), all_old
    if not create:
        return None, all_old
    return _create_new_rs(dc, d, all_old), all_old


def _sync_existing_new_rs(dc: DeploymentController, d: Obj, rs: Obj, all_old: list[Obj]) -> Obj:
    # Only annotations and spec.minReadySeconds may change here: copy just those layers.
    updated = {**rs, "metadata": {**rs["metadata"], "annotations": dict(rs["metadata"].get("annotations") or {})},
               "spec": dict(rs["spec"])}
    changed = set_new_replica_set_annotations(d, updated, str(max_revision(all_old) + 1), True)
    min_ready = d["spec"].get("minReadySeconds", 0)
    if updated["spec"].get("minReadySeconds", 0) != min_ready:
        updated["spec"]["minReadySeconds"] = min_ready
        changed = True
    if changed:
        rs = dc.api.update(updated)
    _sync_deployment_revision(dc, d, rs)
    d = dc.current(d)
    status = deep_copy(d.get("status") or {})
    if get_condition(status, DEPLOYMENT_PROGRESSING) is None:
        set_condition(status, new_deployment_condition(
            DEPLOYMENT_PROGRESSING, "True", FOUND_NEW_RS_REASON,
            f"Found new replica set {go_quote(rs['metadata']['name'])}", dc.clock.now()))
        dc.write_status(d, status)
    return rs


def _sync_deployment_revision(dc: DeploymentController, d: Obj, rs: Obj) -> None:
    d = dc.current(d)
    d = {**d, "metadata": {**d["metadata"], "annotations": dict(d["metadata"].get("annotations") or {})}}
    if set_deployment_revision(d, (rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, "")):
        dc.api.update(d)


def _create_new_rs(dc: DeploymentController, d: Obj, all_old: list[Obj]) -> Obj | None:
    new_rs = build_new_replica_set(d, all_old)
    pod_template_hash = new_rs["metadata"]["labels"][POD_TEMPLATE_HASH_LABEL]
    new_rs["metadata"]["name"] = replica_set_name(d["metadata"]["name"], pod_template_hash)
    now = dc.clock.now()
    try:
        # Validated as any client's create: a name or annotations the Deployment's own validation allowed can
        # still make an invalid ReplicaSet, and a real API server refuses it.
        created = dc.api.create(new_rs)
    except ApiError as exc:
        if exc.code == 409:
            existing = dc.store.get(RS, d["metadata"].get("namespace", ""), new_rs["metadata"]["name"])
            if existing is not None and is_controlled_by(existing, d) and equal_ignore_hash(
                    existing["spec"].get("template"), d["spec"].get("template")):
                return existing
            # A hash collision: bump collisionCount so the next sync picks another name.
            status = deep_copy(dc.current(d).get("status") or {})
            status["collisionCount"] = status.get("collisionCount", 0) + 1
            dc.write_status(d, status)
            raise
        causes = (exc.status.get("details") or {}).get("causes") or ()
        if any(c.get("reason") == NAMESPACE_TERMINATING_CAUSE for c in causes):
            raise  # every create in the namespace fails from now on: nothing to report on the Deployment
        message = f"Failed to create new replica set {go_quote(new_rs['metadata']['name'])}: {exc.message}"
        if has_progress_deadline(d):
            status = deep_copy(dc.current(d).get("status") or {})
            set_condition(status, new_deployment_condition(
                DEPLOYMENT_PROGRESSING, "False", FAILED_RS_CREATE_REASON, message, now))
            dc.write_status(d, status)
        dc.recorder.record(d, "Warning", FAILED_RS_CREATE_REASON, message, dc.name)
        raise  # the queue retries with back-off, on the engine clock
    replicas = spec_replicas(created)
    if replicas > 0:
        dc.recorder.record(d, "Normal", "ScalingReplicaSet",
                           scaling_event_message(created["metadata"]["name"], 0, replicas), dc.name)
    _sync_deployment_revision(dc, d, created)
    status = deep_copy(dc.current(d).get("status") or {})
    set_condition(status, new_deployment_condition(
        DEPLOYMENT_PROGRESSING, "True", NEW_REPLICA_SET_REASON,
        f"Created new replica set {go_quote(created['metadata']['name'])}", now))
    dc.write_status(d, status)
    return created


def scale_replica_set(dc: DeploymentController, d: Obj, rs: Obj, replicas: int) -> bool:
    """scaleReplicaSetAndRecordEvent: True if the size changed."""
    current = dc.store.get(RS, rs["metadata"].get("namespace", ""), rs["metadata"]["name"]) or rs
    update, changed = scale_replica_set_update(current, replicas, d)
    if update is None:
        return False
    old_size = spec_replicas(current)
    dc.api.update(update)  # validated like any client's write: the API has the last word, not the controller
    if changed:
        dc.recorder.record(d, "Normal", "ScalingReplicaSet",
                           scaling_event_message(current["metadata"]["name"], old_size, replicas), dc.name)
    return changed


def cleanup_deployment(dc: DeploymentController, d: Obj, old: list[Obj]) -> None:
    """cleanupDeployment: delete the old RSs beyond revisionHistoryLimit (`plan_cleanup_deployment` picks them)."""
    for rs in plan_cleanup_deployment(d, old):
        try:
            dc.api.delete(RS, rs["metadata"]["name"], rs["metadata"].get("namespace"))
        except ApiError as exc:
            if exc.code != 404:
                raise


def sync_deployment_status(dc: DeploymentController, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
    """syncDeploymentStatus: counts and the Available condition, leaving Progressing alone."""
    d = dc.current(d)
    all_rss = [*old, new_rs] if new_rs is not None else list(old)
    dc.write_status(d, calculate_status(d, all_rss, new_rs, dc.clock.now()))


# --- plans: pure functions over the objects ------------------------------------------------------------------


def is_scaling_event(d: Mapping[str, Any], new_rs: Obj | None, old_rss: Sequence[Obj]) -> bool:
    """isScalingEvent: some active RS was sized for a different spec.replicas than d's current one."""
    replicas = spec_replicas(d)
    for rs in filter_active_replica_sets([*old_rss, new_rs]):
        desired = get_desired_replicas_annotation(rs)
        if desired is not None and desired != replicas:
            return True
    return False



def plan_proportional_scale(
    d: Mapping[str, Any], new_rs: Obj | None, old_rss: Sequence[Obj]
) -> dict[str, int]:
    """scale(): new sizes by RS name for a scaling event or a paused Deployment.

    * At most one active RS: it (or the newest RS) goes to spec.replicas -> ``{name: replicas}``, or ``{}``
      when it already has that size.
    * New RS saturated: every active old RS -> 0.
    * Otherwise (RollingUpdate only): every active RS, with proportionally distributed sizes and the
      rounding leftover given to the first in scaling order. Upstream calls scaleReplicaSet for each of
      them even if the size is unchanged (refreshing the desired/max-replicas annotations), so entries
      equal to the current size are included on purpose; see `scale_replica_set_update`.
    Recreate with several active RSs: ``{}``.
    """
    replicas = spec_replicas(d)
    single = find_active_or_latest(new_rs, old_rss)
    if single is not None:
        return {} if spec_replicas(single) == replicas else {_name(single): replicas}
    if is_saturated(d, new_rs):
        return {_name(rs): 0 for rs in filter_active_replica_sets(old_rss)}
    if not is_rolling_update(d):
        return {}

    active = filter_active_replica_sets([*old_rss, new_rs])
    allowed_size = replicas + max_surge(d) if replicas > 0 else 0
    to_add = allowed_size - get_replica_count_for_replica_sets(active)
    if to_add > 0:
        active = sort_replica_sets_by_size_newer(active)
    elif to_add < 0:
        active = sort_replica_sets_by_size_older(active)

    sizes: dict[str, int] = {}
    added = 0
    for rs in active:
        if to_add != 0:
            proportion = get_proportion(rs, d, to_add, added)
            sizes[_name(rs)] = spec_replicas(rs) + proportion
            added += proportion
        else:
            sizes[_name(rs)] = spec_replicas(rs)
    if active and to_add != 0:
        first = _name(active[0])
        sizes[first] = max(0, sizes[first] + to_add - added)
    return sizes



def plan_cleanup_deployment(d: Mapping[str, Any], old_rss: Sequence[Obj]) -> list[Obj]:
    """cleanupDeployment: old RSs to delete, lowest revision first, keeping revisionHistoryLimit of them.

    Only fully scaled-down RSs (spec and status replicas 0, status observed) that are not already being
    deleted are removed, so the result may be shorter than the excess.
    """
    if not has_revision_history_limit(d):
        return []
    alive = [rs for rs in old_rss if rs is not None and not _meta(rs).get("deletionTimestamp")]
    limit = _spec(d).get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    diff = len(alive) - int(limit)
    if diff <= 0:
        return []
    doomed: list[Obj] = []
    for rs in sort_replica_sets_by_revision(alive)[:diff]:
        if (
            _status_int(rs, "replicas") != 0
            or spec_replicas(rs) != 0
            or _int(_meta(rs).get("generation")) > _status_int(rs, "observedGeneration")
        ):
            continue
        doomed.append(rs)
    return doomed



def scale_replica_set_update(
    rs: Mapping[str, Any], new_scale: int, d: Mapping[str, Any]
) -> tuple[Obj | None, bool]:
    """scaleReplicaSet: (updated deep copy to write, size changed), or (None, False) if nothing to write.

    The copy carries the new spec.replicas and refreshed desired/max-replicas annotations; write it even
    when only the annotations changed. Emit `scaling_event_message` only when the size changed.
    """
    replicas = spec_replicas(d)
    max_replicas = replicas + max_surge(d)
    size_changed = spec_replicas(rs) != new_scale
    if not size_changed and not replicas_annotations_need_update(rs, replicas, max_replicas):
        return None, False
    updated = deep_copy(dict(rs))
    updated.setdefault("spec", {})["replicas"] = new_scale
    set_replicas_annotations(updated, replicas, max_replicas)
    return updated, size_changed


def scaling_event_message(rs_name: str, old_scale: int, new_scale: int) -> str:
    """The Normal `ScalingReplicaSet` event text (k/k PR #125118 wording), also used for a new RS (0 -> N)."""
    direction = "up" if old_scale < new_scale else "down"
    return f"Scaled {direction} replica set {rs_name} from {old_scale} to {new_scale}"



def build_new_replica_set(d: Mapping[str, Any], all_old_rss: Sequence[Obj]) -> Obj:
    """The ReplicaSet getNewReplicaSet would create (server-set metadata such as uid is left out).

    Name ``<deployment>-<hash>`` with the hash over d's template and status.collisionCount; the hash label
    goes on the template, the RS labels and selector.matchLabels; replicas from `new_rs_new_replicas`;
    annotations from `set_new_replica_set_annotations` with revision max(old)+1. On AlreadyExists the
    caller must check ownership/template equality and otherwise bump status.collisionCount.
    """
    meta = _meta(d)
    spec = _spec(d)
    template = deep_copy(spec.get("template") or {})
    pod_template_hash = compute_hash(template, _status(d).get("collisionCount"))
    template_meta = template.setdefault("metadata", {})
    labels = {**(template_meta.get("labels") or {}), POD_TEMPLATE_HASH_LABEL: pod_template_hash}
    template_meta["labels"] = labels
    selector = deep_copy(spec.get("selector") or {})
    selector["matchLabels"] = {
        **(selector.get("matchLabels") or {}),
        POD_TEMPLATE_HASH_LABEL: pod_template_hash,
    }

    rs_meta: Obj = {"name": f"{meta.get('name', '')}-{pod_template_hash}"}
    if meta.get("namespace"):
        rs_meta["namespace"] = meta["namespace"]
    rs_meta["labels"] = dict(labels)
    rs_meta["annotations"] = {}
    rs_meta["ownerReferences"] = [controller_ref(d)]
    rs_spec: Obj = {"replicas": 0}
    if spec.get("minReadySeconds"):
        rs_spec["minReadySeconds"] = spec["minReadySeconds"]
    rs_spec["selector"] = selector
    rs_spec["template"] = template
    new_rs: Obj = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": rs_meta, "spec": rs_spec}

    rs_spec["replicas"] = new_rs_new_replicas(d, [*all_old_rss, new_rs], new_rs)
    set_new_replica_set_annotations(d, new_rs, str(max_revision(all_old_rss) + 1), False)
    return new_rs



def calculate_status(
    d: Mapping[str, Any], all_rss: Sequence[Obj | None], new_rs: Obj | None, now: float
) -> Obj:
    """calculateStatus: the status the Deployment should have given its RSs.

    Zero counts are left out, as the API's JSON omits them. Existing conditions are copied, then the
    Available condition is set (True MinimumReplicasAvailable when available >= replicas - maxUnavailable,
    else False MinimumReplicasUnavailable). collisionCount is carried over. terminatingReplicas is included
    only when every synced RS reports it.
    """
    rss = [rs for rs in all_rss if rs is not None]
    available = get_available_replica_count_for_replica_sets(rss)
    unavailable = max(0, get_replica_count_for_replica_sets(rss) - available)
    counts = (
        ("observedGeneration", _int(_meta(d).get("generation"))),
        ("replicas", get_actual_replica_count_for_replica_sets(rss)),
        ("updatedReplicas", get_actual_replica_count_for_replica_sets([new_rs])),
        ("readyReplicas", get_ready_replica_count_for_replica_sets(rss)),
        ("availableReplicas", available),
        ("unavailableReplicas", unavailable),
    )
    status: Obj = {key: value for key, value in counts if value}
    terminating = get_terminating_replica_count_for_replica_sets(rss)
    if terminating is not None:
        status["terminatingReplicas"] = terminating

    holder: Obj = {}
    conditions = [dict(c) for c in _status(d).get("conditions") or ()]
    if conditions:
        holder["conditions"] = conditions
    if available >= spec_replicas(d) - max_unavailable(d):
        condition = new_deployment_condition(
            DEPLOYMENT_AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, MINIMUM_AVAILABLE_MESSAGE, now
        )
    else:
        condition = new_deployment_condition(
            DEPLOYMENT_AVAILABLE, "False", MINIMUM_REPLICAS_UNAVAILABLE, MINIMUM_UNAVAILABLE_MESSAGE, now
        )
    set_condition(holder, condition)
    status["conditions"] = holder["conditions"]
    collision_count = _status(d).get("collisionCount")
    if collision_count is not None:
        status["collisionCount"] = collision_count
    return status



def apply_paused_condition(d: Obj, now: float) -> bool:
    """checkPausedConditions (mutates d's status): Progressing=Unknown DeploymentPaused/"Deployment is
    paused" when paused, DeploymentResumed/"Deployment is resumed" when unpaused after that, so time spent
    paused never counts against the deadline. A ProgressDeadlineExceeded condition is never overwritten.
    Returns True if the status needs writing."""
    if not has_progress_deadline(d):
        return False
    status = d.setdefault("status", {})
    current = get_condition(status, DEPLOYMENT_PROGRESSING)
    if current is not None and current.get("reason") == TIMED_OUT_REASON:
        return False
    paused_exists = current is not None and current.get("reason") == PAUSED_DEPLOY_REASON
    paused = bool(_spec(d).get("paused"))
    if paused and not paused_exists:
        set_condition(
            status,
            new_deployment_condition(
                DEPLOYMENT_PROGRESSING, "Unknown", PAUSED_DEPLOY_REASON, PAUSED_MESSAGE, now
            ),
        )
        return True
    if not paused and paused_exists:
        set_condition(
            status,
            new_deployment_condition(
                DEPLOYMENT_PROGRESSING, "Unknown", RESUMED_DEPLOY_REASON, RESUMED_MESSAGE, now
            ),
        )
        return True
    return False
