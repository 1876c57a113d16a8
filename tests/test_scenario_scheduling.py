"""Scenario: pods the scheduler cannot place, the FailedScheduling text, and recovery (§4)."""

from __future__ import annotations

from typing import Any

from engine import podutil
from engine.cluster import Cluster

Obj = dict[str, Any]



def pod(name: str, cpu: str | None = None, memory: str | None = None, **spec: Any) -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: Obj = {"name": "app", "image": "nginx:1.25"}
    if requests:
        container["resources"] = {"requests": requests}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [container], **spec}}


def scheduled_condition(c: Cluster, name: str) -> Obj | None:
    return podutil.condition(c.get("pods", name), "PodScheduled")


def failed_scheduling(c: Cluster, name: str) -> list[Obj]:
    return [e for e in c.events("default") if e["reason"] == "FailedScheduling"
            and e["involvedObject"]["name"] == name]


async def test_pod_bigger_than_any_node_stays_pending_until_a_big_node_joins() -> None:
    async with Cluster(nodes=3, node_cpu="4") as c:
        await c.create(pod("huge", cpu="8"))
        await c.run_for(5)
        p = c.get("pods", "huge")
        assert p["status"]["phase"] == "Pending" and not p["spec"].get("nodeName")
        # More than any node's allocatable: unresolvable, so preemption is not helpful anywhere.
        message = ("0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, "
                   "preemption: 0/3 nodes are available: "
                   "3 Preemption is not helpful for scheduling.")
        cond = scheduled_condition(c, "huge")
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)
        events = failed_scheduling(c, "huge")
        assert [(e["type"], e["message"], e["source"]["component"]) for e in events] == [
            ("Warning", message, "default-scheduler")]
        _, rows = c.table("pods", "default")
        assert rows[0][:3] == ["huge", "0/1", "Pending"]

        text = c.describe("pods", "huge")
        assert "Scheduling:" in text
        for node in ("node-1", "node-2", "node-3"):
            assert any(line.strip().startswith(node) and "Insufficient cpu" in line for line in text.splitlines())
        assert "Warning  FailedScheduling" in text

        c.add_node("node-4", cpu="16")
        assert await c.run_until(lambda c: bool(c.get("pods", "huge")["spec"].get("nodeName")), timeout=30)
        p = c.get("pods", "huge")
        assert p["spec"]["nodeName"] == "node-4"
        assert scheduled_condition(c, "huge")["status"] == "True"
        assert any(e["reason"] == "Scheduled" and e["message"] == "Successfully assigned default/huge to node-4"
                   for e in c.events("default"))
        assert await c.run_until(lambda c: c.get("pods", "huge")["status"].get("phase") == "Running", timeout=30)


async def test_pod_that_only_lacks_free_space_waits_for_capacity() -> None:
    async with Cluster(nodes=3, node_cpu="4") as c:
        for i in range(3):
            await c.create(pod(f"filler-{i}", cpu="3"))
        await c.run_for(5)
        assert len({c.get("pods", f"filler-{i}")["spec"]["nodeName"] for i in range(3)}) == 3
        await c.create(pod("waiting", cpu="2"))
        await c.run_for(5)
        # It would fit an empty node, so preemption was tried (and found no lower-priority victims).
        message = ("0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, "
                   "preemption: 0/3 nodes are available: "
                   "3 No preemption victims found for incoming pod.")
        assert scheduled_condition(c, "waiting")["message"] == message
        assert failed_scheduling(c, "waiting")[0]["message"] == message
        node = c.get("pods", "filler-1")["spec"]["nodeName"]
        await c.delete("pods", "filler-1")
        c.settle()
        # A terminating pod still holds its resources in the scheduler's cache until it is gone.
        assert c.get("pods", "filler-1")["metadata"].get("deletionTimestamp")
        assert not c.get("pods", "waiting")["spec"].get("nodeName")
        assert await c.run_until(lambda c: bool(c.get("pods", "waiting")["spec"].get("nodeName")), timeout=60)
        assert c.get("pods", "filler-1") is None
        assert c.get("pods", "waiting")["spec"]["nodeName"] == node


async def test_node_selector_and_taint_messages() -> None:
    async with Cluster(nodes=3) as c:
        await c.create(pod("picky", nodeSelector={"disktype": "ssd"}))
        await c.run_for(2)
        assert scheduled_condition(c, "picky")["message"] == (
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
            "no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        for i in (1, 2, 3):
            await c.patch("nodes", f"node-{i}", {"spec": {"taints": [
                {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}}, namespace=None)
        await c.create(pod("plain"))
        await c.run_for(2)
        assert scheduled_condition(c, "plain")["message"] == (
            "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}. "
            "no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        # Labelling a node (and tolerating the taint) lets the picky pod in once the scheduler retries.
        await c.create(pod("tolerant", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                                     "effect": "NoSchedule"}]))
        await c.run_for(2)
        assert c.get("pods", "tolerant")["spec"].get("nodeName")
        await c.patch("nodes", "node-2", {"metadata": {"labels": {"disktype": "ssd"}}, "spec": {"taints": None}},
                      namespace=None)
        assert await c.run_until(lambda c: c.get("pods", "picky")["spec"].get("nodeName") == "node-2", timeout=30)
        assert await c.run_until(lambda c: c.get("pods", "plain")["spec"].get("nodeName") == "node-2", timeout=30)


async def test_mixed_reasons_are_counted_and_sorted() -> None:
    async with Cluster(nodes=3, node_cpu="4", node_memory="8Gi") as c:
        await c.patch("nodes", "node-3", {"spec": {"unschedulable": True}}, namespace=None)
        await c.create(pod("big", cpu="3", memory="10Gi"))
        await c.run_for(2)
        assert scheduled_condition(c, "big")["message"] == (
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient memory. "
            "no new claims to deallocate, "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


async def test_deployment_with_unschedulable_pods_scales_down_pending_first() -> None:
    async with Cluster(nodes=2, node_cpu="2") as c:
        await c.apply({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx",
                                                           "resources": {"requests": {"cpu": "1500m"}}}]}}}})
        await c.run_for(10)
        pods = c.list("pods", "default")
        assert sorted(bool(p["spec"].get("nodeName")) for p in pods) == [False, True, True]
        d = c.get("deploy", "web")["status"]
        assert d["availableReplicas"] == 2 and d["unavailableReplicas"] == 1
        await c.scale("deploy", "web", 2)
        c.settle()
        assert all(p["spec"].get("nodeName") for p in c.list("pods", "default"))


async def test_labelling_a_node_retries_a_pod_waiting_for_that_label() -> None:
    async with Cluster(nodes=2) as c:
        await c.create(pod("picky", nodeSelector={"disktype": "ssd"}))
        await c.run_for(2)
        assert not c.get("pods", "picky")["spec"].get("nodeName")
        await c.patch("nodes", "node-2", {"metadata": {"labels": {"disktype": "ssd"}}}, namespace=None)
        await c.run_for(1)  # well before the 5-minute periodic retry
        assert c.get("pods", "picky")["spec"].get("nodeName") == "node-2"
