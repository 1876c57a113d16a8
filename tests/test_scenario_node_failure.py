"""Scenario: a node stops heartbeating, is marked Unknown and tainted, its pods are evicted and replaced (§4)."""

from __future__ import annotations

from typing import Any

from engine import podutil
from engine.cluster import Cluster
from engine.timeutil import parse_time

Obj = dict[str, Any]



UNREACHABLE = "node.kubernetes.io/unreachable"


def deployment(replicas: int = 6) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}}}


def node_status(c: Cluster, name: str) -> str:
    return next(row[1] for row in c.table("nodes")[1] if row[0] == name)


def ready_condition(c: Cluster, name: str) -> Obj:
    return next(x for x in c.get("nodes", name, None)["status"]["conditions"] if x["type"] == "Ready")


def pods_on(c: Cluster, node: str) -> list[Obj]:
    return [p for p in c.list("pods", "default") if p["spec"].get("nodeName") == node]


def deploy_status(c: Cluster) -> Obj:
    return c.get("deploy", "web")["status"]


async def test_node_failure_evicts_and_replaces_pods() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(6))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=60)
        victims = {p["metadata"]["name"] for p in pods_on(c, "node-1")}
        assert victims
        failed_at = c.now()
        await c.set_node_ready("node-1", False)

        # Still Ready within the grace period.
        await c.run_for(45)
        assert node_status(c, "node-1") == "Ready"
        # After node-monitor-grace-period (50 s, checked every 5 s) the controller gives up on the kubelet.
        assert await c.run_until(lambda c: node_status(c, "node-1") == "NotReady", timeout=30)
        detected = c.now() - failed_at
        assert 50 <= detected <= 61
        cond = ready_condition(c, "node-1")
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        for kind in ("MemoryPressure", "DiskPressure", "PIDPressure"):
            other = next(x for x in c.get("nodes", "node-1", None)["status"]["conditions"] if x["type"] == kind)
            assert other["status"] == "Unknown"
        # The NoSchedule taint follows the condition at once; the NoExecute one comes from the next monitor pass
        # (it acts on the Ready condition it observed at the start of a pass), through the rate-limited queue.
        taints = c.get("nodes", "node-1", None)["spec"]["taints"]
        assert [(t["key"], t["effect"]) for t in taints] == [(UNREACHABLE, "NoSchedule")]
        unknown_at = c.now()
        assert await c.run_until(lambda c: len(c.get("nodes", "node-1", None)["spec"]["taints"]) == 2, timeout=30)
        assert c.now() - unknown_at == 5
        taints = c.get("nodes", "node-1", None)["spec"]["taints"]
        assert sorted((t["key"], t["effect"]) for t in taints) == [(UNREACHABLE, "NoExecute"),
                                                                   (UNREACHABLE, "NoSchedule")]
        assert all(t["timeAdded"] for t in taints)
        tainted_at = parse_time(next(t for t in taints if t["effect"] == "NoExecute")["timeAdded"])
        # The pods there are marked not ready and stop counting as available; nothing is replaced yet.
        for p in pods_on(c, "node-1"):
            assert not podutil.is_ready(p)
        assert deploy_status(c)["availableReplicas"] == 6 - len(victims)
        not_ready = [e for e in c.events("default") if e["reason"] == "NodeNotReady"]
        assert {e["involvedObject"]["name"] for e in not_ready if e["involvedObject"]["kind"] == "Pod"} == victims
        # Events about cluster-scoped objects live in the default namespace.
        assert [(e["type"], e["message"], e["source"]["component"]) for e in not_ready
                if e["involvedObject"]["kind"] == "Node"] == [
            ("Normal", "Node node-1 status is now: NodeNotReady", "node-controller")]

        # The default 300 s toleration for unreachable:NoExecute runs out, then the pods are evicted.
        await c.run_for(tainted_at + 290 - c.now())
        assert not [e for e in c.events("default") if e["reason"] == "TaintManagerEviction"]
        assert await c.run_until(lambda c: all(p["metadata"].get("deletionTimestamp")
                                               for p in pods_on(c, "node-1")), timeout=30)
        assert 299 <= c.now() - tainted_at <= 301
        evictions = [e for e in c.events("default") if e["reason"] == "TaintManagerEviction"]
        assert sorted(e["message"] for e in evictions) == sorted(f"Marking for deletion Pod default/{v}"
                                                                 for v in victims)
        assert {e["source"]["component"] for e in evictions} == {"taint-eviction-controller"}
        for p in pods_on(c, "node-1"):
            cond = podutil.condition(p, "DisruptionTarget")
            assert cond is not None and cond["reason"] == "DeletionByTaintManager"

        # Replacements land on the healthy nodes; the deployment is whole again.
        assert await c.run_until(lambda c: deploy_status(c).get("availableReplicas") == 6, timeout=60)
        await c.run_for(60)
        live = [p for p in c.list("pods", "default") if podutil.is_active(p)]
        assert len(live) == 6 and all(p["spec"]["nodeName"] != "node-1" for p in live)
        # The evicted pods stay Terminating while their kubelet is unreachable.
        rows = {r[0]: r for r in c.table("pods", "default")[1]}
        for name in victims:
            assert rows[name][2] == "Terminating"
        assert c.rollout_status("web")[1]

        # The node comes back: Ready, untainted, and the stale pods are cleaned up.
        await c.set_node_ready("node-1", True)
        assert await c.run_until(lambda c: node_status(c, "node-1") == "Ready", timeout=30)
        assert await c.run_until(lambda c: not c.get("nodes", "node-1", None)["spec"].get("taints"), timeout=30)
        cond = ready_condition(c, "node-1")
        assert (cond["status"], cond["reason"]) == ("True", "KubeletReady")
        assert await c.run_until(lambda c: not pods_on(c, "node-1"), timeout=60)
        assert deploy_status(c)["availableReplicas"] == 6
        assert len(c.list("pods", "default")) == 6


