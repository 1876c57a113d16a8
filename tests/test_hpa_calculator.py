"""The HPA's arithmetic, as table tests with upstream's numbers.

Replica calculation: `k/k pkg/controller/podautoscaler/replica_calculator_test.go` (the test's constants: a 2-minute
CPU initialization period, a 10 s initial readiness delay; a "hot" pod started now, a "cool" one 3 minutes ago;
requests of 1 core unless said). Behavior: horizontal.go's stabilizeRecommendationWithBehaviors,
calculateScaleUp/DownLimitWithScalingRules and convertDesiredReplicasWithRules, as horizontal_test.go's
TestNormalizeDesiredReplicasWithBehavior and TestScalingWithRules exercise them.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.controllers.horizontal_behavior import (
    Memory,
    Recommendation,
    ScaleEvent,
    normalize,
    normalize_with_behavior,
    scale_down_limit,
    scale_up_limit,
    store_scale_event,
)
from engine.controllers.replica_calculator import MetricError, PodMetric, ReplicaCalculator
from engine.kinds.horizontalpodautoscaler import DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP
from engine.timeutil import format_time

Obj = dict[str, Any]
NOW = 1_800_000_000.0
HOT, COOL = NOW, NOW - 180
CALC = ReplicaCalculator(cpu_initialization_period=120, initial_readiness_delay=10)


def pods(count: int, *, ready: list[str] | None = None, phase: list[str] | None = None,
         start: list[float] | None = None, deleting: list[bool] | None = None,
         requests: list[str] | None = None) -> list[Obj]:
    out = []
    for i in range(count):
        started = start[i] if start else COOL
        status = (ready[i] if ready else "True")
        meta: Obj = {"name": f"test-pod-{i}"}
        if deleting and deleting[i]:
            meta["deletionTimestamp"] = format_time(NOW)
        request = requests[i] if requests else "1.0"
        out.append({"metadata": meta,
                    "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": request}}}]},
                    "status": {"phase": phase[i] if phase else "Running", "startTime": format_time(started),
                               "conditions": [{"type": "Ready", "status": status,
                                               "lastTransitionTime": format_time(started)}]}})
    return out


def levels(values: list[int]) -> dict[str, PodMetric]:
    return {f"test-pod-{i}": PodMetric(v, NOW, 30.0) for i, v in enumerate(values)}


def cpu(current: int, target: int, the_pods: list[Obj], values: list[int]) -> tuple[int, int | None, int]:
    p = CALC.resource_replicas(current, target, "cpu", the_pods, levels(values), NOW, NOW)
    return p.replicas, p.utilization, p.raw


# (upstream test, current replicas, pods, levels, target %, expected replicas, expected utilization %)
CASES = [
    ("TestReplicaCalcScaleUp", 3, pods(3), [300, 500, 700], 30, 5, 50),
    ("TestReplicaCalcScaleUpUnreadyLessScale", 3, pods(3, ready=["False", "True", "True"]),
     [300, 500, 700], 30, 4, 60),
    ("TestReplicaCalcScaleUpHotCpuLessScale", 3, pods(3, start=[HOT, COOL, COOL]), [300, 500, 700], 30, 4, 60),
    ("TestReplicaCalcScaleUpUnreadyNoScale", 3, pods(3, ready=["True", "False", "False"]),
     [400, 500, 700], 30, 3, 40),
    ("TestReplicaCalcScaleUpIgnoresFailedPods", 2,
     pods(4, ready=["True", "True", "False", "False"], phase=["Running", "Running", "Failed", "Failed"]),
     [500, 700], 30, 4, 60),
    ("TestReplicaCalcScaleDown", 5, pods(5), [100, 300, 500, 250, 250], 50, 3, 28),
    ("TestReplicaCalcScaleDownIncludeUnreadyPods", 5, pods(5, ready=["True", "True", "True", "False", "False"]),
     [100, 300, 500, 250, 250], 50, 2, 30),
    ("TestReplicaCalcScaleDownExcludeUnscheduledPods", 5,
     pods(5, ready=["True", "False", "False", "False", "False"],
          phase=["Running", "Pending", "Pending", "Pending", "Pending"]), [100], 50, 1, 10),
    ("TestReplicaCalcScaleDownIgnoreHotCpuPods", 5, pods(5, start=[COOL, COOL, COOL, HOT, HOT]),
     [100, 300, 500, 250, 250], 50, 2, 30),
    ("TestReplicaCalcScaleDownIgnoresFailedPods", 5,
     pods(7, ready=["True"] * 5 + ["False"] * 2, phase=["Running"] * 5 + ["Failed"] * 2),
     [100, 300, 500, 250, 250], 50, 3, 28),
    ("TestReplicaCalcScaleDownIgnoresDeletionPods", 5,
     pods(7, ready=["True"] * 5 + ["False"] * 2, deleting=[False] * 5 + [True] * 2),
     [100, 300, 500, 250, 250], 50, 3, 28),
    ("TestReplicaCalcTolerance", 3, pods(3, requests=["0.9", "1.0", "1.1"]), [1010, 1030, 1020], 100, 3, 102),
    ("TestReplicaCalcSuperfluousMetrics", 4, pods(4), [4000, 9500, 3000, 7000, 3200, 2000], 100, 24, 587),
    ("TestReplicaCalcMissingMetrics", 4, pods(4), [400, 95], 100, 3, 24),
    ("TestReplicaCalcMissingMetricsNoChangeEq", 2, pods(2), [1000], 100, 2, 100),
    ("TestReplicaCalcMissingMetricsNoChangeGt", 2, pods(2), [1900], 100, 2, 190),
    ("TestReplicaCalcMissingMetricsNoChangeLt", 2, pods(2), [600], 100, 2, 60),
    ("TestReplicaCalcMissingMetricsUnreadyChange", 3, pods(3, ready=["False", "True", "True"]), [100, 450], 50, 3, 45),
    ("TestReplicaCalcMissingMetricsHotCpuNoChange", 3, pods(3, start=[HOT, COOL, COOL]), [100, 450], 50, 3, 45),
    ("TestReplicaCalcMissingMetricsUnreadyScaleUp", 3, pods(3, ready=["False", "True", "True"]), [100, 2000], 50, 4,
     200),
    ("TestReplicaCalcMissingMetricsUnreadyScaleDown", 4, pods(4, ready=["False", "True", "True", "True"]),
     [100, 100, 100], 50, 3, 10),
]


@pytest.mark.parametrize(("current", "the_pods", "values", "target", "replicas", "utilization"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resource_replicas_as_upstream(current: int, the_pods: list[Obj], values: list[int], target: int,
                                       replicas: int, utilization: int) -> None:
    got, got_utilization, _ = cpu(current, target, the_pods, values)
    assert (got, got_utilization) == (replicas, utilization)


def test_utilization_is_integer_percent_of_the_summed_requests() -> None:
    """GetResourceUtilizationRatio truncates: 1400m of 5 cores is 28 %, and the raw average is 280m."""
    assert cpu(5, 50, pods(5), [100, 300, 500, 250, 250]) == (3, 28, 280)


def test_missing_pods_count_at_the_target_when_it_is_above_100_percent() -> None:
    """On a scale-down a missing pod uses max(100 %, target) of its request (fallbackUtilization)."""
    # 2 ready pods at 100m of 1 core (10 %) against 150 %; 2 missing pods count as 1500m: (200+3000)/4000 = 80 %.
    assert cpu(4, 150, pods(4), [100, 100]) == (3, 10, 100)


def test_errors_as_upstream() -> None:
    with pytest.raises(MetricError, match=r"^missing request for cpu in container app of Pod test-pod-0$"):
        no_request = pods(1)
        no_request[0]["spec"]["containers"][0]["resources"] = {}
        cpu(1, 100, no_request, [200])
    with pytest.raises(MetricError, match=r"^did not receive metrics for targeted pods \(pods might be unready\)$"):
        cpu(2, 50, pods(2, phase=["Pending", "Pending"]), [100, 100])
    with pytest.raises(MetricError, match=r"^no pods returned by selector while calculating replica count$"):
        cpu(2, 50, [], [100])


def test_average_value_targets() -> None:
    """calcPlainMetricReplicas with an AverageValue target: memory 200Mi each against 100Mi doubles the pods."""
    mi = 1024 * 1024 * 1000
    p = CALC.raw_resource_replicas(3, 100 * mi, "memory", pods(3), levels([200 * mi] * 3), NOW, NOW)
    assert (p.replicas, p.raw) == (6, 200 * mi)
    within = CALC.raw_resource_replicas(3, 100 * mi, "memory", pods(3), levels([105 * mi] * 3), NOW, NOW)
    assert within.replicas == 3  # 5 % over: within the tolerance


# --- behavior ------------------------------------------------------------------------------------------------

UP = DEFAULT_SCALE_UP
DOWN = {**DEFAULT_SCALE_DOWN, "stabilizationWindowSeconds": 300}


@pytest.mark.parametrize(("current", "desired", "maximum", "expected", "reason"), [
    (10, 50, 1000, 20, "ScaleUpLimit"),  # 100 % beats 4 pods
    (1, 50, 1000, 5, "ScaleUpLimit"),  # 4 pods beats 100 %
    (10, 50, 15, 15, "TooManyReplicas"),
    (10, 12, 1000, 12, "DesiredWithinRange"),
])
def test_default_scale_up_is_100_percent_or_4_pods_per_15_seconds(current: int, desired: int, maximum: int,
                                                                  expected: int, reason: str) -> None:
    result = normalize_with_behavior(Memory(), {"scaleUp": UP, "scaleDown": DOWN}, current, desired, 1, maximum, NOW)
    assert (result.replicas, result.limit[0]) == (expected, reason)


def test_scale_up_counts_what_was_added_within_the_period() -> None:
    """periodStartReplicas = current - added + deleted within each policy's period."""
    memory = Memory(scale_up=[ScaleEvent(10, NOW - 10)])  # 10 -> 20 ten seconds ago
    assert scale_up_limit(20, memory, UP, NOW) == 20  # the 15 s period started at 10: 100 % is spent
    assert scale_up_limit(20, memory, UP, NOW + 6) == 40  # the event has left the period


