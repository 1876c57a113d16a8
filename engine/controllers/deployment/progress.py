"""progress.go: the Progressing and ReplicaFailure conditions after a rollout step (syncRolloutStatus), and
when to look again so a stuck rollout is reported once its progressDeadlineSeconds has passed
(requeueStuckDeployment). The predicates these build on (DeploymentComplete, DeploymentProgressing,
DeploymentTimedOut) are deployment_util.go's and live in `util.py`.

`sync_rollout_status` writes; the other functions are pure, with table tests ported from progress_test.go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .sync import calculate_status
from .util import (
    DEPLOYMENT_PROGRESSING,
    DEPLOYMENT_REPLICA_FAILURE,
    NEW_RS_AVAILABLE_REASON,
    REPLICA_SET_REPLICA_FAILURE,
    REPLICA_SET_UPDATED_REASON,
    TIMED_OUT_REASON,
    _go_quote,
    _int,
    _name,
    _progress_deadline,
    _status,
    _time_or_minus_inf,
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    get_condition,
    has_progress_deadline,
    new_deployment_condition,
    remove_condition,
    replica_set_to_deployment_condition,
    set_condition,
)

if TYPE_CHECKING:
    from .controller import DeploymentController

Obj = dict[str, Any]


def sync_rollout_status(dc: DeploymentController, d: Obj, old: list[Obj], new_rs: Obj | None) -> float | None:
    """syncRolloutStatus: counts, conditions, and when to re-check the progress deadline."""
    d = dc.current(d)
    now = dc.clock.now()
    all_rss = [*old, new_rs] if new_rs is not None else list(old)
    status = calculate_status(d, all_rss, new_rs, now)
    status = sync_rollout_status_conditions(d, all_rss, new_rs, status, now)
    d = dc.write_status(d, status)
    requeue = requeue_after_for_deadline(d, status, now)
    return None if requeue is None else requeue + 1.0


# --- plans: pure functions over the objects ------------------------------------------------------------------


def _replica_failures(all_rss: Sequence[Obj | None], new_rs: Obj | None) -> list[Obj]:
    # The new RS's failures win over old ones: they describe the rollout in progress.
    def failures(rs: Obj) -> list[Obj]:
        return [
            replica_set_to_deployment_condition(c)
            for c in _status(rs).get("conditions") or ()
            if c.get("type") == REPLICA_SET_REPLICA_FAILURE
        ]

    if new_rs is not None and (found := failures(new_rs)):
        return found
    return [c for rs in all_rss if rs is not None for c in failures(rs)]


def sync_rollout_status_conditions(
    d: Mapping[str, Any],
    all_rss: Sequence[Obj | None],
    new_rs: Obj | None,
    new_status: Mapping[str, Any],
    now: float,
) -> Obj:
    """syncRolloutStatus minus the write: the status to store, given `calculate_status`'s.

    Without a deadline the Progressing condition is dropped. Otherwise, unless the rollout had already
    completed (replicas == updated and the current reason is NewReplicaSetAvailable), the first match of
    complete / progressing / timed out sets Progressing (True NewReplicaSetAvailable
    ``ReplicaSet "x" has successfully progressed.``, True ReplicaSetUpdated ``ReplicaSet "x" is
    progressing.`` refreshing lastUpdateTime but keeping lastTransitionTime if it was True, False
    ProgressDeadlineExceeded ``ReplicaSet "x" has timed out progressing.``; ``Deployment "d" ...``
    when there is no new RS). Finally a ReplicaFailure condition is copied from the RSs or removed.
    If the result equals d's status, skip the write and use `requeue_after_for_deadline`.
    """
    status: Obj = dict(new_status)
    if "conditions" in status:
        status["conditions"] = list(status["conditions"])
    with_deadline = has_progress_deadline(d)
    if not with_deadline:
        remove_condition(status, DEPLOYMENT_PROGRESSING)

    current = get_condition(_status(d), DEPLOYMENT_PROGRESSING)
    is_complete = (
        _int(status.get("replicas")) == _int(status.get("updatedReplicas"))
        and current is not None
        and current.get("reason") == NEW_RS_AVAILABLE_REASON
    )
    if with_deadline and not is_complete:
        subject = (
            f"ReplicaSet {_go_quote(_name(new_rs))}"
            if new_rs is not None
            else f"Deployment {_go_quote(_name(d))}"
        )
        if deployment_complete(d, status):
            set_condition(
                status,
                new_deployment_condition(
                    DEPLOYMENT_PROGRESSING,
                    "True",
                    NEW_RS_AVAILABLE_REASON,
                    f"{subject} has successfully progressed.",
                    now,
                ),
            )
        elif deployment_progressing(d, status):
            condition = new_deployment_condition(
                DEPLOYMENT_PROGRESSING, "True", REPLICA_SET_UPDATED_REASON, f"{subject} is progressing.", now
            )
            # Same reason as before must still refresh lastUpdateTime (set_condition would ignore it),
            # so replace the condition outright, keeping lastTransitionTime while it stays True.
            if current is not None:
                if current.get("status") == "True":
                    if current.get("lastTransitionTime") is not None:
                        condition["lastTransitionTime"] = current["lastTransitionTime"]
                    else:
                        condition.pop("lastTransitionTime", None)
                remove_condition(status, DEPLOYMENT_PROGRESSING)
            set_condition(status, condition)
        elif deployment_timed_out(d, status, now):
            set_condition(
                status,
                new_deployment_condition(
                    DEPLOYMENT_PROGRESSING,
                    "False",
                    TIMED_OUT_REASON,
                    f"{subject} has timed out progressing.",
                    now,
                ),
            )

    failures = _replica_failures(all_rss, new_rs)
    if failures:
        set_condition(status, failures[0])
    else:
        remove_condition(status, DEPLOYMENT_REPLICA_FAILURE)
    return status


def requeue_after_for_deadline(
    d: Mapping[str, Any], new_status: Mapping[str, Any], now: float
) -> float | None:
    """requeueStuckDeployment: seconds until the progress deadline must be checked, 0.0 for "now"
    (upstream: rate-limited requeue), None when no check is needed (no deadline, no Progressing
    condition, complete, or already timed out). Upstream enqueues after ``value + 1`` seconds so the
    strict ``lastUpdateTime + deadline < now`` test passes on the next sync; do the same.
    """
    current = get_condition(_status(d), DEPLOYMENT_PROGRESSING)
    if not has_progress_deadline(d) or current is None:
        return None
    if deployment_complete(d, new_status) or current.get("reason") == TIMED_OUT_REASON:
        return None
    after = _time_or_minus_inf(current.get("lastUpdateTime")) + _progress_deadline(d) - now
    if after < 1.0:
        return 0.0
    return after
