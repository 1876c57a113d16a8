"""How the HPA controller turns a metric's proposal into the replica count it sets, as `k/k
pkg/controller/podautoscaler/horizontal.go` does: the stabilization windows over recent recommendations and the
rate limits, with a `behavior` (normalizeDesiredReplicasWithBehaviors, stabilizeRecommendationWithBehaviors,
convertDesiredReplicasWithBehaviorRate, calculateScaleUp/DownLimitWithScalingRules, storeScaleEvent) or without
one (normalizeDesiredReplicas, stabilizeRecommendation, convertDesiredReplicasWithRules: scale up at most to
max(2 x current, 4), scale down to the highest recommendation of the last 5 minutes).

Each function returns the count and the condition (reason, message) it sets; the records of past
recommendations and scale events are the controller's memory per HPA, kept on the engine's clock.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

Obj = dict[str, Any]
INT32_MAX = 2**31 - 1
# --horizontal-pod-autoscaler-downscale-stabilization
DOWNSCALE_STABILIZATION_WINDOW = 300.0
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0

WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
SCALE_UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
SCALE_DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
READY = ("ReadyForNewScale", "recommended size matches current size")
UP_STABILIZED = ("ScaleUpStabilized",
                 "recent recommendations were lower than current one, applying the lowest recent recommendation")
DOWN_STABILIZED = ("ScaleDownStabilized",
                   "recent recommendations were higher than current one, applying the highest recent recommendation")


@attrs.define
class Recommendation:
    replicas: int
    at: float


@attrs.define
class ScaleEvent:
    change: int
    at: float
    outdated: bool = False


@attrs.define
class Memory:
    """What the controller remembers of one HPA (its recommendations and scaleUp/DownEvents maps)."""

    recommendations: list[Recommendation] = attrs.Factory(list)
    scale_up: list[ScaleEvent] = attrs.Factory(list)
    scale_down: list[ScaleEvent] = attrs.Factory(list)


@attrs.frozen
class Normalized:
    replicas: int
    able_to_scale: tuple[str, str]  # the AbleToScale (True) reason and message
    limited: bool  # ScalingLimited's status
    limit: tuple[str, str]  # its reason and message


def _record(memory: Memory, desired: int, now: float, is_old: Any) -> None:
    """Keep the unstabilized recommendation, reusing the slot of one that has left every window."""
    for i, rec in enumerate(memory.recommendations):
        if is_old(rec):
            memory.recommendations[i] = Recommendation(desired, now)
            return
    memory.recommendations.append(Recommendation(desired, now))


def normalize(memory: Memory, current: int, desired: int, min_replicas: int, max_replicas: int, now: float,
              window: float = DOWNSCALE_STABILIZATION_WINDOW) -> Normalized:
    """normalizeDesiredReplicas: no `behavior`."""
    stabilized = desired
    cutoff = now - window
    for rec in memory.recommendations:
        if rec.at >= cutoff and rec.replicas > stabilized:
            stabilized = rec.replicas
    _record(memory, desired, now, lambda rec: rec.at < cutoff)
    able = DOWN_STABILIZED if stabilized != desired else READY
    up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    maximum, limit = (up_limit, SCALE_UP_LIMIT) if max_replicas > up_limit else (max_replicas, TOO_MANY)
    if stabilized < min_replicas:
        replicas, limit = min_replicas, TOO_FEW
    elif stabilized > maximum:
        replicas = maximum
    else:
        replicas, limit = stabilized, WITHIN_RANGE
    return Normalized(replicas, able, replicas != stabilized, limit)


def normalize_with_behavior(memory: Memory, behavior: Obj, current: int, desired: int, min_replicas: int,
                            max_replicas: int, now: float,
                            window: float = DOWNSCALE_STABILIZATION_WINDOW) -> Normalized:
    """normalizeDesiredReplicasWithBehaviors."""
    up, down = behavior.get("scaleUp") or {}, behavior.get("scaleDown") or {}
    # maybeInitScaleDownStabilizationWindow: the controller's flag stands in for an unset scale-down window.
    down_window = down.get("stabilizationWindowSeconds")
    down_window = window if down_window is None else float(down_window)
    up_cutoff = now - float(up.get("stabilizationWindowSeconds") or 0)
    down_cutoff = now - down_window
    up_rec = down_rec = desired
    for rec in memory.recommendations:
        if rec.at > up_cutoff:
            up_rec = min(rec.replicas, up_rec)
        if rec.at > down_cutoff:
            down_rec = max(rec.replicas, down_rec)
    stabilized = min(max(current, up_rec), down_rec)
    _record(memory, desired, now, lambda rec: rec.at < up_cutoff and rec.at < down_cutoff)
    if stabilized != desired:
        able = UP_STABILIZED if desired >= current else DOWN_STABILIZED
    else:
        able = READY
    replicas, limit = _rate_limited(memory, up, down, current, stabilized, min_replicas, max_replicas, now)
    return Normalized(replicas, able, replicas != stabilized, limit)


def _rate_limited(memory: Memory, up: Obj, down: Obj, current: int, desired: int, min_replicas: int,
                  max_replicas: int, now: float) -> tuple[int, tuple[str, str]]:
    """convertDesiredReplicasWithBehaviorRate."""
    if desired > current:
        up_limit = max(scale_up_limit(current, memory, up, now), current)
        maximum, limit = (up_limit, SCALE_UP_LIMIT) if max_replicas > up_limit else (max_replicas, TOO_MANY)
        if desired > maximum:
            return maximum, limit
    elif desired < current:
        down_limit = min(scale_down_limit(current, memory, down, now), current)
        minimum, limit = (down_limit, SCALE_DOWN_LIMIT) if min_replicas < down_limit else (min_replicas, TOO_FEW)
        if desired < minimum:
            return minimum, limit
    return desired, WITHIN_RANGE


def _changed_within(period: float, events: list[ScaleEvent], now: float) -> int:
    """getReplicasChangePerPeriod."""
    cutoff = now - period
    return sum(e.change for e in events if e.at > cutoff)


def _period_start(current: int, memory: Memory, period: float, now: float) -> int:
    return current - _changed_within(period, memory.scale_up, now) + _changed_within(period, memory.scale_down, now)


def scale_up_limit(current: int, memory: Memory, rules: Obj, now: float) -> int:
    """calculateScaleUpLimitWithScalingRules: Max picks the policy allowing the largest change, Min the least."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    pick, result = (min, INT32_MAX) if select == "Min" else (max, -INT32_MAX - 1)
    for policy in rules.get("policies") or ():
        start = _period_start(current, memory, float(policy.get("periodSeconds") or 0), now)
        value = int(policy.get("value") or 0)
        if policy.get("type") == "Pods":
            proposed = start + value
        else:  # Percent, rounded up so that a small target can always grow
            proposed = math.ceil(start * (1 + value / 100))
        result = pick(result, proposed)
    return result


