"""The ResourceQuota admission plugin (`k8s.io/apiserver/pkg/admission/plugin/resourcequota`, controller.go
CheckRequest): the last validating step of a create or update in a namespace with quotas. It measures what the
request adds, refuses it with kube-apiserver's 403 when a matching quota would go over its hard limit, and
otherwise charges the quotas' `status.used` at once (before the object is stored), as upstream does so that
two requests in a row cannot both take the last unit. The quota controller recounts from the objects later."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..kinds import KindInfo, Obj
from .evaluators import (
    ResourceList,
    add,
    evaluator_for,
    mask,
    parse_list,
    pretty,
    quota_status,
    remove_zeros,
    subtract_non_negative,
)


def _forbidden(info: KindInfo, obj: Obj, why: str) -> errors.ApiError:
    """admission.NewForbidden: `pods "web-7d4b9-x2k9p" is forbidden: <why>`."""
    return errors.forbidden(info.plural, info.group, str(obj["metadata"].get("name", "")), why)


def _settle(api: Any, quotas: list[Obj]) -> list[Obj]:
    """Quotas the quota controller has not synced yet (status.hard differs from spec.hard) are synced now.

    Upstream, a quota whose status is still empty matches nothing, and the controller fills it in a few
    milliseconds, long before the next request of a `kubectl apply` arrives. k9py's controllers run only between
    requests, and a folder applied in one go would otherwise create a Deployment's pods before the quota above
    it counts anything; so the wait is settled here by doing the controller's sync now (its result is what the
    controller would write)."""
    out = []
    for quota in quotas:
        status = quota.get("status") or {}
        if status.get("hard") != (quota.get("spec") or {}).get("hard"):
            fresh = quota_status(api.store, api.registry, quota, api.clock.now())
            quota = api.update_status({**quota, "status": fresh}, trusted=True)
        out.append(quota)
    return out


def _interesting(info: KindInfo, evaluator: Any, quotas: list[Obj], obj: Obj) -> list[Obj]:
    """The quotas that limit this object, after checking their constraints and that their usage is known."""
    out = []
    for quota in quotas:
        if not evaluator.matches(quota, obj):
            continue
        status = quota.get("status") or {}
        hard = status.get("hard") or {}
        restricted = evaluator.matching_resources(hard)
        name = quota["metadata"]["name"]
        problem = evaluator.constraints(restricted, obj)
        if problem:
            raise _forbidden(info, obj, f"failed quota: {name}: {problem}")
        used = status.get("used") or {}
        unknown = [r for r in restricted if r in hard and r not in used]
        if unknown:
            raise _forbidden(info, obj, f"status unknown for quota: {name}, resources: {','.join(sorted(restricted))}")
        out.append(quota)
    return out


def _deltas(evaluator: Any, quotas: list[Obj], obj: Obj, old: Obj | None, now: float) -> dict[str, ResourceList]:
    """What the request adds to each quota: the object's usage, less what the old object already used where the
    quota matched the old one too (an update is charged the difference, never below zero)."""
    usage = evaluator.usage(obj, now)
    negative = sorted(name for name, amount in usage.items() if amount.value < 0)
    if negative:
        raise ValueError(",".join(negative))
    delta = usage
    if old is not None:
        delta = subtract_non_negative(usage, evaluator.usage(old, now))
    out = {}
    for quota in quotas:
        charged = delta if old is not None and evaluator.matches(quota, old) else usage
        charged = remove_zeros(charged)
        if charged:
            out[quota["metadata"]["name"]] = charged
    return out


def admit(api: Any, info: KindInfo, obj: Obj, old: Obj | None, dry_run: bool) -> None:
    """Evaluate a create (`old` None) or update of `obj` against the quotas of its namespace."""
    evaluator = evaluator_for(info.resource)
    if evaluator is None or not evaluator.handles(old is None, obj, old):
        return
    namespace = obj["metadata"].get("namespace", "")
    quotas = _settle(api, sorted(api.store.iter("resourcequotas", namespace), key=lambda q: q["metadata"]["name"]))
    quotas = _interesting(info, evaluator, quotas, obj)
    if not quotas:
        return
    now = api.clock.now()
    try:
        deltas = _deltas(evaluator, quotas, obj, old, now)
    except ValueError as exc:
        raise _forbidden(info, obj, f"quota usage is negative for resource(s): {exc}") from None
    updates = []
    for quota in quotas:
        delta = deltas.get(quota["metadata"]["name"])
        if delta is None:
            continue
        status = quota.get("status") or {}
        hard = parse_list(status.get("hard"))
        used = parse_list(status.get("used"))
        requested = mask(delta, hard)
        new_used = add(used, requested)
        exceeded = sorted(name for name in requested if new_used[name] > hard[name])
        if exceeded:
            raise _forbidden(info, obj, (
                f"exceeded quota: {quota['metadata']['name']}, requested: {pretty(mask(requested, exceeded))}, "
                f"used: {pretty(mask(used, exceeded))}, limited: {pretty(mask(hard, exceeded))}"))
        if requested:
            updates.append((quota, new_used))
    if dry_run:
        return  # a dry run is checked, never charged
    for quota, new_used in updates:
        status = {**(quota.get("status") or {}), "used": {name: str(amount) for name, amount in new_used.items()}}
        api.update_status({**quota, "status": status}, trusted=True)
