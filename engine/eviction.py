"""The Eviction subresource's logic (k/k pkg/registry/core/pod/storage/eviction.go, EvictionREST.Create): a graceful
delete that first asks the pod's PodDisruptionBudget. One code path for `POST pods/x/eviction`
(`engine/apiserver/eviction.py`) and for drain (`engine/drain.py`, `Cluster.drain`, the dashboard's node drain).

- Pods already Pending, Succeeded, Failed or terminating are deleted without asking (canIgnorePDB).
- A pod selected by no budget goes; by more than one, the eviction fails with 500 (unsupported).
- An unready pod goes without spending the budget when the budget is healthy (IfHealthyBudget, the default:
  currentHealthy >= desiredHealthy > 0) or its unhealthyPodEvictionPolicy is AlwaysAllow.
- Otherwise checkAndDecrement: a budget its controller has not caught up with (observedGeneration < generation)
  refuses with 429 and Retry-After 10; no disruption allowed refuses with 429 naming the budget's numbers; else
  disruptionsAllowed is decremented and the pod noted in status.disruptedPods (at the engine clock's now), so the
  disruption controller stops counting it as healthy before it is actually gone.
- The pod is marked `DisruptionTarget` (EvictionByEvictionAPI) and deleted gracefully (addConditionAndDeletePod).
"""

from __future__ import annotations

from typing import Any

from .api import Api
from .errors import ApiError
from .podutil import is_ready
from .selectors import labels_match
from .store import deep_copy
from .timeutil import format_time

Obj = dict[str, Any]

PDBS = "poddisruptionbudgets.policy"
DISRUPTION_TARGET = "DisruptionTarget"
DISRUPTION_ALLOWED = "DisruptionAllowed"
TOO_MANY_REQUESTS = "Cannot evict pod as it would violate the pod's disruption budget."
# policyv1.DisruptionBudgetCause: the cause type of every refusal a budget makes.
BUDGET_CAUSE = "DisruptionBudget"
MULTIPLE_BUDGETS = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
# MaxDisruptedPodSize: evictions the controller has not confirmed yet, beyond which the budget refuses outright.
MAX_DISRUPTED_PODS = 2000


def budgets_for(api: Api, pod: Obj) -> list[Obj]:
    """getPodDisruptionBudgets: the namespace's budgets whose selector matches the pod. Unlike the disruption
    controller, the eviction REST lets a nil or empty selector match nothing."""
    namespace = pod["metadata"].get("namespace", "")
    if not api.store.count(PDBS, namespace):
        return []
    found = []
    for pdb in api.store.iter(PDBS, namespace):
        selector = (pdb.get("spec") or {}).get("selector")
        if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            continue
        try:
            matches = labels_match(selector, pod["metadata"].get("labels") or {})
        except ApiError:  # an invalid selector matches no pod
            continue
        if matches:
            found.append(pdb)
    return found


def too_many_requests(cause: str, retry_after: int = 0) -> ApiError:
    """errors.NewTooManyRequests with a DisruptionBudget cause; `retry_after` > 0 becomes details.retryAfterSeconds
    (and the HTTP layer's Retry-After header)."""
    error = ApiError(429, "TooManyRequests", TOO_MANY_REQUESTS, causes=[{"reason": BUDGET_CAUSE, "message": cause}])
    if retry_after:
        error.status["details"]["retryAfterSeconds"] = retry_after
    return error


def _still_processing(name: str) -> ApiError:
    return too_many_requests(f"The disruption budget {name} is still being processed by the server.", 10)


def _forbidden(name: str, why: str) -> ApiError:
    # policy.Resource("poddisruptionbudget"): the singular, as upstream writes it.
    return ApiError(403, "Forbidden", f'poddisruptionbudget.policy "{name}" is forbidden: {why}',
                    name=name, group="policy", kind="poddisruptionbudget")


def disruption_allowed_condition(status: Obj, generation: int, now: float) -> None:
    """pdbhelper.UpdateDisruptionAllowedCondition (meta.SetStatusCondition: the transition time moves only with
    the status)."""
    allowed = (status.get("disruptionsAllowed") or 0) > 0
    wanted = {"type": DISRUPTION_ALLOWED, "status": "True" if allowed else "False",
              "reason": "SufficientPods" if allowed else "InsufficientPods", "message": "",
              "observedGeneration": generation}
    set_condition(status, wanted, now)


