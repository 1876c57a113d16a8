"""Table tests for the pure functions of engine/controllers/deployment/ (util, sync, rolling, recreate, progress).

The tables are ported from Kubernetes' own tests (pkg/controller/deployment/util/deployment_util_test.go,
sync_test.go, rolling_test.go, progress_test.go); the rolling-update walkthroughs follow
/work/shared/k8s-semantics.md §1.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.controllers.deployment import progress, recreate, rolling, sync
from engine.controllers.deployment import util as du
from engine.timeutil import format_time, parse_time

Obj = dict[str, Any]

T_NEW = "2016-05-20T02:00:00Z"
T_OLD = "2016-05-20T01:00:00Z"
T_OLDER = "2016-05-20T00:00:00Z"
MAX_INT32 = 2**31 - 1

_ABSENT = object()


def pod_template(image: str = "nginx", labels: dict[str, str] | None = None) -> Obj:
    return {
        "metadata": {"labels": dict(labels or {"name": image})},
        "spec": {
            "containers": [{"name": image, "image": image, "imagePullPolicy": "Always"}],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
        },
    }


def deployment(
    name: str = "foo",
    replicas: int = 1,
    *,
    max_surge: Any = 0,
    max_unavailable: Any = 0,
    strategy: str = "RollingUpdate",
    revision_history_limit: Any = None,
    progress_deadline: Any = None,
    template: Obj | None = None,
    generation: int | None = None,
    status: Obj | None = None,
) -> Obj:
    """Mirror of deployment_controller_test.go newDeployment: surge/unavailable 0, nil pointers."""
    d: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "annotations": {}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"foo": "bar"}},
            "template": template if template is not None else pod_template("foo", {"foo": "bar"}),
            "strategy": {"type": strategy},
            "revisionHistoryLimit": revision_history_limit,
            "progressDeadlineSeconds": progress_deadline,
        },
    }
    if strategy == "RollingUpdate":
        d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": max_surge, "maxUnavailable": max_unavailable}
    if generation is not None:
        d["metadata"]["generation"] = generation
    if status is not None:
        d["status"] = status
    return d


def rs(
    name: str,
    replicas: int,
    timestamp: str | None = None,
    *,
    status_replicas: int | None = None,
    available: int | None = None,
    ready: int | None = None,
    annotations: dict[str, str] | None = None,
    template: Obj | None = None,
) -> Obj:
    meta: Obj = {"name": name, "namespace": "default", "uid": f"uid-{name}"}
    if timestamp is not None:
        meta["creationTimestamp"] = timestamp
    if annotations is not None:
        meta["annotations"] = dict(annotations)
    status: Obj = {}
    if status_replicas is not None:
        status["replicas"] = status_replicas
    if ready is not None:
        status["readyReplicas"] = ready
    if available is not None:
        status["availableReplicas"] = available
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {"replicas": replicas, "template": template if template is not None else {}},
        "status": status,
    }


def sizes(rss: list[Obj], plan: dict[str, int]) -> dict[str, int]:
    current = {r["metadata"]["name"]: r["spec"]["replicas"] for r in rss if r is not None}
    current.update(plan)
    return current


# --- fenceposts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), [(1, 1, 0), (3, 1, 0), (4, 1, 1), (10, 3, 2)])
def test_default_fenceposts(replicas: int, surge: int, unavailable: int) -> None:
    explicit = deployment(replicas=replicas, max_surge="25%", max_unavailable="25%")
    defaulted = {"metadata": {"name": "x"}, "spec": {"replicas": replicas}}  # API defaults when absent
    for d in (explicit, defaulted):
        assert du.max_surge(d) == surge
        assert du.max_unavailable(d) == unavailable
    assert du.resolve_fenceposts("25%", "25%", replicas) == (surge, unavailable)


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "desired", "expected"),
    [
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        ("oops", "39%", 10, None),
        ("55%", "urg", 10, None),
        (None, "39%", 10, (0, 3)),
        ("39%", None, 10, (4, 0)),
        (None, None, 10, (0, 1)),
        (2, 1, 10, (2, 1)),
        (0, 0, 5, (0, 1)),
        (3, 2, 10, (3, 2)),
        ("100%", "0%", 3, (3, 0)),
    ],
)
def test_resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int, expected: Any) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            du.resolve_fenceposts(max_surge, max_unavailable, desired)
    else:
        assert du.resolve_fenceposts(max_surge, max_unavailable, desired) == expected


def test_scaled_value_from_int_or_percent() -> None:
    assert du.scaled_value_from_int_or_percent(5, 10, True) == 5
    assert du.scaled_value_from_int_or_percent("25%", 3, True) == 1
    assert du.scaled_value_from_int_or_percent("25%", 3, False) == 0
    assert du.scaled_value_from_int_or_percent("-10%", 15, True) == -1
    with pytest.raises(
        ValueError, match=r"^invalid value for IntOrString: invalid type: string is not a percentage$"
    ):
        du.scaled_value_from_int_or_percent("abc", 10, True)
    with pytest.raises(ValueError) as err:
        du.scaled_value_from_int_or_percent("abc%", 10, True)
    assert str(err.value) == (
        'invalid value for IntOrString: invalid value "abc%": strconv.Atoi: parsing "abc": invalid syntax'
    )
    with pytest.raises(ValueError, match=r"^nil value for IntOrString$"):
        du.scaled_value_from_int_or_percent(None, 10, True)
    with pytest.raises(ValueError, match="neither int nor percentage"):
        du.scaled_value_from_int_or_percent(True, 10, True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        du.scaled_value_from_int_or_percent(" 5%", 10, True)  # Go's Atoi rejects what int() accepts


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "expected"),
    [(10, 5, 5), (10, 10, 10), (5, 10, 5), (0, 10, 0), (10, "50%", 5), (10, "100%", 10), (5, "100%", 5)],
)
def test_max_unavailable(replicas: int, max_unavailable: Any, expected: int) -> None:
    assert (
        du.max_unavailable(deployment(replicas=replicas, max_surge=1, max_unavailable=max_unavailable))
        == expected
    )


def test_max_unavailable_and_surge_recreate() -> None:
    d = deployment(replicas=10, strategy="Recreate")
    assert du.max_unavailable(d) == 0
    assert du.max_surge(d) == 0


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "expected"),
    [(10, 5, 5), (10, 10, 0), (5, 10, 0), (0, 10, 0), (10, "60%", 4), (10, "100%", 0), (5, "100%", 0)],
)
def test_min_available(replicas: int, max_unavailable: Any, expected: int) -> None:
    # MinAvailable, as the rolling update applies it: with every old pod available, scaling old ReplicaSets
    # down stops at replicas - maxUnavailable.
    d = deployment(replicas=replicas, max_surge=1, max_unavailable=max_unavailable)
    old_rs = rs("foo-old", replicas, available=replicas)
    steps = rolling.plan_scale_down_old_for_rolling_update(d, [old_rs], [old_rs])
    assert (steps[-1].to_replicas if steps else replicas) == expected


# --- proportional scaling (sync_test.go TestScale) -----------------------------------------------------


def _updated_template(replicas: int) -> Obj:
    d = deployment("foo", replicas)
    d["spec"]["template"]["metadata"]["labels"]["another"] = "label"
    return d


SCALE_CASES: list[tuple[str, Obj, Obj, Obj | None, list[Obj], int | None, list[int], dict[str, int]]] = [
    ("normal scaling event: 10 -> 12", deployment("foo", 12), deployment("foo", 10),
     rs("foo-v1", 10, T_NEW), [], 12, [], {}),
    ("normal scaling event: 10 -> 5", deployment("foo", 5), deployment("foo", 10),
     rs("foo-v1", 10, T_NEW), [], 5, [], {}),
    ("proportional scaling: 5 -> 10", deployment("foo", 10), deployment("foo", 5),
     rs("foo-v2", 2, T_NEW), [rs("foo-v1", 3, T_OLD)], 4, [6], {}),
    ("proportional scaling: 5 -> 3", deployment("foo", 3), deployment("foo", 5),
     rs("foo-v2", 2, T_NEW), [rs("foo-v1", 3, T_OLD)], 1, [2], {}),
    ("proportional scaling: 9 -> 4", deployment("foo", 4), deployment("foo", 9),
     rs("foo-v2", 8, T_NEW), [rs("foo-v1", 1, T_OLD)], 4, [0], {}),
    ("proportional scaling: 7 -> 10", deployment("foo", 10), deployment("foo", 7),
     rs("foo-v3", 2, T_NEW), [rs("foo-v2", 3, T_OLD), rs("foo-v1", 2, T_OLDER)], 3, [4, 3], {}),
    ("proportional scaling: 13 -> 8", deployment("foo", 8), deployment("foo", 13),
     rs("foo-v3", 2, T_NEW), [rs("foo-v2", 8, T_OLD), rs("foo-v1", 3, T_OLDER)], 1, [5, 2], {}),
    ("leftover distribution: 3 -> 4", deployment("foo", 4), deployment("foo", 3),
     rs("foo-v3", 1, T_NEW), [rs("foo-v2", 1, T_OLD), rs("foo-v1", 1, T_OLDER)], 2, [1, 1], {}),
    ("leftover distribution: 3 -> 2", deployment("foo", 2), deployment("foo", 3),
     rs("foo-v3", 1, T_NEW), [rs("foo-v2", 1, T_OLD), rs("foo-v1", 1, T_OLDER)], 1, [1, 0], {}),
    ("proportional scaling (no new rs): 4 -> 5", deployment("foo", 5), deployment("foo", 4),
     None, [rs("foo-v2", 2, T_OLD), rs("foo-v1", 2, T_OLDER)], None, [3, 2], {}),
    ("proportional scaling: 6 -> 0", deployment("foo", 0), deployment("foo", 6),
     rs("foo-v3", 3, T_NEW), [rs("foo-v2", 2, T_OLD), rs("foo-v1", 1, T_OLDER)], 0, [0, 0], {}),
    ("proportional scaling: 0 -> 6", deployment("foo", 6), deployment("foo", 6),
     rs("foo-v3", 0, T_NEW), [rs("foo-v2", 0, T_OLD), rs("foo-v1", 0, T_OLDER)], 6, [0, 0], {}),
    ("failed rs update", deployment("foo", 5), deployment("foo", 5),
     rs("foo-v3", 2, T_NEW), [rs("foo-v2", 1, T_OLD), rs("foo-v1", 1, T_OLDER)], 2, [2, 1], {"foo-v2": 3}),
    ("deployment with surge pods", deployment("foo", 20, max_surge=2), deployment("foo", 10, max_surge=2),
     rs("foo-v2", 6, T_NEW), [rs("foo-v1", 6, T_OLD)], 11, [11], {}),
    ("change both surge and size", deployment("foo", 50, max_surge=6), deployment("foo", 10, max_surge=3),
     rs("foo-v2", 5, T_NEW), [rs("foo-v1", 8, T_OLD)], 22, [34], {}),
    ("change both size and template", _updated_template(14), deployment("foo", 10),
     None, [rs("foo-v2", 7, T_NEW), rs("foo-v1", 3, T_OLD)], None, [10, 4], {}),
    # k8s docs "proportional scaling" example: 10 replicas, surge 3, unavailable 2, a stuck rollout with
    # old 8 + new 5 (13 pods), scaled to 30: max 33, so old 8*33/13 -> 20 and new 5*33/13 -> 13.
    ("stuck rollout scaled 10 -> 30", deployment("foo", 30, max_surge=3, max_unavailable=2),
     deployment("foo", 10, max_surge=3, max_unavailable=2),
     rs("foo-v2", 5, T_NEW), [rs("foo-v1", 8, T_OLD)], 13, [20], {}),
]  # fmt: skip


@pytest.mark.parametrize("case", SCALE_CASES, ids=[c[0] for c in SCALE_CASES])
def test_proportional_scale(case: tuple[Any, ...]) -> None:
    _, d, old_d, new_rs, old_rss, expected_new, expected_old, desired_overrides = copy.deepcopy(case)
    for r in [new_rs, *old_rss]:
        if r is None:
            continue
        desired = desired_overrides.get(r["metadata"]["name"], old_d["spec"]["replicas"])
        du.set_replicas_annotations(r, desired, desired + du.max_surge(old_d))
    plan = sync.plan_proportional_scale(d, new_rs, old_rss)
    result = sizes([new_rs, *old_rss], plan)
    if new_rs is not None:
        assert result[new_rs["metadata"]["name"]] == expected_new
    assert [result[r["metadata"]["name"]] for r in old_rss] == expected_old


def test_proportional_scale_saturated_but_broken_new_rs_keeps_old_pods() -> None:
    d = deployment("foo", 2, max_surge=1, max_unavailable=1)
    new_rs = rs("foo-v2", 2, T_NEW, available=0)
    old = rs("foo-v1", 1, T_OLD)
    for r in (new_rs, old):
        du.set_replicas_annotations(r, 2, 3)
    assert sizes([new_rs, old], sync.plan_proportional_scale(d, new_rs, [old])) == {"foo-v2": 2, "foo-v1": 1}


def test_proportional_scale_saturated_new_rs_drops_old() -> None:
    d = deployment("foo", 3, max_surge=1)
    new_rs = rs("foo-v2", 3, T_NEW, available=3, annotations={du.DESIRED_REPLICAS_ANNOTATION: "3"})
    old = rs("foo-v1", 1, T_OLD)
    assert du.is_saturated(d, new_rs)
    assert sync.plan_proportional_scale(d, new_rs, [old, rs("foo-v0", 0, T_OLDER)]) == {"foo-v1": 0}


def test_proportional_scale_single_active_already_sized() -> None:
    d = deployment("foo", 3)
    assert sync.plan_proportional_scale(d, rs("foo-v1", 3, T_NEW), [rs("foo-v0", 0, T_OLD)]) == {}
    # No active RS and no new RS: the newest old one is scaled.
    plan = sync.plan_proportional_scale(d, None, [rs("foo-v0", 0, T_OLDER), rs("foo-v1", 0, T_OLD)])
    assert plan == {"foo-v1": 3}


@pytest.mark.parametrize(
    ("replicas", "status_replicas", "surge", "rs_replicas", "annotations", "expected"),
    [
        (0, 0, 0, 10, None, -10),
        (10, 0, 0, 5, None, 0),
        (10, 0, 0, 5, {du.MAX_REPLICAS_ANNOTATION: "0"}, 0),
        (120, 100, 0, 50, None, 10),
        (120, 100, 0, 50, {du.MAX_REPLICAS_ANNOTATION: "0"}, 10),
        (120, 0, 0, 50, {du.MAX_REPLICAS_ANNOTATION: "100"}, 10),
        (120, 0, 10, 50, {du.MAX_REPLICAS_ANNOTATION: "110"}, 9),
        (10, 0, 0, 6, {du.MAX_REPLICAS_ANNOTATION: "12"}, -1),
        (100, 0, 10, 50, {du.MAX_REPLICAS_ANNOTATION: "130"}, -8),
    ],
)
def test_get_replica_set_fraction(
    replicas: int, status_replicas: int, surge: int, rs_replicas: int, annotations: Any, expected: int
) -> None:
    d = deployment(
        "nginx", replicas, max_surge=surge, max_unavailable=1, status={"replicas": status_replicas}
    )
    assert du.get_replica_set_fraction(rs("nginx-1", rs_replicas, annotations=annotations), d) == expected


def test_get_proportion_clamps() -> None:
    d = deployment("foo", 10, status={"replicas": 5})
    r = rs("foo-1", 5, annotations={du.MAX_REPLICAS_ANNOTATION: "5"})
    assert du.get_proportion(r, d, 3, 0) == 3  # fraction 5, clamped to what is left to add
    assert du.get_proportion(r, d, 3, 3) == 0
    assert du.get_proportion(None, d, 3, 0) == 0
    shrink = deployment("foo", 1)
    assert du.get_proportion(r, shrink, -2, 0) == -2  # fraction -4, clamped to what is left to remove


# --- rolling update (rolling_test.go) ------------------------------------------------------------------


def _final_sizes(steps: list[rolling.ScaleStep]) -> dict[str, int]:
    """Each ReplicaSet's size once every scale call has been made (upstream's tables check only those)."""
    return {step.name: step.to_replicas for step in steps}


@pytest.mark.parametrize(
    ("strategy", "dep_replicas", "new_rs_replicas", "max_surge", "expected"),
    [("RollingUpdate", 1, 5, 1, 5), ("RollingUpdate", 6, 2, 10, 6), ("Recreate", 3, 1, 1, 3)],
)
def test_new_rs_new_replicas(
    strategy: str, dep_replicas: int, new_rs_replicas: int, max_surge: int, expected: int
) -> None:
    d = deployment("nginx", dep_replicas, strategy="RollingUpdate", max_surge=max_surge, max_unavailable=1)
    d["spec"]["strategy"]["type"] = strategy
    new_rs = rs("nginx-new", new_rs_replicas)
    assert du.new_rs_new_replicas(d, [rs("nginx-5", 5)], new_rs) == expected


def test_new_rs_new_replicas_unknown_strategy() -> None:
    d = deployment(strategy="Canary")
    with pytest.raises(ValueError, match="deployment type Canary isn't supported"):
        du.new_rs_new_replicas(d, [], rs("x", 0))


@pytest.mark.parametrize(
    ("dep_replicas", "max_surge", "old_replicas", "new_replicas", "expected"),
    [(10, 0, 10, 0, None), (10, 2, 10, 0, 2), (10, 2, 5, 0, 7), (10, 2, 10, 2, None), (10, 2, 2, 11, 10)],
)
def test_reconcile_new_replica_set(
    dep_replicas: int, max_surge: int, old_replicas: int, new_replicas: int, expected: int | None
) -> None:
    new_rs = rs("foo-v2", new_replicas)
    old_rs = rs("foo-v1", old_replicas)
    d = deployment("foo", dep_replicas, max_surge=max_surge, max_unavailable=0)
    assert rolling.plan_reconcile_new_replica_set(d, [new_rs, old_rs], new_rs) == expected


@pytest.mark.parametrize(
    (
        "dep_replicas",
        "max_unavailable",
        "old_replicas",
        "new_replicas",
        "ready_old",
        "ready_new",
        "expected_old",
    ),
    [
        (10, 0, 10, 0, 10, 0, 9),
        (10, 2, 10, 0, 10, 0, 8),
        (10, 2, 10, 0, 8, 0, 8),  # unhealthy old replicas cleaned up
        (10, 2, 10, 0, 9, 0, 8),  # one unhealthy cleaned up, one ready scaled down
        (10, 2, 8, 2, 8, 0, None),  # unavailable new pods block further scale-down
    ],
)
def test_reconcile_old_replica_sets(
    dep_replicas: int,
    max_unavailable: int,
    old_replicas: int,
    new_replicas: int,
    ready_old: int,
    ready_new: int,
    expected_old: int | None,
) -> None:
    new_rs = rs("foo-new", new_replicas, available=ready_new)
    old_rs = rs("foo-old", old_replicas, available=ready_old)
    d = deployment("foo", dep_replicas, max_surge=0, max_unavailable=max_unavailable)
    steps = rolling.plan_reconcile_old_replica_sets(d, [old_rs, new_rs], [old_rs], new_rs)
    assert _final_sizes(steps) == ({} if expected_old is None else {"foo-old": expected_old})


def test_reconcile_old_replica_sets_steps_report_both_phases() -> None:
    d = deployment("foo", 10, max_surge=0, max_unavailable=2)
    new_rs = rs("foo-new", 0, available=0)
    old_rs = rs("foo-old", 10, available=9)
    steps = rolling.plan_reconcile_old_replica_sets(d, [old_rs, new_rs], [old_rs], new_rs)
    assert steps == [rolling.ScaleStep("foo-old", 10, 9), rolling.ScaleStep("foo-old", 9, 8)]


@pytest.mark.parametrize(
    ("old_replicas", "ready", "max_cleanup", "expected"),
    [(10, 8, 1, 1), (10, 8, 3, 2), (10, 8, 0, 0), (10, 10, 3, 0)],
)
def test_cleanup_unhealthy_replicas(old_replicas: int, ready: int, max_cleanup: int, expected: int) -> None:
    old_rs = rs("foo-v2", old_replicas, available=ready)
    steps, updated, cleaned = rolling.plan_cleanup_unhealthy_replicas([old_rs], max_cleanup)
    assert cleaned == expected
    assert _final_sizes(steps) == ({} if expected == 0 else {"foo-v2": old_replicas - expected})
    assert du.spec_replicas(updated[0]) == old_replicas - expected


def test_cleanup_unhealthy_replicas_oldest_first() -> None:
    older = rs("a-older", 3, T_OLDER, available=1)
    old = rs("b-old", 3, T_OLD, available=0)
    steps, _, cleaned = rolling.plan_cleanup_unhealthy_replicas([old, older], 3)
    assert (_final_sizes(steps), cleaned) == ({"a-older": 1, "b-old": 2}, 3)


@pytest.mark.parametrize(
    ("dep_replicas", "max_unavailable", "ready", "old_replicas", "expected"),
    [
        (10, 0, 10, 10, 9),
        (10, 2, 10, 10, 8),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ],
)
def test_scale_down_old_replica_sets_for_rolling_update(
    dep_replicas: int, max_unavailable: int, ready: int, old_replicas: int, expected: int | None
) -> None:
    old_rs = rs("foo-v2", old_replicas, available=ready)
    d = deployment("foo", dep_replicas, max_surge=0, max_unavailable=max_unavailable)
    steps = rolling.plan_scale_down_old_for_rolling_update(d, [old_rs], [old_rs])
    assert _final_sizes(steps) == ({} if expected is None else {"foo-v2": expected})


# --- rolling-update walkthroughs (k8s-semantics.md §1) -------------------------------------------------


def _settle(rss: list[Obj], *, unavailable: frozenset[str] = frozenset()) -> None:
    """Kubelet + ReplicaSet controller in one step: pods exist for spec and, unless listed, are available."""
    for r in rss:
        n = r["spec"]["replicas"]
        ok = 0 if r["metadata"]["name"] in unavailable else n
        r["status"] = {"replicas": n, "readyReplicas": ok, "availableReplicas": ok, "observedGeneration": 1}


def _rolling_sync(d: Obj, rss: list[Obj], now: float) -> list[tuple[str, int, int]]:
    """One rolloutRolling pass driven by the planners; returns (rs, from, to) scale actions."""
    all_old, active_old = du.find_old_replica_sets(d, rss)
    new_rs = du.find_new_replica_set(d, rss)
    actions: list[tuple[str, int, int]] = []
    if new_rs is None:
        new_rs = sync.build_new_replica_set(d, all_old)
        new_rs["metadata"]["creationTimestamp"] = format_time(now)
        rss.append(new_rs)
        actions.append((new_rs["metadata"]["name"], 0, new_rs["spec"]["replicas"]))
    all_rss = [*all_old, new_rs]
    target = rolling.plan_reconcile_new_replica_set(d, all_rss, new_rs)
    if target is not None:
        actions.append((new_rs["metadata"]["name"], new_rs["spec"]["replicas"], target))
        new_rs["spec"]["replicas"] = target
        return actions
    by_name = {r["metadata"]["name"]: r for r in rss}
    for step in rolling.plan_reconcile_old_replica_sets(d, all_rss, active_old, new_rs):
        actions.append(tuple(step))  # type: ignore[arg-type]
        by_name[step.name]["spec"]["replicas"] = step.to_replicas
    return actions


def _rollout_fixture(replicas: int) -> tuple[Obj, list[Obj], str]:
    d = deployment("web", replicas, max_surge="25%", max_unavailable="25%", template=pod_template("v1"))
    old = sync.build_new_replica_set(d, [])
    old["metadata"]["creationTimestamp"] = T_OLDER
    old["spec"]["replicas"] = replicas
    rss = [old]
    _settle(rss)
    d["spec"]["template"] = pod_template("v2")
    return d, rss, old["metadata"]["name"]


def test_rolling_update_three_replicas_step_by_step() -> None:
    d, rss, old_name = _rollout_fixture(3)
    now = parse_time(T_NEW)
    first = _rolling_sync(d, rss, now)
    new_name = rss[-1]["metadata"]["name"]
    assert first == [(new_name, 0, 1)]  # new RS created with 1 replica (surge 1, unavailable 0)
    _settle(rss, unavailable=frozenset({new_name}))
    assert _rolling_sync(d, rss, now) == []  # nothing may go until the new pod is available
    expected = [
        [(old_name, 3, 2)],
        [(new_name, 1, 2)],
        [(old_name, 2, 1)],
        [(new_name, 2, 3)],
        [(old_name, 1, 0)],
        [],
    ]
    for step in expected:
        _settle(rss)
        assert _rolling_sync(d, rss, now) == step
    assert sizes(rss, {}) == {old_name: 0, new_name: 3}


def test_rolling_update_ten_replicas_first_sync_and_invariants() -> None:
    d, rss, old_name = _rollout_fixture(10)
    now = parse_time(T_NEW)
    first = _rolling_sync(d, rss, now)
    new_name = rss[-1]["metadata"]["name"]
    assert first == [(new_name, 0, 3), (old_name, 10, 8)]  # surge 3 / unavailable 2, both at once
    for _ in range(20):
        total = sum(r["spec"]["replicas"] for r in rss)
        assert total <= 13
        _settle(rss)
        assert sum(r["status"]["availableReplicas"] for r in rss) >= 8
        _rolling_sync(d, rss, now)
    assert sizes(rss, {}) == {old_name: 0, new_name: 10}


# --- conditions and progress (deployment_util_test.go, progress_test.go) -------------------------------


def _cond(cond_type: str, status: str, reason: str, **extra: str) -> Obj:
    return {"type": cond_type, "status": status, "reason": reason, **extra}


def test_get_set_remove_condition() -> None:
    progressing = _cond("Progressing", "False", "ForSomeReason")
    progressing2 = _cond("Progressing", "True", "BecauseItIs")
    available = _cond("Available", "True", "AwesomeController")

    status: Obj = {"conditions": [progressing, available]}
    assert du.get_condition(status, "Available") == available
    assert du.get_condition(status, "ReplicaFailure") is None
    assert du.get_condition(None, "Available") is None

    first: Obj = {}
    du.set_condition(first, available)
    assert first == {"conditions": [available]}
    simple: Obj = {"conditions": [progressing]}
    du.set_condition(simple, available)
    assert simple == {"conditions": [progressing, available]}
    overwrite: Obj = {"conditions": [progressing]}
    du.set_condition(overwrite, progressing2)
    assert overwrite == {"conditions": [progressing2]}

    empty: Obj = {}
    du.remove_condition(empty, "Progressing")
    assert empty == {}
    single: Obj = {"conditions": [progressing]}
    du.remove_condition(single, "Progressing")
    assert single == {}
    untouched: Obj = {"conditions": [progressing, available]}
    du.remove_condition(untouched, "ReplicaFailure")
    assert untouched == {"conditions": [progressing, available]}


def test_set_condition_keeps_transition_time_and_ignores_same_reason() -> None:
    old = du.new_deployment_condition("Progressing", "True", "ReplicaSetUpdated", "a", parse_time(T_OLDER))
    status: Obj = {"conditions": [old]}
    du.set_condition(
        status, du.new_deployment_condition("Progressing", "True", "ReplicaSetUpdated", "b", 9e9)
    )
    assert status["conditions"] == [old]  # same status and reason: not rewritten
    du.set_condition(
        status, du.new_deployment_condition("Progressing", "True", "NewReplicaSetAvailable", "c", 9e9)
    )
    cond = status["conditions"][0]
    assert cond["lastTransitionTime"] == T_OLDER
    assert cond["lastUpdateTime"] == format_time(9e9)
    du.set_condition(
        status, du.new_deployment_condition("Progressing", "False", "ProgressDeadlineExceeded", "d", 9e9)
    )
    assert status["conditions"][0]["lastTransitionTime"] == format_time(9e9)


def test_new_deployment_condition_shape() -> None:
    assert du.new_deployment_condition("Available", "True", "R", "M", parse_time(T_NEW)) == {
        "type": "Available",
        "status": "True",
        "lastUpdateTime": T_NEW,
        "lastTransitionTime": T_NEW,
        "reason": "R",
        "message": "M",
    }


@pytest.mark.parametrize(
    ("desired", "current", "updated", "available", "max_unavailable", "max_surge", "expected"),
    [
        (5, 5, 5, 4, 1, 0, False),
        (5, 5, 5, 3, 1, 0, False),
        (5, 5, 5, 5, 0, 0, True),
        (5, 5, 4, 5, 0, 0, False),
        (1, 2, 1, 1, 0, 1, False),
        (1, 1, 1, 0, 1, 1, False),
    ],
)
def test_deployment_complete(
    desired: int,
    current: int,
    updated: int,
    available: int,
    max_unavailable: int,
    max_surge: int,
    expected: bool,
) -> None:
    status = {"replicas": current, "updatedReplicas": updated, "availableReplicas": available}
    d = deployment(replicas=desired, max_surge=max_surge, max_unavailable=max_unavailable, status=status)
    assert du.deployment_complete(d, d["status"]) is expected


def test_deployment_complete_needs_observed_generation() -> None:
    status = {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2, "observedGeneration": 1}
    assert not du.deployment_complete(deployment(replicas=2, generation=2), status)
    assert du.deployment_complete(deployment(replicas=2, generation=1), status)


def _counts(current: int, updated: int, ready: int, available: int) -> Obj:
    return {
        "replicas": current,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ((10, 4, 4, 4), (10, 6, 4, 4), True),
        ((10, 4, 4, 4), (10, 4, 4, 4), False),
        ((10, 4, 6, 6), (8, 4, 6, 6), True),
        ((10, 7, 3, 3), (10, 6, 3, 3), False),
        ((10, 4, 7, 7), (8, 8, 5, 5), True),
        ((10, 10, 9, 8), (10, 10, 10, 8), True),
        ((10, 10, 10, 9), (10, 10, 10, 10), True),
    ],
)
def test_deployment_progressing(old: tuple[int, ...], new: tuple[int, ...], expected: bool) -> None:
    d = {"metadata": {"name": "x"}, "spec": {}, "status": _counts(*old)}
    assert du.deployment_progressing(d, _counts(*new)) is expected


def _timed(minute: int, second: int) -> str:
    return f"2016-01-01T00:{minute:02d}:{second:02d}Z"


@pytest.mark.parametrize(
    ("reason", "pds", "from_", "now", "expected"),
    [
        ("", None, _timed(1, 9), _timed(1, 20), False),
        ("", MAX_INT32, _timed(1, 9), _timed(1, 20), False),
        ("", 10, _timed(1, 9), _timed(1, 20), True),
        ("", 10, _timed(1, 11), _timed(1, 20), False),
        ("", 10, _timed(1, 10), _timed(1, 20), False),  # exactly at the deadline: not yet (strict Before)
        (du.NEW_RS_AVAILABLE_REASON, None, None, _timed(1, 20), False),
        (du.NEW_RS_AVAILABLE_REASON, 10, None, _timed(1, 20), False),
        (du.TIMED_OUT_REASON, 10, _timed(1, 19), _timed(1, 20), True),
    ],
)
def test_deployment_timed_out(
    reason: str, pds: int | None, from_: str | None, now: str, expected: bool
) -> None:
    cond: Obj = {"type": "Progressing", "status": "True", "reason": reason}
    if from_ is not None:
        cond["lastUpdateTime"] = from_
    d = {
        "metadata": {"name": "x"},
        "spec": {"progressDeadlineSeconds": pds},
        "status": {"conditions": [cond]},
    }
    assert du.deployment_timed_out(d, d["status"], parse_time(now)) is expected


def test_progress_deadline_defaults_when_absent() -> None:
    assert du.has_progress_deadline({"spec": {}})
    assert not du.has_progress_deadline({"spec": {"progressDeadlineSeconds": None}})
    assert not du.has_progress_deadline({"spec": {"progressDeadlineSeconds": MAX_INT32}})


def _current_deployment(
    pds: int | None,
    replicas: int,
    status_replicas: int,
    updated: int,
    available: int,
    conditions: list[Obj] | None,
) -> Obj:
    """progress_test.go currentDeployment (Recreate, always observed)."""
    status: Obj = {"replicas": status_replicas, "updatedReplicas": updated, "availableReplicas": available}
    if conditions is not None:
        status["conditions"] = copy.deepcopy(conditions)
    return {
        "metadata": {"name": "progress-test"},
        "spec": {"progressDeadlineSeconds": pds, "replicas": replicas, "strategy": {"type": "Recreate"}},
        "status": status,
    }


STUCK = [{"type": "Progressing", "status": "True", "lastUpdateTime": "2017-02-15T18:49:00Z"}]
FAILED = [{"type": "Progressing", "status": "False", "reason": du.TIMED_OUT_REASON}]


@pytest.mark.parametrize(
    ("d", "status", "now", "expected"),
    [
        (_current_deployment(None, 4, 3, 3, 2, None), (3, 3, 2), None, None),
        (_current_deployment(MAX_INT32, 4, 3, 3, 2, None), (3, 3, 2), None, None),
        (_current_deployment(60, 4, 3, 3, 2, None), (3, 3, 2), None, None),
        (_current_deployment(60, 3, 3, 3, 3, None), (3, 3, 3), None, None),
        (_current_deployment(60, 3, 3, 3, 0, FAILED), (3, 3, 0), None, None),
        (_current_deployment(60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:49:30Z", 30.0),
        (_current_deployment(60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:49:59Z", 1.0),
        (_current_deployment(60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:49:59.001Z", 0.0),
        (_current_deployment(60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:50:00Z", 0.0),
        (_current_deployment(60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:50:01Z", 0.0),
        (_current_deployment(60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:51:00Z", 0.0),
    ],
)
def test_requeue_after_for_deadline(
    d: Obj, status: tuple[int, int, int], now: str | None, expected: Any
) -> None:
    new_status = {"replicas": status[0], "updatedReplicas": status[1], "availableReplicas": status[2]}
    when = parse_time(now) if now else parse_time("2017-02-15T18:49:00Z")
    result = progress.requeue_after_for_deadline(d, new_status, when)
    assert result == (pytest.approx(expected) if expected is not None else None)


TEST_TIME = "2017-02-15T18:49:00Z"
TIMED_OUT_COND = {"type": "Progressing", "status": "False", "reason": du.TIMED_OUT_REASON}
NEW_RS_AVAILABLE_COND = {
    "type": "Progressing", "status": "True", "reason": du.NEW_RS_AVAILABLE_REASON,
    "lastUpdateTime": TEST_TIME, "lastTransitionTime": TEST_TIME,
}  # fmt: skip
RS_UPDATED_COND = {
    "type": "Progressing", "status": "True", "reason": du.REPLICA_SET_UPDATED_REASON,
    "lastUpdateTime": TEST_TIME, "lastTransitionTime": TEST_TIME,
}  # fmt: skip


def _rs_available(name: str, spec: int, status_replicas: int, available: int) -> Obj:
    return rs(name, spec, status_replicas=status_replicas, available=available)


SYNC_ROLLOUT_CASES: list[tuple[str, Obj, list[Obj], Obj | None, Any]] = [
    ("no progress deadline: Progressing removed",
     _current_deployment(None, 3, 2, 2, 2, [RS_UPDATED_COND]), [_rs_available("bar", 0, 1, 1)],
     _rs_available("foo", 3, 2, 2), None),
    ("only one active RS: no estimate",
     _current_deployment(60, 3, 3, 3, 3, [NEW_RS_AVAILABLE_COND]), [_rs_available("bar", 3, 3, 3)], None,
     ("True", du.NEW_RS_AVAILABLE_REASON, TEST_TIME, TEST_TIME)),
    ("progressing: keep lastTransitionTime when already True",
     _current_deployment(60, 3, 2, 2, 2, [RS_UPDATED_COND]), [_rs_available("bar", 0, 1, 1)],
     _rs_available("foo", 3, 2, 2), ("True", du.REPLICA_SET_UPDATED_REASON, "now", TEST_TIME)),
    ("progressing: update everything when it was False",
     _current_deployment(60, 3, 2, 2, 2, [TIMED_OUT_COND]), [_rs_available("bar", 0, 1, 1)],
     _rs_available("foo", 3, 2, 2), ("True", du.REPLICA_SET_UPDATED_REASON, "now", "now")),
    ("progressing: create the condition",
     _current_deployment(60, 3, 2, 2, 2, []), [_rs_available("bar", 0, 1, 1)],
     _rs_available("foo", 3, 2, 2), ("True", du.REPLICA_SET_UPDATED_REASON, "now", "now")),
    ("complete: keep lastTransitionTime when already True",
     _current_deployment(60, 3, 3, 3, 3, [RS_UPDATED_COND]), [], _rs_available("foo", 3, 3, 3),
     ("True", du.NEW_RS_AVAILABLE_REASON, "now", TEST_TIME)),
    ("complete: update everything when it was False",
     _current_deployment(60, 3, 3, 3, 3, [TIMED_OUT_COND]), [], _rs_available("foo", 3, 3, 3),
     ("True", du.NEW_RS_AVAILABLE_REASON, "now", "now")),
    ("complete: create the condition",
     _current_deployment(60, 3, 3, 3, 3, []), [], _rs_available("foo", 3, 3, 3),
     ("True", du.NEW_RS_AVAILABLE_REASON, "now", "now")),
    ("complete without a new RS",
     _current_deployment(60, 0, 3, 3, 3, [RS_UPDATED_COND]), [_rs_available("foo", 0, 0, 0)], None,
     ("True", du.NEW_RS_AVAILABLE_REASON, "now", TEST_TIME)),
    ("timed out",
     _current_deployment(60, 3, 2, 2, 2, [RS_UPDATED_COND]), [], _rs_available("foo", 3, 2, 2),
     ("False", du.TIMED_OUT_REASON, "now", "now")),
    ("already timed out: untouched",
     _current_deployment(60, 3, 2, 2, 2, [TIMED_OUT_COND]), [], _rs_available("foo", 3, 2, 2),
     ("False", du.TIMED_OUT_REASON, None, None)),
]  # fmt: skip


@pytest.mark.parametrize("case", SYNC_ROLLOUT_CASES, ids=[c[0] for c in SYNC_ROLLOUT_CASES])
def test_sync_rollout_status_conditions(case: tuple[Any, ...]) -> None:
    _, d, all_rss, new_rs, expected = copy.deepcopy(case)
    if new_rs is not None:
        all_rss.append(new_rs)
    now = parse_time("2024-01-01T00:00:00Z")
    new_status = sync.calculate_status(d, all_rss, new_rs, now)
    status = progress.sync_rollout_status_conditions(d, all_rss, new_rs, new_status, now)
    cond = du.get_condition(status, "Progressing")
    if expected is None:
        assert cond is None
        return
    cond_status, reason, last_update, last_transition = expected
    assert cond is not None
    assert (cond["status"], cond["reason"]) == (cond_status, reason)
    stamps = {"now": format_time(now), None: None, TEST_TIME: TEST_TIME}
    assert cond.get("lastUpdateTime") == stamps[last_update]
    assert cond.get("lastTransitionTime") == stamps[last_transition]


def test_sync_rollout_status_messages() -> None:
    now = parse_time("2024-01-01T00:00:00Z")
    d = _current_deployment(60, 3, 2, 2, 2, [RS_UPDATED_COND])
    new_rs = _rs_available("foo-abc", 3, 2, 2)
    status = progress.sync_rollout_status_conditions(
        d, [new_rs], new_rs, sync.calculate_status(d, [new_rs], new_rs, now), now
    )
    assert (
        du.get_condition(status, "Progressing")["message"]
        == 'ReplicaSet "foo-abc" has timed out progressing.'
    )
    d = _current_deployment(60, 3, 2, 2, 2, [RS_UPDATED_COND])
    new_rs = _rs_available("foo-abc", 3, 3, 3)
    status = progress.sync_rollout_status_conditions(
        d, [new_rs], new_rs, sync.calculate_status(d, [new_rs], new_rs, now), now
    )
    assert (
        du.get_condition(status, "Progressing")["message"]
        == 'ReplicaSet "foo-abc" has successfully progressed.'
    )
    d = _current_deployment(60, 3, 1, 1, 1, [])
    new_rs = _rs_available("foo-abc", 3, 2, 2)
    status = progress.sync_rollout_status_conditions(
        d, [new_rs], new_rs, sync.calculate_status(d, [new_rs], new_rs, now), now
    )
    assert du.get_condition(status, "Progressing")["message"] == 'ReplicaSet "foo-abc" is progressing.'
    d = _current_deployment(60, 0, 1, 0, 0, [])
    status = progress.sync_rollout_status_conditions(d, [], None, sync.calculate_status(d, [], None, now), now)
    assert (
        du.get_condition(status, "Progressing")["message"]
        == 'Deployment "progress-test" has successfully progressed.'
    )


def test_replica_failure_condition_copied_and_removed() -> None:
    now = parse_time("2024-01-01T00:00:00Z")
    failure = {
        "type": "ReplicaFailure", "status": "True", "lastTransitionTime": TEST_TIME,
        "reason": "FailedCreate", "message": "pods \"x\" is forbidden",
    }  # fmt: skip
    old = rs("old", 1, T_OLD, status_replicas=1, available=1)
    old["status"]["conditions"] = [dict(failure, reason="FailedDelete")]
    new = rs("new", 1, T_NEW)
    new["status"]["conditions"] = [failure]
    d = _current_deployment(60, 1, 1, 0, 1, [])
    status = progress.sync_rollout_status_conditions(
        d, [old, new], new, sync.calculate_status(d, [old, new], new, now), now
    )
    assert du.get_condition(status, "ReplicaFailure") == {
        "type": "ReplicaFailure",
        "status": "True",
        "lastUpdateTime": TEST_TIME,
        "lastTransitionTime": TEST_TIME,
        "reason": "FailedCreate",
        "message": 'pods "x" is forbidden',
    }
    new["status"]["conditions"] = []
    status = progress.sync_rollout_status_conditions(
        d, [old, new], new, sync.calculate_status(d, [old, new], new, now), now
    )
    assert du.get_condition(status, "ReplicaFailure")["reason"] == "FailedDelete"  # old RS failures next
    old["status"]["conditions"] = []
    d["status"]["conditions"] = [du.get_condition(status, "ReplicaFailure")]
    status = progress.sync_rollout_status_conditions(
        d, [old, new], new, sync.calculate_status(d, [old, new], new, now), now
    )
    assert du.get_condition(status, "ReplicaFailure") is None


def test_calculate_status() -> None:
    now = parse_time(T_NEW)
    d = deployment("foo", 10, max_surge=3, max_unavailable=2, generation=4, status={"collisionCount": 1})
    old = rs("foo-1", 8, T_OLD, status_replicas=9, ready=8, available=8)
    new = rs("foo-2", 5, T_NEW, status_replicas=5, ready=2, available=1)
    old["status"].update({"observedGeneration": 1, "terminatingReplicas": 1})
    new["status"].update({"observedGeneration": 1, "terminatingReplicas": 0})
    status = sync.calculate_status(d, [old, new, None], new, now)
    assert status == {
        "observedGeneration": 4,
        "replicas": 14,
        "updatedReplicas": 5,
        "readyReplicas": 10,
        "availableReplicas": 9,
        "unavailableReplicas": 4,
        "terminatingReplicas": 1,
        "conditions": [
            du.new_deployment_condition("Available", "True", "MinimumReplicasAvailable",
                                        "Deployment has minimum availability.", now)
        ],
        "collisionCount": 1,
    }  # fmt: skip
    below = rs("foo-1", 8, T_OLD, status_replicas=8, available=7)
    below["status"]["observedGeneration"] = 1  # synced but not reporting terminatingReplicas
    status = sync.calculate_status(d, [below], None, now)
    cond = du.get_condition(status, "Available")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )
    assert "updatedReplicas" not in status  # zero counts are omitted, as in the API's JSON
    assert "terminatingReplicas" not in status  # unknown


def test_calculate_status_scaled_to_zero_and_copies_conditions() -> None:
    now = parse_time(T_NEW)
    progressing = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
    d = deployment("foo", 0, status={"conditions": [progressing]})
    scaled_down = rs("foo-1", 0, T_OLD)
    scaled_down["status"] = {"observedGeneration": 1, "terminatingReplicas": 0}
    status = sync.calculate_status(d, [scaled_down], None, now)
    assert status["conditions"][0] == progressing
    assert status["conditions"][0] is not progressing  # copied, the input is untouched
    assert du.get_condition(status, "Available")["status"] == "True"
    assert set(status) == {"conditions", "terminatingReplicas"}
    assert status["terminatingReplicas"] == 0


def test_apply_paused_condition() -> None:
    now = parse_time(T_NEW)
    d = deployment("foo", 1, progress_deadline=600)
    d["spec"]["paused"] = True
    assert sync.apply_paused_condition(d, now)
    cond = du.get_condition(d["status"], "Progressing")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    assert not sync.apply_paused_condition(d, now)
    d["spec"]["paused"] = False
    assert sync.apply_paused_condition(d, now)
    cond = du.get_condition(d["status"], "Progressing")
    assert (cond["reason"], cond["message"]) == ("DeploymentResumed", "Deployment is resumed")
    timed_out = deployment("foo", 1, progress_deadline=600, status={"conditions": [dict(TIMED_OUT_COND)]})
    timed_out["spec"]["paused"] = True
    assert not sync.apply_paused_condition(timed_out, now)
    assert not sync.apply_paused_condition(deployment("foo", 1, progress_deadline=None), now)


# --- annotations and revisions -------------------------------------------------------------------------


def test_set_new_replica_set_annotations_revision_history() -> None:
    d = deployment("nginx")
    d["metadata"]["annotations"][du.REVISION_ANNOTATION] = "1"
    target = rs("nginx-1", 0)
    for i in range(10, 20):
        next_revision = str(i + 1)
        du.set_new_replica_set_annotations(d, target, next_revision, True, 5)
        annotations = target["metadata"]["annotations"]
        if i >= 12:
            assert annotations[du.REVISION_HISTORY_ANNOTATION] == f"{i - 1},{i}"
        assert annotations[du.REVISION_ANNOTATION] == next_revision


def test_set_new_replica_set_annotations_default_limit_and_rules() -> None:
    d = deployment("nginx", 4, max_surge=1)
    d["metadata"]["annotations"].update({
        du.CHANGE_CAUSE_ANNOTATION: "kubectl set image",
        du.LAST_APPLIED_CONFIG_ANNOTATION: "{}",
        du.REVISION_ANNOTATION: "7",
    })  # fmt: skip
    new_rs = rs("nginx-2", 0)
    assert du.set_new_replica_set_annotations(d, new_rs, "3", False)
    assert new_rs["metadata"]["annotations"] == {
        du.CHANGE_CAUSE_ANNOTATION: "kubectl set image",
        du.REVISION_ANNOTATION: "3",
        du.DESIRED_REPLICAS_ANNOTATION: "4",
        du.MAX_REPLICAS_ANNOTATION: "5",
    }
    assert not du.set_new_replica_set_annotations(d, new_rs, "2", True)  # never lowers a revision
    assert du.set_new_replica_set_annotations(d, new_rs, "5", True)  # rollback to this RS
    assert new_rs["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "3"
    assert du.set_new_replica_set_annotations(d, new_rs, "8", True)
    assert new_rs["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "3,5"
    bad = rs("nginx-3", 0, annotations={du.REVISION_ANNOTATION: "x"})
    assert not du.set_new_replica_set_annotations(d, bad, "9", True)
    assert not du.set_new_replica_set_annotations(d, rs("nginx-4", 0), "nine", True)


def test_set_replicas_annotations_and_saturation() -> None:
    d = deployment("nginx")
    target = rs("nginx-1", 1)
    assert du.set_replicas_annotations(target, 10, 11)
    assert target["metadata"]["annotations"][du.DESIRED_REPLICAS_ANNOTATION] == "10"
    assert target["metadata"]["annotations"][du.MAX_REPLICAS_ANNOTATION] == "11"
    assert not du.set_replicas_annotations(target, 10, 11)
    target["metadata"]["annotations"][du.DESIRED_REPLICAS_ANNOTATION] = "1"
    target["status"]["availableReplicas"] = 1
    assert du.is_saturated(d, target)
    target["metadata"]["annotations"][du.DESIRED_REPLICAS_ANNOTATION] = "one"
    assert not du.is_saturated(d, target)
    assert not du.is_saturated(d, None)


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        (None, True),
        ({du.DESIRED_REPLICAS_ANNOTATION: "8", du.MAX_REPLICAS_ANNOTATION: "20"}, True),
        ({du.DESIRED_REPLICAS_ANNOTATION: "10", du.MAX_REPLICAS_ANNOTATION: "16"}, True),
        ({du.DESIRED_REPLICAS_ANNOTATION: "10", du.MAX_REPLICAS_ANNOTATION: "20"}, False),
    ],
)
def test_replicas_annotations_need_update(annotations: dict[str, str] | None, expected: bool) -> None:
    assert du.replicas_annotations_need_update(rs("hello", 1, annotations=annotations), 10, 20) is expected


@pytest.mark.parametrize(
    ("annotations", "value", "ok", "error"),
    [
        (None, 0, False, None),
        ({"test": "invalid", "foo": "2"}, 0, False, "invalid syntax"),
        ({"test": "-1", "foo": "2"}, 0, False, "invalid syntax"),
        ({"test": "0", "foo": "2"}, 0, True, None),
        ({"test": "13", "foo": "2"}, 13, True, None),
        ({"test": str(MAX_INT32), "foo": "2"}, MAX_INT32, True, None),
        ({"test": str(MAX_INT32 + 1), "foo": "2"}, 0, False, "out of range"),
        ({"test": str(2**32), "foo": "2"}, 0, False, "out of range"),
    ],
)
def test_get_non_negative_int32_from_annotation(
    annotations: dict[str, str] | None, value: int, ok: bool, error: str | None
) -> None:
    got_value, got_ok, got_error = du.get_non_negative_int32_from_annotation(
        rs("x", 1, annotations=annotations), "test"
    )
    assert (got_value, got_ok) == (value, ok)
    if error is None:
        assert got_error is None
    else:
        assert got_error is not None and error in got_error


def test_copy_and_rollback_annotations() -> None:
    d = deployment("nginx")
    d["metadata"]["annotations"] = {"a": "1", "empty": "", du.REVISION_ANNOTATION: "4",
                                   du.DEPRECATED_ROLLBACK_TO_ANNOTATION: "2"}  # fmt: skip
    target = rs("nginx-1", 1, annotations={"a": "1"})
    assert du.copy_deployment_annotations_to_rs(d, target)
    assert target["metadata"]["annotations"] == {"a": "1", "empty": ""}
    assert not du.copy_deployment_annotations_to_rs(d, target)
    assert du.skip_copy_annotation(du.LAST_APPLIED_CONFIG_ANNOTATION)
    assert not du.skip_copy_annotation(du.CHANGE_CAUSE_ANNOTATION)

    source = rs("nginx-0", 0, annotations={du.CHANGE_CAUSE_ANNOTATION: "v1", du.REVISION_ANNOTATION: "1"})
    assert du.rollback_annotations(d, source) == {
        du.REVISION_ANNOTATION: "4",
        du.DEPRECATED_ROLLBACK_TO_ANNOTATION: "2",
        du.CHANGE_CAUSE_ANNOTATION: "v1",
    }
    assert du.set_deployment_revision(d, "5")
    assert not du.set_deployment_revision(d, "5")


def test_revision_helpers() -> None:
    rss = [
        rs("a", 0, T_OLDER, annotations={du.REVISION_ANNOTATION: "3"}),
        rs("b", 0, T_OLD, annotations={du.REVISION_ANNOTATION: "bogus"}),
        rs("c", 0, T_NEW, annotations={du.REVISION_ANNOTATION: "7"}),
        rs("d", 0, T_NEW),
        None,
    ]
    assert du.revision(rss[0]) == 3
    assert du.revision(rss[3]) == 0
    with pytest.raises(ValueError):
        du.revision(rss[1])
    assert du.max_revision(rss) == 7
    # LastRevision, as `kubectl rollout undo` with no revision uses it: the second-highest revision.
    assert du.find_rollback_target(rss, 0) is rss[0]
    duplicate = copy.deepcopy(rss[2])
    assert du.find_rollback_target([rss[2], duplicate], 0) is duplicate  # a duplicate of the max counts
    assert du.find_rollback_target([rss[3]], 0) is None
    ordered = du.sort_replica_sets_by_revision([rss[2], rss[0], rss[3], rs("e", 0, T_OLDER)])
    assert [r["metadata"]["name"] for r in ordered] == ["e", "d", "a", "c"]  # equal revisions: by age


def test_find_rollback_target_and_template() -> None:
    template = pod_template("v1", {"app": "web", du.POD_TEMPLATE_HASH_LABEL: "abc"})
    rss = [
        rs("web-a", 0, T_OLDER, annotations={du.REVISION_ANNOTATION: "1"}, template=template),
        rs("web-b", 0, T_OLD, annotations={du.REVISION_ANNOTATION: "2"}),
        rs("web-c", 3, T_NEW, annotations={du.REVISION_ANNOTATION: "3"}),
    ]
    assert du.find_rollback_target(rss, 0)["metadata"]["name"] == "web-b"
    assert du.find_rollback_target(rss, 1)["metadata"]["name"] == "web-a"
    assert du.find_rollback_target(rss, 9) is None
    assert du.find_rollback_target(rss[2:], 0) is None
    restored = du.rollback_template(rss[0])
    assert restored["metadata"]["labels"] == {"app": "web"}
    assert rss[0]["spec"]["template"]["metadata"]["labels"][du.POD_TEMPLATE_HASH_LABEL] == "abc"


# --- hashing and template equality ---------------------------------------------------------------------


def test_fnv1a_and_safe_encode() -> None:
    assert du.fnv1a_32(b"") == 0x811C9DC5
    assert du.fnv1a_32(b"a") == 0xE40C292C
    assert du.fnv1a_32(b"foobar") == 0xBF9CF968
    assert du.safe_encode_string("0123456789") == "456789bcdf"
    assert du.SAFE_ENCODE_ALPHABET == "bcdfghjklmnpqrstvwxz2456789"


def test_compute_hash() -> None:
    template = pod_template("nginx")
    value = du.compute_hash(template)
    assert value == du.compute_hash(copy.deepcopy(template))
    assert set(value) <= set("456789bcdf") and 1 <= len(value) <= 10
    reordered = {"spec": template["spec"], "metadata": template["metadata"]}
    assert du.compute_hash(reordered) == value
    assert du.compute_hash({**template, "metadata": {**template["metadata"], "annotations": {}}}) == value
    assert du.compute_hash(du.canonical_template_json(template)) == value  # pre-serialized form
    with_collisions = {du.compute_hash(template, n) for n in (None, 0, 1, 2)}
    assert len(with_collisions) == 4
    assert du.compute_hash(pod_template("httpd")) != value
    expected = du.safe_encode_string(str(du.fnv1a_32(du.canonical_template_json(template).encode())))
    assert value == expected
    padded = du.canonical_template_json(template).encode() + b"\x01\x00\x00\x00\x00\x00\x00\x00"
    assert du.compute_hash(template, 1) == du.safe_encode_string(str(du.fnv1a_32(padded)))


def _tpl(name: str, node: str, annotations: dict[str, str], labels: dict[str, str]) -> Obj:
    return {
        "metadata": {"name": name, "annotations": annotations, "labels": labels},
        "spec": {"nodeName": node},
    }


H = du.POD_TEMPLATE_HASH_LABEL
EQUAL_IGNORE_HASH_CASES = [
    (_tpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
     _tpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}), True),
    (_tpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
     _tpl("foo", "foo-node", {}, {H: "value-2", "something": "else"}), True),
    (_tpl("foo", "foo-node", {}, {"something": "else"}),
     _tpl("foo", "foo-node", {}, {H: "value-2", "something": "else"}), True),
    (_tpl("foo", "foo-node", {}, {"something": "else"}), _tpl("foo", "foo-node", {}, {H: "value-2"}), False),
    (_tpl("foo", "foo-node", {}, {H: "value-1"}), _tpl("foo", "foo-node", {}, {"something": "else"}), False),
    (_tpl("foo", "foo-node", {}, {H: "value-1"}),
     _tpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}), False),
    (_tpl("foo", "foo-node", {"former": "value"}, {H: "value-1", "something": "else"}),
     _tpl("foo", "foo-node", {"latter": "value"}, {H: "value-1", "something": "else"}), False),
    (_tpl("foo-1", "foo-node", {}, {H: "value-1", "something": "else"}),
     _tpl("foo-2", "foo-node", {}, {H: "value-2", "something": "else"}), False),
    (_tpl("foo-1", "foo-node-1", {}, {"something": "else"}),
     _tpl("foo-2", "foo-node-2", {}, {H: "value-2", "something": "else"}), False),
    (_tpl("foo", "foo-node-1", {}, {"something": "else"}),
     _tpl("foo", "foo-node-2", {}, {"nothing": "else"}), False),
    # null / empty versus absent fields are the same thing in the API
    ({"metadata": {"labels": {"a": "b"}, "creationTimestamp": None}, "spec": {"volumes": []}},
     {"metadata": {"labels": {"a": "b", H: "x"}}, "spec": {}}, True),
]  # fmt: skip


@pytest.mark.parametrize(("former", "latter", "expected"), EQUAL_IGNORE_HASH_CASES)
def test_equal_ignore_hash(former: Obj, latter: Obj, expected: bool) -> None:
    before = copy.deepcopy((former, latter))
    assert du.equal_ignore_hash(former, latter) is expected
    assert du.equal_ignore_hash(latter, former) is expected
    assert (former, latter) == before  # inputs untouched, labels never dropped


def _generated_rs(d: Obj, name: str, replicas: int = 0, timestamp: str | None = None) -> Obj:
    r = rs(name, replicas, timestamp, template=copy.deepcopy(d["spec"]["template"]))
    r["metadata"]["labels"] = dict(d["spec"]["template"]["metadata"]["labels"])
    r["metadata"]["ownerReferences"] = [du.controller_ref(d)]
    return r


def test_find_new_and_old_replica_sets() -> None:
    d = deployment("nginx", template=pod_template("nginx"))
    new_rs = _generated_rs(d, "nginx-new", 1, "2020-01-01T00:01:00Z")
    new_rs["spec"]["template"]["metadata"]["labels"][H] = "hash"
    new_dup = _generated_rs(d, "nginx-dup", 0, "2020-01-01T00:00:00Z")
    new_dup["spec"]["template"]["metadata"]["labels"][H] = "different-hash"
    old_d = deployment("nginx", template=pod_template("nginx"))
    old_d["spec"]["template"]["spec"]["containers"][0]["name"] = "nginx-old-1"
    old_rs = _generated_rs(old_d, "nginx-old", 0, "2019-12-31T23:59:00Z")

    assert du.find_new_replica_set(d, [new_rs, old_rs]) is new_rs
    assert du.find_new_replica_set(d, [new_rs, old_rs, new_dup]) is new_dup  # the oldest match wins
    assert du.find_new_replica_set(d, [old_rs]) is None

    assert du.find_old_replica_sets(d, [new_rs, old_rs]) == ([old_rs], [])
    assert du.find_old_replica_sets(d, [old_rs]) == ([old_rs], [])
    assert du.find_old_replica_sets(d, [old_rs, new_rs, new_dup]) == ([old_rs, new_rs], [new_rs])
    assert du.find_old_replica_sets(d, [new_rs]) == ([], [])
    assert du.is_controlled_by(new_rs, d)
    assert not du.is_controlled_by(rs("stranger", 1), d)


def test_find_active_or_latest_and_scaling_event() -> None:
    new_rs = rs("n", 0, T_NEW)
    old_a = rs("a", 0, T_OLDER)
    old_b = rs("b", 2, T_OLD, annotations={du.DESIRED_REPLICAS_ANNOTATION: "2"})
    assert du.find_active_or_latest(None, []) is None
    assert du.find_active_or_latest(new_rs, [old_a]) is new_rs
    assert du.find_active_or_latest(None, [old_a, rs("c", 0, T_OLD)])["metadata"]["name"] == "c"
    assert du.find_active_or_latest(new_rs, [old_a, old_b]) is old_b
    assert du.find_active_or_latest(rs("n", 1, T_NEW), [old_b]) is None
    assert not sync.is_scaling_event(deployment(replicas=2), new_rs, [old_a, old_b])
    assert sync.is_scaling_event(deployment(replicas=3), new_rs, [old_a, old_b])
    old_b["metadata"]["annotations"][du.DESIRED_REPLICAS_ANNOTATION] = "garbage"
    assert not sync.is_scaling_event(deployment(replicas=3), new_rs, [old_a, old_b])


# --- counting, sorting, cleanup, builders --------------------------------------------------------------


def test_replica_counts() -> None:
    rs1 = rs("rs1", 1, status_replicas=2)
    rs1["status"].update({"observedGeneration": 1, "terminatingReplicas": 3})
    rs2 = rs("rs2", 2, status_replicas=3)
    rs2["status"]["terminatingReplicas"] = 1
    rs3 = rs("rs3", 3, status_replicas=0)  # never synced: contributes 0 terminating
    rs4 = rs("rs4", 1, status_replicas=1)
    rs4["status"]["observedGeneration"] = 1  # synced but not reporting: unknown
    cases = [
        ([rs1], 1, 2, 3),
        ([rs1, rs2], 3, 5, 4),
        ([rs3], 3, 0, 0),
        ([rs1, rs2, rs3], 6, 5, 4),
        ([rs4], 1, 1, None),
        ([rs1, rs2, rs3, rs4], 7, 6, None),
    ]
    for sets, count, actual, terminating in cases:
        assert du.get_replica_count_for_replica_sets(sets) == count
        assert du.get_actual_replica_count_for_replica_sets(sets) == actual
        assert du.get_terminating_replica_count_for_replica_sets(sets) == terminating
    ready = [rs("a", 1, ready=2, available=1), rs("b", 1, ready=3, available=3), None]
    assert du.get_ready_replica_count_for_replica_sets(ready) == 5
    assert du.get_available_replica_count_for_replica_sets(ready) == 4


def test_sorting_helpers() -> None:
    a = rs("a", 2, T_OLDER)
    b = rs("b", 2, T_OLD)
    c = rs("c", 5, T_NEW)
    b2 = rs("b2", 2, T_OLD)
    names = lambda rss: [r["metadata"]["name"] for r in rss]  # noqa: E731
    assert names(du.sort_replica_sets_by_creation_timestamp([c, b2, b, a])) == ["a", "b", "b2", "c"]
    assert names(du.sort_replica_sets_by_size_newer([a, b, c, b2])) == ["c", "b2", "b", "a"]
    assert names(du.sort_replica_sets_by_size_older([a, b, c, b2])) == ["c", "a", "b", "b2"]


CLEANUP_CASES = [
    ([(0, 0), (0, 0), (0, 0)], 1, 2),
    ([(0, 0), (0, 1), (1, 0), (1, 1)], 0, 1),
    ([(0, 0), (0, 0)], 0, 2),
    ([(1, 1), (1, 1)], 0, 0),
    ([(0, 0)], 0, 0),  # already being deleted
    ([(0, 0), (0, 0), (0, 0)], MAX_INT32, 0),
]


@pytest.mark.parametrize(("specs", "limit", "expected"), CLEANUP_CASES)
def test_plan_cleanup_deployment(specs: list[tuple[int, int]], limit: int, expected: int) -> None:
    old_rss = [rs(f"foo-{i + 1}", spec, status_replicas=status) for i, (spec, status) in enumerate(specs)]
    if specs == [(0, 0)]:
        old_rss[0]["metadata"]["deletionTimestamp"] = T_NEW
    d = deployment("foo", 1, revision_history_limit=limit)
    assert len(sync.plan_cleanup_deployment(d, old_rss)) == expected


def test_plan_cleanup_deployment_order_and_unobserved() -> None:
    rss = [rs(f"r{n}", 0, T_OLD, annotations={du.REVISION_ANNOTATION: str(n)}) for n in (5, 2, 9)]
    doomed = sync.plan_cleanup_deployment(deployment(revision_history_limit=1), rss)
    assert [r["metadata"]["name"] for r in doomed] == ["r2", "r5"]
    rss[1]["metadata"]["generation"] = 2  # spec change not yet observed by the ReplicaSet controller
    doomed = sync.plan_cleanup_deployment(deployment(revision_history_limit=1), rss)
    assert [r["metadata"]["name"] for r in doomed] == ["r5"]
    assert len(sync.plan_cleanup_deployment({"spec": {}}, rss)) == 0  # default limit 10
    assert du.has_revision_history_limit({"spec": {}})
    assert not du.has_revision_history_limit({"spec": {"revisionHistoryLimit": None}})


def test_build_new_replica_set() -> None:
    d = deployment("web", 4, max_surge=1, max_unavailable=1, template=pod_template("v2", {"app": "web"}))
    d["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    d["spec"]["minReadySeconds"] = 5
    d["metadata"]["annotations"] = {du.CHANGE_CAUSE_ANNOTATION: "bump"}
    old = rs("web-old", 4, T_OLD, annotations={du.REVISION_ANNOTATION: "3"})
    new_rs = sync.build_new_replica_set(d, [old])
    h = du.compute_hash(d["spec"]["template"])
    assert new_rs["metadata"]["name"] == f"web-{h}"
    assert new_rs["metadata"]["namespace"] == "default"
    assert new_rs["metadata"]["labels"] == {"app": "web", H: h}
    assert new_rs["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "uid-web",
        "controller": True, "blockOwnerDeletion": True,
    }]  # fmt: skip
    assert new_rs["metadata"]["annotations"] == {
        du.CHANGE_CAUSE_ANNOTATION: "bump",
        du.REVISION_ANNOTATION: "4",
        du.DESIRED_REPLICAS_ANNOTATION: "4",
        du.MAX_REPLICAS_ANNOTATION: "5",
    }
    assert new_rs["spec"]["replicas"] == 1  # 4 old + surge 1
    assert new_rs["spec"]["minReadySeconds"] == 5
    assert new_rs["spec"]["selector"] == {"matchLabels": {"app": "web", H: h}}
    assert new_rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", H: h}
    assert H not in d["spec"]["template"]["metadata"]["labels"]  # the Deployment is untouched
    assert du.equal_ignore_hash(new_rs["spec"]["template"], d["spec"]["template"])
    d["status"] = {"collisionCount": 1}
    assert sync.build_new_replica_set(d, [old])["metadata"]["name"] != new_rs["metadata"]["name"]


def test_scale_replica_set_update_and_event_message() -> None:
    d = deployment("web", 4, max_surge=1)
    current = rs(
        "web-1", 2, annotations={du.DESIRED_REPLICAS_ANNOTATION: "4", du.MAX_REPLICAS_ANNOTATION: "5"}
    )
    assert sync.scale_replica_set_update(current, 2, d) == (None, False)
    updated, size_changed = sync.scale_replica_set_update(current, 3, d)
    assert size_changed and updated is not None and updated["spec"]["replicas"] == 3
    assert current["spec"]["replicas"] == 2
    stale = rs("web-1", 2, annotations={du.DESIRED_REPLICAS_ANNOTATION: "3", du.MAX_REPLICAS_ANNOTATION: "4"})
    updated, size_changed = sync.scale_replica_set_update(stale, 2, d)
    assert not size_changed and updated["metadata"]["annotations"][du.MAX_REPLICAS_ANNOTATION] == "5"
    assert sync.scaling_event_message("web-1", 0, 3) == "Scaled up replica set web-1 from 0 to 3"
    assert sync.scaling_event_message("web-1", 3, 1) == "Scaled down replica set web-1 from 3 to 1"


def test_recreate_helpers() -> None:
    old_rss = [rs("a", 2, status_replicas=0), rs("b", 0, status_replicas=0)]
    assert recreate.plan_scale_down_old_for_recreate(old_rss) == {"a": 0}
    new_rs = rs("n", 0)
    running = {"phase": "Running"}
    assert not recreate.old_pods_running(new_rs, old_rss, {})
    assert recreate.old_pods_running(new_rs, [rs("a", 0, status_replicas=1)], {})
    assert not recreate.old_pods_running(new_rs, old_rss, {"uid-n": [{"status": running}]})
    assert recreate.old_pods_running(new_rs, old_rss, {"uid-a": [{"status": {"phase": "Unknown"}}]})
    assert recreate.old_pods_running(new_rs, old_rss, {"uid-a": [{"status": {"phase": "Pending"}}]})
    assert not recreate.old_pods_running(new_rs, old_rss, {"uid-a": [{"status": {"phase": "Succeeded"}}]})
