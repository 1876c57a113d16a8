"""PodDisruptionBudgets on the virtual clock: the disruption controller's status (k/k
pkg/controller/disruption/disruption.go and its disruption_test.go arithmetic), the eviction REST's answers
(pkg/registry/core/pod/storage/eviction.go) and kubectl drain's retry loop (kubectl pkg/drain/drain.go evictPods).

The seeds' example (the `web` Deployment of 5 and `web-pdb` with minAvailable: 3) is applied as the seed writes it;
the 429 body, the table, describe and kubectl's lines were taken from a v1.36 cluster (kube-kit, kubectl 1.32).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from engine.cluster import Cluster
from engine.controllers.disruption import scaled_value
from engine.drain import DrainError
from engine.errors import ApiError
from engine.eviction import evict

Obj = dict[str, Any]

SEED_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
"""
SEED_PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-pdb
spec:
  minAvailable: 3
  selector:
    matchLabels:
      app: web
"""
REFUSED = "Cannot evict pod as it would violate the pod's disruption budget."


def pdb(name: str = "web-pdb", **spec: Any) -> Obj:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


def status(c: Cluster, name: str = "web-pdb") -> tuple[int, int, int, int]:
    s = c.get("pdb", name).get("status") or {}
    return (s.get("expectedPods", 0), s.get("desiredHealthy", 0), s.get("currentHealthy", 0),
            s.get("disruptionsAllowed", 0))


async def seeded(c: Cluster) -> None:
    await c.apply(SEED_DEPLOYMENT)
    await c.apply(SEED_PDB)
    assert await c.run_until(lambda c: c.rollout_status("web")[1] and status(c)[2] == 5, timeout=120)


# -- arithmetic -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "total", "scaled"), [
    (3, 10, 3), ("20%", 10, 2), ("28%", 3, 1), ("34%", 3, 2), ("30%", 5, 2), ("100%", 7, 7), ("0%", 7, 0)])
def test_percentages_round_up_as_get_scaled_value_from_int_or_percent(value: Any, total: int, scaled: int) -> None:
    assert scaled_value(value, total) == scaled


# (spec, replicas, expected status (expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed)): the cases
# of disruption_test.go with a Deployment (TestReplicaSet's 20%, TestReplicationController's 34%,
# TestIntegerMaxUnavailable, TestPercentageMaxUnavailable's rounding, an integer minAvailable counting pods).
@pytest.mark.parametrize(("spec", "replicas", "expected"), [
    ({"minAvailable": 3}, 5, (5, 3, 5, 2)),
    ({"minAvailable": "20%"}, 10, (10, 2, 10, 8)),
    ({"minAvailable": "34%"}, 3, (3, 2, 3, 1)),
    ({"maxUnavailable": 1}, 3, (3, 2, 3, 1)),
    ({"maxUnavailable": "30%"}, 5, (5, 3, 5, 2)),  # 30% of 5 rounds up to 2 unavailable
    ({"minAvailable": 6}, 5, (5, 6, 5, 0)),
    ({"maxUnavailable": 0}, 2, (2, 2, 2, 0)),
])
async def test_status_follows_the_controllers_scale(spec: Obj, replicas: int, expected: tuple[int, ...]) -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(SEED_DEPLOYMENT.replace("replicas: 5", f"replicas: {replicas}"))
        await c.apply(pdb(**spec))
        assert await c.run_until(lambda c: status(c) == expected, timeout=120), status(c)
        condition = c.get("pdb", "web-pdb")["status"]["conditions"][0]
        allowed = expected[3] > 0
        assert (condition["type"], condition["status"], condition["reason"], condition["message"]) == (
            "DisruptionAllowed", "True" if allowed else "False",
            "SufficientPods" if allowed else "InsufficientPods", "")
        assert c.get("pdb", "web-pdb")["status"]["observedGeneration"] == 1


async def test_a_budget_with_no_pods_allows_nothing_and_says_so() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(pdb("pct", maxUnavailable="30%", selector={"matchLabels": {"app": "none"}}))
        assert await c.run_until(lambda c: bool(c.get("pdb", "pct").get("status")), timeout=10)
        assert status(c, "pct") == (0, 0, 0, 0)
        assert c.table("pdb", "default")[1][0][:4] == ["pct", "N/A", "30%", "0"]
        assert "No matching pods found" in c.describe("pdb", "pct")


async def test_bare_pods_with_a_percentage_are_unmanaged_and_a_job_fails_the_sync() -> None:
    async with Cluster(nodes=1) as c:
        bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]}}
        await c.apply(bare)
        await c.apply(pdb(maxUnavailable=1))
        assert await c.run_until(lambda c: status(c)[2] == 1, timeout=30)
        # getExpectedScale leaves a pod with no controller out of expectedPods: nothing may be disrupted.
        assert status(c) == (0, 0, 1, 0)
        assert "UnmanagedPods" in c.describe("pdb", "web-pdb")
        await c.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "batch"},
                       "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                           "restartPolicy": "Never", "containers": [{"name": "app", "image": "busybox",
                                                                     "command": ["sleep", "3600"]}]}}}})

        def failed(c: Cluster) -> bool:
            return any(x.get("reason") == "SyncFailed" for x in c.get("pdb", "web-pdb")["status"]["conditions"])
        assert await c.run_until(failed, timeout=30)
        condition = c.get("pdb", "web-pdb")["status"]["conditions"][0]
        assert (condition["status"], condition["message"]) == (
            "False", "jobs.batch does not implement the scale subresource")


# -- validation, table, describe ---------------------------------------------------------------------------------

async def test_validation_answers_as_the_api_server() -> None:
    async with Cluster(nodes=1) as c:
        with pytest.raises(ApiError) as both:
            await c.apply(pdb("bad", minAvailable=3, maxUnavailable="150%", unhealthyPodEvictionPolicy="Sometimes"))
        assert both.value.message == (
            'PodDisruptionBudget.policy "bad" is invalid: [spec: Invalid value: {"MinAvailable":3,"Selector":'
            '{"matchLabels":{"app":"web"}},"MaxUnavailable":"150%","UnhealthyPodEvictionPolicy":"Sometimes"}: '
            "minAvailable and maxUnavailable cannot be both set, spec.maxUnavailable: Invalid value: \"150%\": must "
            'not be greater than 100%, spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported '
            'values: "AlwaysAllow", "IfHealthyBudget"]')
        with pytest.raises(ApiError, match=r"spec\.minAvailable: Invalid value: -1: must be greater than or equal"):
            await c.apply(pdb("bad2", minAvailable=-1))


async def test_table_and_describe_print_as_kubectl() -> None:
    async with Cluster(nodes=3) as c:
        await seeded(c)
        header, rows = c.table("pdb", "default")
        assert header == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
        assert rows[0][:4] == ["web-pdb", "3", "N/A", "2"]
        assert c.describe("pdb", "web-pdb") == (
            "Name:           web-pdb\n"
            "Namespace:      default\n"
            "Min available:  3\n"
            "Selector:       app=web\n"
            "Status:\n"
            "    Allowed disruptions:  2\n"
            "    Current:              5\n"
            "    Desired:              3\n"
            "    Total:                5\n"
            "Events:                   <none>\n")


# -- eviction ----------------------------------------------------------------------------------------------------

async def test_evictions_spend_the_budget_then_are_refused_with_429() -> None:
    async with Cluster(nodes=3) as c:
        await seeded(c)
        pods = sorted(c.list("pods", "default"), key=lambda p: p["metadata"]["name"])
        evict(c.api, pods[0], None)
        evict(c.api, pods[1], None)
        # The eviction REST decremented the budget and noted both pods before the controller saw them go.
        after = c.get("pdb", "web-pdb")["status"]
        assert after["disruptionsAllowed"] == 0 and set(after["disruptedPods"]) == {
            pods[0]["metadata"]["name"], pods[1]["metadata"]["name"]}
        # Refused at once, with the numbers the controller last wrote (it has not counted the two out yet).
        with pytest.raises(ApiError) as refused:
            evict(c.api, c.get("pod", pods[2]["metadata"]["name"]), None)
        assert refused.value.code == 429
        assert {k: refused.value.status[k] for k in ("status", "message", "reason", "details", "code")} == {
            "status": "Failure", "message": REFUSED, "reason": "TooManyRequests", "code": 429,
            "details": {"causes": [{"reason": "DisruptionBudget",
                                    "message": "The disruption budget web-pdb needs 3 healthy pods and has 5 "
                                               "currently"}]}}
        # The replacements become Ready: the budget allows two disruptions again, and the lapsed entries go.
        assert await c.run_until(lambda c: status(c) == (5, 3, 5, 2), timeout=60)
        assert "disruptedPods" not in c.get("pdb", "web-pdb")["status"]


async def test_unready_pods_go_when_the_budget_is_healthy_or_always_allowed() -> None:
    async with Cluster(nodes=3) as c:
        await seeded(c)
        await c.apply(pdb(minAvailable=5))
        assert await c.run_until(lambda c: status(c) == (5, 5, 5, 0), timeout=30)
        pods = c.list("pods", "default")
        with pytest.raises(ApiError, match="disruption budget"):
            evict(c.api, pods[0], None)
        # A Pending pod ignores every budget (canIgnorePDB), and is still marked a DisruptionTarget.
        await c.apply(SEED_DEPLOYMENT.replace("replicas: 5", "replicas: 6").replace(
            "      containers:", "      nodeSelector: {nowhere: 'true'}\n      containers:"))
        assert await c.run_until(lambda c: any(p["status"].get("phase") == "Pending" for p in
                                               c.list("pods", "default")), timeout=30)
        pending = next(p for p in c.list("pods", "default") if p["status"].get("phase") == "Pending")
        watcher, _ = c.store.add_watcher("pods", "default")
        evict(c.api, pending, None)
        marked = [e.object for e in watcher.drain() if e.object["metadata"]["name"] == pending["metadata"]["name"]]
        watcher.close()
        assert any(x["type"] == "DisruptionTarget" for m in marked for x in m["status"].get("conditions") or ())


# -- drain -------------------------------------------------------------------------------------------------------

async def test_the_seed_budget_holds_the_last_replicas_through_a_drain() -> None:
    async with Cluster(nodes=3) as c:
        await seeded(c)
        await c.drain("node-1")
        await c.drain("node-2")
        assert await c.run_until(lambda c: status(c) == (5, 3, 5, 2), timeout=120)
        heard: list[tuple[str, str]] = []
        started = c.now()
        with pytest.raises(DrainError) as stuck:
            await c.drain("node-3", timeout=30, progress=lambda line, says: heard.append((line, says)))
        web = sorted(p["metadata"]["name"] for p in c.list("pods", "default")
                     if p["spec"].get("nodeName") == "node-3" and not p["metadata"].get("deletionTimestamp"))
        # Two went (the budget's two disruptions); the last three stayed, refused every 5 s until the timeout.
        assert len(web) == 3
        assert c.now() - started == pytest.approx(30, abs=1)
        retry = [f'error when evicting pods/"{n}" -n "default" (will retry after 5s): {REFUSED}' for n in web]
        output = stuck.value.output
        assert output.count(retry[0]) == 6 and all(line in output for line in retry)
        assert stuck.value.message == "[" + ", ".join(
            f'error when evicting pods/"{n}" -n "default": global timeout reached: 30s' for n in web) + "]"
        says = {s for line, s in heard if line in retry}
        # The first refusal sees the numbers from before the two evictions, the next ones the controller's count.
        assert says == {f"The disruption budget web-pdb needs 3 healthy pods and has {n} currently" for n in (5, 3)}
        assert status(c) == (5, 3, 3, 0)
        await c.cordon("node-1", False)
        # Once the evicted replicas run elsewhere, the same drain goes through after a retry or two.
        output = await c.drain("node-3", timeout=120)
        assert output[-1] == "node/node-3 drained" and retry[0] in output
        assert await c.run_until(lambda c: status(c) == (5, 3, 5, 2), timeout=120)


async def test_two_budgets_on_one_pod_make_the_eviction_fail() -> None:
    async with Cluster(nodes=3) as c:
        await seeded(c)
        await c.apply(pdb("other", maxUnavailable=1))
        with pytest.raises(ApiError) as failed:
            evict(c.api, c.list("pods", "default")[0], None)
        assert failed.value.code == 500 and failed.value.message == (
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
        assert "reason" not in failed.value.status


def test_the_seed_documents_parse() -> None:
    assert yaml.safe_load(SEED_PDB)["spec"] == {"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}}
