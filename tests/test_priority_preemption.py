"""PriorityClass, the Priority admission plugin, the scheduler's priority queue and DefaultPreemption, on the
virtual clock. Messages were read off a v1.36 control plane (kwok nodes) doing the same.

Upstream: pkg/apis/scheduling/validation (ValidatePriorityClass[Update]), plugin/pkg/admission/priority
(admitPod, validatePriorityClass), pkg/registry/scheduling/priorityclass (system classes not deletable),
pkg/scheduler/framework/plugins/queuesort (PrioritySort), pkg/scheduler/framework/plugins/defaultpreemption and
pkg/scheduler/framework/preemption (SelectVictimsOnNode, filterPodsWithPDBViolation, pickOneNodeForPreemption,
PreemptPod, PodEligibleToPreemptOthers), pkg/scheduler/framework/runtime (RunFilterPluginsWithNominatedPods).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError
from engine.scheduler.node_info import NodeInfo
from engine.scheduler.pod_info import get_pod_info
from engine.scheduler.preemption import NominatedPods
from engine.scheduler.queue import SchedulingQueue

Obj = dict[str, Any]
NO_CLAIMS = "no new claims to deallocate, "


def pc(name: str, value: int, **extra: Any) -> Obj:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, **extra}


def pod(name: str, cpu: str = "900m", klass: str | None = None, node: str | None = None, **spec: Any) -> Obj:
    """A pod whose shell ignores SIGTERM, so a deleted one runs out its 20 s grace period (each node's CoreDNS
    replica already requests 100m: four of these fill a 4-cpu node)."""
    container = {"name": "app", "image": "busybox", "command": ["sh", "-c", "sleep 3600"],
                 "resources": {"requests": {"cpu": cpu}}}
    body: Obj = {"containers": [container], "terminationGracePeriodSeconds": 20, **spec}
    if klass:
        body["priorityClassName"] = klass
    if node:
        body["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                            "labels": {"app": name.rsplit("-", 1)[0]}}, "spec": body}


def events(c: Cluster, reason: str, name: str | None = None) -> list[Obj]:
    return [e for e in c.events("default") if e["reason"] == reason
            and (name is None or e["involvedObject"]["name"] == name)]


def refused(call: Any) -> str:
    with pytest.raises(ApiError) as info:
        call()
    return info.value.message


# --- PriorityClass ---------------------------------------------------------------------------------------------


async def test_the_system_classes_exist_print_as_kubectl_and_cannot_be_deleted() -> None:
    async with Cluster(nodes=1) as c:
        columns, rows = c.table("pc")
        assert columns == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
        assert [r[:3] + r[4:] for r in rows] == [
            ["system-cluster-critical", "2000000000", "false", "PreemptLowerPriority"],
            ["system-node-critical", "2000001000", "false", "PreemptLowerPriority"]]
        assert refused(lambda: c.api.delete("priorityclasses", "system-node-critical")) == (
            'priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: '
            "this is a system priority class and cannot be deleted")
        text = c.describe("priorityclasses", "system-node-critical", None)
        assert text.splitlines()[:5] == [
            "Name:              system-node-critical", "Value:             2000001000",
            "GlobalDefault:     false", "PreemptionPolicy:  PreemptLowerPriority",
            "Description:       Used for system critical pods that must not be moved from their current node."]


async def test_validation_and_the_single_global_default_answer_as_the_api_server() -> None:
    async with Cluster(nodes=1) as c:
        create = c.api.create
        assert refused(lambda: create(pc("big", 1_000_000_001))).endswith(
            "value: Forbidden: maximum allowed value of a user defined priority is 1000000000")
        assert refused(lambda: create(pc("system-foo", 10))).endswith(
            "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
            "error: system-foo is not a known system priority class")
        assert refused(lambda: create(pc("odd", 5, preemptionPolicy="Sometimes"))).endswith(
            'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"')
        first = create(pc("first", 7, globalDefault=True, preemptionPolicy="Never"))
        assert first["metadata"]["generation"] == 1
        assert refused(lambda: create(pc("second", 8, globalDefault=True))) == (
            'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as '
            "default. Only one default can exist")
        assert refused(lambda: c.api.update({**first, "value": 9})).endswith(
            "value: Forbidden: may not be changed in an update.")
        assert refused(lambda: c.api.update({**first, "preemptionPolicy": "PreemptLowerPriority"})).endswith(
            'preemptionPolicy: Invalid value: "PreemptLowerPriority": field is immutable')
        c.api.update({**first, "description": "x", "globalDefault": False})  # the rest may change


# --- Priority admission ------------------------------------------------------------------------------------------


async def test_pods_take_their_priority_from_the_class_and_an_unknown_class_is_refused() -> None:
    async with Cluster(nodes=1) as c:
        c.api.create(pc("high", 1000))
        high = await c.create(pod("web", klass="high"))
        assert (high["spec"]["priority"], high["spec"]["preemptionPolicy"]) == (1000, "PreemptLowerPriority")
        critical = await c.create(pod("dns", klass="system-cluster-critical"))
        assert critical["spec"]["priority"] == 2_000_000_000
        plain = await c.create(pod("plain"))
        assert (plain["spec"]["priority"], plain["spec"].get("priorityClassName")) == (0, None)
        assert refused(lambda: c.api.create(pod("x", klass="foo"))) == (
            'pods "x" is forbidden: no PriorityClass with name foo was found')
        assert refused(lambda: c.api.create(pod("y", priority=5))) == (
            'pods "y" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority '
            "admission controller computed 0 from the given PriorityClass name")
        assert refused(lambda: c.api.create(pod("z", preemptionPolicy="Never"))) == (
            'pods "z" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; '
            "priority admission controller computed PreemptLowerPriority from the given PriorityClass name")
        # An update that leaves the computed fields out keeps them (validation forbids changing them).
        spec = {k: v for k, v in high["spec"].items() if k not in ("priority", "preemptionPolicy")}
        updated = c.api.update({**high, "metadata": {**high["metadata"], "labels": {"a": "b"}}, "spec": spec})
        assert updated["spec"]["priority"] == 1000
        assert "Priority:             1000" in c.describe("pods", "web")
        assert "Priority Class Name:  high" in c.describe("pods", "web")


async def test_the_global_default_class_names_itself_on_pods_that_name_none() -> None:
    async with Cluster(nodes=1) as c:
        c.api.create(pc("batch", 5, globalDefault=True, preemptionPolicy="Never"))
        p = await c.create(pod("job"))
        assert (p["spec"]["priorityClassName"], p["spec"]["priority"], p["spec"]["preemptionPolicy"]) == (
            "batch", 5, "Never")


# --- the queue ---------------------------------------------------------------------------------------------------


async def test_higher_priority_pods_are_scheduled_first_then_in_queue_order() -> None:
    """PrioritySort: a later, higher-priority pod takes the one free slot before earlier low ones."""
    async with Cluster(nodes=0) as c:
        c.api.create(pc("high", 1000))
        for i in range(5):
            await c.create(pod(f"low-{i}", cpu="3"))
        await c.create(pod("high-0", cpu="3", klass="high"))
        await c.run_for(1)
        c.add_node("node-1", cpu="4")
        await c.run_for(5)
        bound = [p["metadata"]["name"] for p in c.api.list("pods", "default") if p["spec"].get("nodeName")]
        assert bound == ["high-0"]


def test_the_queue_pops_by_priority_then_first_in() -> None:
    woken: list[int] = []
    priorities = {"a": 0, "b": 10, "c": 0, "d": 10, "e": -5}
    from engine.clock import VirtualClock

    queue = SchedulingQueue(VirtualClock(), lambda: woken.append(1), priorities.__getitem__)
    for key in "abcdea":
        queue.add(key)
    assert len(queue) == 5
    assert [queue.pop() for _ in range(6)] == ["b", "d", "a", "c", "e", None]


# --- preemption ----------------------------------------------------------------------------------------------------


async def fill(c: Cluster, klass: str, per_node: int, nodes: int, cpu: str = "900m") -> None:
    for n in range(1, nodes + 1):
        for i in range(per_node):
            await c.create(pod(f"{klass}-{n}{i}", cpu=cpu, klass=klass, node=f"node-{n}"))
    await c.run_for(2)


async def test_a_high_priority_pod_preempts_the_fewest_lowest_victims_gracefully() -> None:
    async with Cluster(nodes=2, node_cpu="4") as c:
        c.api.create(pc("low", 10))
        c.api.create(pc("high", 1000))
        await fill(c, "low", 4, 2)
        high = await c.create(pod("high-0", cpu="2", klass="high"))
        await c.run_for(1)
        preempted = events(c, "Preempted")
        assert len(preempted) == 2  # 300m free plus two 900m pods make room for 2 cpu: no third victim
        node = c.get("pods", "high-0")["status"]["nominatedNodeName"]
        victims = [c.get("pods", e["involvedObject"]["name"]) for e in preempted]
        assert {v["spec"]["nodeName"] for v in victims} == {node}
        for e, v in zip(preempted, victims, strict=True):
            assert (e["type"], e["message"], e["source"]["component"]) == (
                "Normal", f"Preempted by pod {high['metadata']['uid']} on node {node}", "default-scheduler")
            # Graceful: the pod's own 20 s, through the engine's clock, with the scheduler's DisruptionTarget.
            assert v["metadata"]["deletionGracePeriodSeconds"] == 20
            target = next(x for x in v["status"]["conditions"] if x["type"] == "DisruptionTarget")
            assert (target["status"], target["reason"], target["message"]) == (
                "True", "PreemptionByScheduler", "default-scheduler: preempting to accommodate a higher priority pod")
        # The preemptor's own message has no preemption part: preemption succeeded.
        assert events(c, "FailedScheduling", "high-0")[-1]["message"] == "0/2 nodes are available: 2 Insufficient cpu."
        _, rows = c.table("pods", "default", wide=True)
        assert next(r for r in rows if r[0] == "high-0")[7] == node  # NOMINATED NODE
        assert f"NominatedNodeName:    {node}" in c.describe("pods", "high-0")

        # A retry while the victims terminate is not eligible to preempt again. A node joining that the pod fits by
        # its allocatable wakes it (NodeResourcesFit's QueueingHint; a smaller one would not), a taint keeps it off.
        taint = {"key": "dedicated", "value": "x", "effect": "NoSchedule"}
        c.components.kubelets.add_node("node-3", "4", "16Gi", 110, {}, [taint])
        await c.run_for(1)
        assert events(c, "FailedScheduling", "high-0")[-1]["message"] == (
            "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: x}, 2 Insufficient cpu. "
            f"{NO_CLAIMS}preemption: not eligible due to a terminating pod on the nominated node.")
        assert len(events(c, "Preempted")) == 2

        assert await c.run_until(lambda c: bool(c.get("pods", "high-0")["spec"].get("nodeName")), timeout=60)
        bound = c.get("pods", "high-0")
        assert bound["spec"]["nodeName"] == node and "nominatedNodeName" not in bound["status"]
        assert all(c.get("pods", v["metadata"]["name"]) is None for v in victims)


async def test_victims_are_the_lowest_priority_and_the_node_with_the_least_important_victims_wins() -> None:
    async with Cluster(nodes=2, node_cpu="4") as c:
        for name, value in (("p1", 1), ("p2", 2), ("p5", 5), ("high", 1000)):
            c.api.create(pc(name, value))
        # node-1: priorities 5, 5, 5, 5; node-2: 1, 2, 2, 2. One cpu is needed: one victim anywhere.
        for i in range(4):
            await c.create(pod(f"p5-{i}", klass="p5", node="node-1"))
        await c.create(pod("p1-0", klass="p1", node="node-2"))
        for i in range(3):
            await c.create(pod(f"p2-{i}", klass="p2", node="node-2"))
        await c.run_for(2)
        await c.create(pod("high-0", klass="high"))
        await c.run_for(1)
        assert [e["involvedObject"]["name"] for e in events(c, "Preempted")] == ["p1-0"]
        assert c.get("pods", "high-0")["status"]["nominatedNodeName"] == "node-2"


async def test_budgets_are_kept_where_another_node_can_make_room_without_breaking_one() -> None:
    """pickOneNodeForPreemption's first criterion: fewest PDB violations, even over lower priorities."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        for name, value in (("p1", 1), ("p5", 5), ("high", 1000)):
            c.api.create(pc(name, value))
        for i in range(4):
            await c.create(pod(f"guarded-{i}", klass="p1", node="node-1"))
            await c.create(pod(f"free-{i}", klass="p5", node="node-2"))
        await c.create({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                        "metadata": {"name": "guard", "namespace": "default"},
                        "spec": {"minAvailable": 4, "selector": {"matchLabels": {"app": "guarded"}}}})
        await c.run_for(5)
        assert c.get("poddisruptionbudgets", "guard")["status"]["disruptionsAllowed"] == 0
        await c.create(pod("high-0", klass="high"))
        await c.run_for(1)
        assert [e["involvedObject"]["name"].rsplit("-", 1)[0] for e in events(c, "Preempted")] == ["free"]