async def test_short_outage_keeps_pods() -> None:
    """A node back within the toleration keeps its pods; they turn Ready again."""
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(3))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=60)
        before = {p["metadata"]["name"] for p in c.list("pods", "default")}
        node = c.list("pods", "default")[0]["spec"]["nodeName"]
        on_node = sorted(p["metadata"]["name"] for p in pods_on(c, node))
        await c.set_node_ready(node, False)
        assert await c.run_until(lambda c: node_status(c, node) == "NotReady", timeout=120)
        assert deploy_status(c)["availableReplicas"] < 3
        await c.run_for(60)
        await c.set_node_ready(node, True)
        assert await c.run_until(lambda c: deploy_status(c).get("availableReplicas") == 3, timeout=60)
        await c.run_for(400)  # well past the 300 s toleration
        assert {p["metadata"]["name"] for p in c.list("pods", "default")} == before
        # The scheduled evictions were cancelled when the NoExecute taint went away.
        assert sorted(e["message"] for e in c.events("default") if e["reason"] == "TaintManagerEviction") == [
            f"Cancelling deletion of Pod default/{name}" for name in on_node]
        assert not c.get("nodes", node, None)["spec"].get("taints")


async def test_pod_tolerating_unreachable_forever_is_not_evicted() -> None:
    async with Cluster(nodes=2) as c:
        await c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sticky", "namespace": "default"},
                        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}],
                                 "tolerations": [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]}})
        await c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "brief", "namespace": "default"},
                        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}],
                                 "tolerations": [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                                  "tolerationSeconds": 30}]}})
        await c.run_for(5)
        await c.set_node_ready("node-1", False)
        assert await c.run_until(lambda c: node_status(c, "node-1") == "NotReady", timeout=120)
        await c.run_for(35)
        assert c.get("pods", "brief")["metadata"].get("deletionTimestamp")
        await c.run_for(600)
        assert not c.get("pods", "sticky")["metadata"].get("deletionTimestamp")
        assert c.get("pods", "sticky")["spec"]["tolerations"] == [
            {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}]


async def test_pod_bound_while_kubelet_is_down_starts_when_it_returns() -> None:
    async with Cluster(nodes=1) as c:
        await c.set_node_ready("node-1", False)
        # Within the 50 s grace period the node still looks Ready, so the scheduler binds to it.
        await c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late", "namespace": "default"},
                        "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
        await c.run_for(5)
        assert c.get("pods", "late")["spec"]["nodeName"] == "node-1"
        await c.set_node_ready("node-1", True)
        assert await c.run_until(lambda c: c.get("pods", "late")["status"].get("phase") == "Running", timeout=60)


def no_execute_added(c: Cluster, node: str) -> float | None:
    for taint in c.get("nodes", node, None)["spec"].get("taints") or ():
        if taint["effect"] == "NoExecute":
            return parse_time(taint["timeAdded"])
    return None