def scale_down_limit(current: int, memory: Memory, rules: Obj, now: float) -> int:
    """calculateScaleDownLimitWithBehaviors."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    pick, result = (max, -INT32_MAX - 1) if select == "Min" else (min, INT32_MAX)
    for policy in rules.get("policies") or ():
        start = _period_start(current, memory, float(policy.get("periodSeconds") or 0), now)
        value = int(policy.get("value") or 0)
        if policy.get("type") == "Pods":
            proposed = start - value
        else:  # Percent: Go's int32() truncates toward zero
            proposed = int(start * (1 - value / 100))
        result = pick(result, proposed)
    return result


def store_scale_event(memory: Memory, behavior: Obj | None, previous: int, new: int, now: float) -> None:
    """storeScaleEvent: only HPAs with a behavior keep them (the rate policies read them)."""
    if behavior is None:
        return
    rising = new > previous
    rules = (behavior.get("scaleUp") if rising else behavior.get("scaleDown")) or {}
    longest = max((float(p.get("periodSeconds") or 0) for p in rules.get("policies") or ()), default=0.0)
    events = memory.scale_up if rising else memory.scale_down
    cutoff = now - longest
    for event in events:
        if event.at < cutoff:
            event.outdated = True
    event = ScaleEvent(abs(new - previous), now)
    for i, old in enumerate(events):
        if old.outdated:
            events[i] = event
            return
    events.append(event)