def test_select_policy_min_and_disabled() -> None:
    rules = {"selectPolicy": "Min", "policies": UP["policies"]}
    assert scale_up_limit(10, Memory(), rules, NOW) == 14  # the smaller change: 4 pods
    assert scale_up_limit(10, Memory(), {**rules, "selectPolicy": "Disabled"}, NOW) == 10
    down = {"selectPolicy": "Min", "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60},
                                                  {"type": "Percent", "value": 50, "periodSeconds": 60}]}
    assert scale_down_limit(10, Memory(), down, NOW) == 8
    assert scale_down_limit(10, Memory(), {**down, "selectPolicy": "Max"}, NOW) == 5
    assert scale_down_limit(7, Memory(), {"policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]},
                            NOW) == 3  # int32(7 * 0.5) truncates


def test_scale_down_one_pod_a_minute() -> None:
    rules = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
             "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}
    memory = Memory()
    result = normalize_with_behavior(memory, {"scaleUp": UP, "scaleDown": rules}, 5, 1, 1, 10, NOW)
    assert (result.replicas, result.limit[0], result.limited) == (4, "ScaleDownLimit", True)
    store_scale_event(memory, {"scaleDown": rules}, 5, 4, NOW)
    again = normalize_with_behavior(memory, {"scaleUp": UP, "scaleDown": rules}, 4, 1, 1, 10, NOW + 30)
    assert again.replicas == 4  # one pod already went within this minute
    later = normalize_with_behavior(memory, {"scaleUp": UP, "scaleDown": rules}, 4, 1, 1, 10, NOW + 61)
    assert later.replicas == 3


def test_scale_down_stabilization_keeps_the_highest_recent_recommendation() -> None:
    memory = Memory(recommendations=[Recommendation(8, NOW - 200), Recommendation(6, NOW - 100)])
    result = normalize_with_behavior(memory, {"scaleUp": UP, "scaleDown": DOWN}, 8, 2, 1, 10, NOW)
    assert (result.replicas, result.able_to_scale[0]) == (8, "ScaleDownStabilized")
    result = normalize_with_behavior(memory, {"scaleUp": UP, "scaleDown": DOWN}, 8, 2, 1, 10, NOW + 101)
    assert result.replicas == 6  # the 8 left the 300 s window


def test_scale_up_stabilization_keeps_the_lowest_recent_recommendation() -> None:
    up = {**UP, "stabilizationWindowSeconds": 60}
    memory = Memory(recommendations=[Recommendation(3, NOW - 30)])
    result = normalize_with_behavior(memory, {"scaleUp": up, "scaleDown": DOWN}, 3, 9, 1, 10, NOW)
    assert (result.replicas, result.able_to_scale[0]) == (3, "ScaleUpStabilized")


def test_without_behavior_scale_up_is_capped_at_twice_or_four() -> None:
    """convertDesiredReplicasWithRules: max(2 x current, 4); min/max replicas."""
    assert normalize(Memory(), 1, 10, 1, 10, NOW).replicas == 4
    assert normalize(Memory(), 3, 10, 1, 10, NOW).replicas == 6
    capped = normalize(Memory(), 3, 10, 1, 5, NOW)
    assert (capped.replicas, capped.limit[0]) == (5, "TooManyReplicas")
    floor = normalize(Memory(), 3, 1, 2, 5, NOW)
    assert (floor.replicas, floor.limit[0]) == (2, "TooFewReplicas")