async def test_no_execute_tainting_is_rate_limited_per_zone() -> None:
    """--node-eviction-rate 0.1: one node tainted at once, the next one 10 s later."""
    async with Cluster(nodes=4) as c:
        await c.run_for(3)
        await c.set_node_ready("node-1", False)
        await c.set_node_ready("node-2", False)
        assert await c.run_until(lambda c: no_execute_added(c, "node-1") and no_execute_added(c, "node-2"),
                                 timeout=120)
        first, second = sorted([no_execute_added(c, "node-1"), no_execute_added(c, "node-2")])
        assert second - first == 10
        assert no_execute_added(c, "node-3") is None


async def test_all_nodes_down_enters_master_disruption_mode() -> None:
    """Every node silent at once looks like the controller's own outage: no NoExecute taints, no evictions."""
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(3))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=60)
        for i in (1, 2, 3):
            await c.set_node_ready(f"node-{i}", False)
        assert await c.run_until(lambda c: all(node_status(c, f"node-{i}") == "NotReady" for i in (1, 2, 3)),
                                 timeout=120)
        await c.run_for(600)
        for i in (1, 2, 3):
            taints = c.get("nodes", f"node-{i}", None)["spec"]["taints"]
            assert [(t["key"], t["effect"]) for t in taints] == [(UNREACHABLE, "NoSchedule")]
        assert not [e for e in c.events("default") if e["reason"] == "TaintManagerEviction"]
        assert len([p for p in c.list("pods", "default") if podutil.is_active(p)]) == 3
        # One node back: the others are tainted again (after a fresh grace period) and their pods evicted.
        await c.set_node_ready("node-1", True)
        assert await c.run_until(lambda c: no_execute_added(c, "node-2") and no_execute_added(c, "node-3"),
                                 timeout=120)
        assert await c.run_until(lambda c: c.get("deploy", "web")["status"].get("availableReplicas") == 3,
                                 timeout=900)
        assert all(p["spec"]["nodeName"] == "node-1" for p in c.list("pods", "default") if podutil.is_active(p))


async def test_small_cluster_in_partial_disruption_stops_evicting() -> None:
    """3 of 5 nodes down is >= 55 % unhealthy: in a cluster of at most 50 nodes tainting stops altogether."""
    async with Cluster(nodes=5) as c:
        await c.run_for(3)
        for i in (1, 2, 3):
            await c.set_node_ready(f"node-{i}", False)
        await c.run_for(400)
        assert all(node_status(c, f"node-{i}") == "NotReady" for i in (1, 2, 3))
        assert all(no_execute_added(c, f"node-{i}") is None for i in (1, 2, 3))
        # Back under the threshold (2 of 5 down): tainting resumes at the normal rate.
        await c.set_node_ready("node-3", True)
        assert await c.run_until(lambda c: no_execute_added(c, "node-1") and no_execute_added(c, "node-2"),
                                 timeout=120)
        assert no_execute_added(c, "node-3") is None


async def test_cordon_adds_unschedulable_taint() -> None:
    async with Cluster(nodes=2) as c:
        await c.cordon("node-1")
        c.settle()
        taints = c.get("nodes", "node-1", None)["spec"]["taints"]
        assert [(t["key"], t["effect"]) for t in taints] == [("node.kubernetes.io/unschedulable", "NoSchedule")]
        assert taints[0]["timeAdded"]
        assert node_status(c, "node-1") == "Ready,SchedulingDisabled"
        await c.cordon("node-1", False)
        c.settle()
        assert not c.get("nodes", "node-1", None)["spec"].get("taints")


async def test_pod_arriving_on_a_long_tainted_node_gets_its_full_toleration() -> None:
    """The eviction clock starts when the taint manager sees the pod there, not when the taint was added."""
    async with Cluster(nodes=2) as c:
        await c.set_node_ready("node-1", False)
        assert await c.run_until(lambda c: no_execute_added(c, "node-1") is not None, timeout=120)
        await c.run_for(400)
        await c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late", "namespace": "default"},
                        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}]}})
        arrived = c.now()
        c.settle()
        assert not c.get("pods", "late")["metadata"].get("deletionTimestamp")
        assert await c.run_until(lambda c: bool(c.get("pods", "late")["metadata"].get("deletionTimestamp")),
                                 timeout=400)
        assert c.now() - arrived == 300
        assert [e["message"] for e in c.events("default") if e["reason"] == "TaintManagerEviction"] == [
            "Marking for deletion Pod default/late"]


async def test_the_node_controller_records_each_registered_node() -> None:
    async with Cluster(nodes=2) as c:
        node = c.get("nodes", "node-2")
        [event] = [e for e in c.events(involved=node) if e["reason"] == "RegisteredNode"]
        assert event["message"] == "Node node-2 event: Registered Node node-2 in Controller"
        assert event["source"]["component"] == "node-controller"