def set_condition(status: Obj, wanted: Obj, now: float) -> None:
    """meta.SetStatusCondition: replace the condition of that type, keeping its lastTransitionTime unless the
    status changed."""
    conditions = status.setdefault("conditions", [])
    for i, current in enumerate(conditions):
        if current.get("type") == wanted["type"]:
            since = current.get("lastTransitionTime") if current.get("status") == wanted["status"] else None
            conditions[i] = {**wanted, "lastTransitionTime": since or format_time(now)}
            return
    conditions.append({**wanted, "lastTransitionTime": format_time(now)})


def _check_and_decrement(api: Api, pod: Obj, pdb: Obj, dry_run: bool) -> None:
    meta, status = pdb["metadata"], deep_copy(pdb.get("status") or {})
    name = meta["name"]
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        raise _still_processing(name)
    allowed = status.get("disruptionsAllowed") or 0
    if allowed < 0:
        raise _forbidden(name, "pdb disruptions allowed is negative")
    if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_PODS:
        raise _forbidden(name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
    if allowed == 0:
        raise too_many_requests(f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy "
                                f"pods and has {status.get('currentHealthy', 0)} currently")
    status["disruptionsAllowed"] = allowed - 1
    if allowed == 1:
        disruption_allowed_condition(status, status.get("observedGeneration") or 0, api.clock.now())
    if dry_run:
        return
    status["disruptedPods"] = {**(status.get("disruptedPods") or {}),
                               pod["metadata"]["name"]: format_time(api.clock.now())}
    api.update_status({**pdb, "status": status}, trusted=True)


def _can_ignore_budget(pod: Obj) -> bool:
    """canIgnorePDB: a pod not running yet, finished, or already going disrupts nothing more by going."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Pending", "Succeeded", "Failed") or bool(pod["metadata"].get("deletionTimestamp"))


def _ask_budget(api: Api, pod: Obj, dry_run: bool) -> None:
    """Raise what the pod's budget answers when it refuses; return when the pod may go."""
    budgets = budgets_for(api, pod)
    if len(budgets) > 1:
        error = ApiError(500, "", MULTIPLE_BUDGETS)
        del error.status["reason"]  # upstream returns a bare Failure Status with code 500, no reason
        raise error
    if not budgets:
        return
    pdb = budgets[0]
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    if not is_ready(pod):
        if spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return  # an unhealthy pod does not count towards the budget: it goes without spending it
        desired = status.get("desiredHealthy") or 0
        if (status.get("currentHealthy") or 0) >= desired > 0:
            return  # IfHealthyBudget: the application is not disrupted now, deleting an unready pod keeps it so
    _check_and_decrement(api, pod, pdb, dry_run)


def evict(api: Api, pod: Obj, grace_period: int | None, dry_run: bool = False) -> None:
    """POST pods/eviction for `pod` (as just read): raises ApiError (429 when a budget refuses) or deletes it."""
    if not _can_ignore_budget(pod):
        _ask_budget(api, pod, dry_run)
    meta = pod["metadata"]
    if dry_run:
        api.delete("pods", meta["name"], meta.get("namespace"), grace_period=grace_period, dry_run=True)
        return
    _mark_disruption_target(api, pod)
    api.delete("pods", meta["name"], meta.get("namespace"), grace_period=grace_period, uid=meta.get("uid"))


def _mark_disruption_target(api: Api, pod: Obj) -> None:
    """addConditionAndDeletePod's conditionAppender (podutil.UpdatePodCondition): the pod says why it goes."""
    status = deep_copy(pod.get("status") or {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != DISRUPTION_TARGET]
    conditions.append({"type": DISRUPTION_TARGET, "status": "True", "reason": "EvictionByEvictionAPI",
                       "message": "Eviction API: evicting", "lastProbeTime": None,
                       "lastTransitionTime": format_time(api.clock.now())})
    status["conditions"] = conditions
    api.update_status({**pod, "status": status})