async def test_preemption_policy_never_waits_and_says_so() -> None:
    async with Cluster(nodes=1, node_cpu="4") as c:
        c.api.create(pc("low", 10))
        c.api.create(pc("polite", 1000, preemptionPolicy="Never"))
        await fill(c, "low", 4, 1)
        await c.create(pod("polite-0", klass="polite"))
        await c.run_for(2)
        assert events(c, "Preempted") == []
        assert events(c, "FailedScheduling", "polite-0")[-1]["message"] == (
            f"0/1 nodes are available: 1 Insufficient cpu. {NO_CLAIMS}preemption: not eligible due to "
            "preemptionPolicy=Never.")
        assert "nominatedNodeName" not in c.get("pods", "polite-0")["status"]


async def test_the_preemption_part_names_each_node_that_did_not_help() -> None:
    """As the kit answered for a pod of the fillers' own priority, with a request-less lower-priority pod on two
    of the three nodes: removing it frees no cpu there, and the third has nothing lower to remove; a pod bigger than
    a node finds preemption not helpful anywhere."""
    async with Cluster(nodes=3, node_cpu="4") as c:
        c.api.create(pc("low", 10))
        c.api.create(pc("high", 1000))
        await fill(c, "low", 4, 3)
        for n in (1, 2):
            await c.create({**pod(f"idle-{n}", node=f"node-{n}"), "spec": {
                "containers": [{"name": "app", "image": "nginx"}], "nodeName": f"node-{n}"}})
        await c.create(pod("equal-0", cpu="2", klass="low"))
        await c.create(pod("huge-0", cpu="5", klass="high"))
        await c.run_for(2)
        assert events(c, "FailedScheduling", "equal-0")[-1]["message"] == (
            f"0/3 nodes are available: 3 Insufficient cpu. {NO_CLAIMS}preemption: 0/3 nodes are available: "
            "1 No preemption victims found for incoming pod, 2 Insufficient cpu.")
        assert events(c, "FailedScheduling", "huge-0")[-1]["message"] == (
            f"0/3 nodes are available: 3 Insufficient cpu. {NO_CLAIMS}preemption: 0/3 nodes are available: "
            "3 Preemption is not helpful for scheduling.")
        assert events(c, "Preempted") == []


def test_nominated_pods_hold_their_space_against_lower_priority_pods_only() -> None:
    """RunFilterPluginsWithNominatedPods: nominated pods of priority at least the pod's are added first."""
    node = NodeInfo({"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "4", "pods": "10"}}})
    node.add_pod(pod("busy-0", cpu="2", node="n"))
    nominated = NominatedPods()
    waiting = pod("high-0", cpu="2")
    waiting["spec"]["priority"] = 100
    waiting["status"] = {"nominatedNodeName": "n"}
    nominated.update("default/high-0", waiting)

    def check(name: str, priority: int) -> Any:
        candidate = pod(name, cpu="1")
        candidate["spec"]["priority"] = priority
        return nominated.check(get_pod_info(candidate), node, f"default/{name}", priority)

    assert check("low-0", 50).reasons == ("Insufficient cpu",)
    assert check("equal-0", 100).reasons == ("Insufficient cpu",)
    assert check("higher-0", 200) is None
    assert node.requested_milli_cpu == 2000  # the simulation left the scheduler's NodeInfo alone
    nominated.update("default/high-0", None)
    assert check("low-0", 50) is None
