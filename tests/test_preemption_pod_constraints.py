"""Preemption's dry run with pod affinity, anti-affinity and topology spreading, on the virtual clock.

Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go (SelectVictimsOnNode: every
potential victim removed through RunPreFilterExtensionRemovePod, each reprieved one added back through
RunPreFilterExtensionAddPod), pkg/scheduler/framework/preemption/preemption.go (nodesWherePreemptionMightHelp: the
Unschedulable nodes, whatever plugin rejected them), the PreFilterExtensions AddPod/RemovePod of
pkg/scheduler/framework/plugins/interpodaffinity/filtering.go and podtopologyspread/filtering.go (updateWithPod).

The first two scenarios were run on a v1.36 control plane with kwok nodes (the kit): the same Preempted victim and
nominatedNodeName for anti-affinity, the same FailedScheduling text for affinity to a lower-priority pod. So was the
spread-victims one: the kit's scheduler also preempts both web pods and keeps the fillers, with the same
FailedScheduling text for the two nodes ("2 Insufficient cpu."), the same Preempted messages and nominatedNodeName
(cleared once the pod is bound, in both).
"""

from __future__ import annotations

from typing import Any

from test_priority_preemption import NO_CLAIMS, events, pc, pod

from engine.cluster import Cluster

Obj = dict[str, Any]
HOST = "kubernetes.io/hostname"


def term(app: str) -> Obj:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": HOST}


def with_labels(p: Obj, **labels: str) -> Obj:
    p["metadata"]["labels"] = labels
    return p


async def classes(c: Cluster) -> None:
    c.api.create(pc("low", 10))
    c.api.create(pc("high", 1000))


# The app=web pods at most one apart across nodes, strictly.
WEB_ONE_PER_NODE = {
    "maxSkew": 1,
    "topologyKey": HOST,
    "whenUnsatisfiable": "DoNotSchedule",
    "labelSelector": {"matchLabels": {"app": "web"}},
}

async def test_a_pod_the_preemptors_anti_affinity_refuses_is_preempted_to_make_room() -> None:
    """node-1 has cpu to spare but a lower-priority pod the preemptor's anti-affinity refuses (Unschedulable, so a
    candidate); node-2 is full of pods of the preemptor's own priority. Removing that one pod is enough."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await classes(c)
        await c.create(with_labels(pod("batch-0", cpu="100m", klass="low", node="node-1"), app="batch"))
        for i in range(4):
            await c.create(pod(f"peer-{i}", klass="high", node="node-2"))
        await c.run_for(2)
        anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("batch")]}}
        await c.create(pod("web-0", klass="high", affinity=anti))
        await c.run_for(1)
        assert [e["involvedObject"]["name"] for e in events(c, "Preempted")] == ["batch-0"]
        assert c.get("pods", "web-0")["status"]["nominatedNodeName"] == "node-1"
        # Preemption succeeded: the message has no preemption part, as on the kit.
        assert events(c, "FailedScheduling", "web-0")[-1]["message"] == (
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod anti-affinity rules."
        )
        assert await c.run_until(lambda c: bool(c.get("pods", "web-0")["spec"].get("nodeName")), timeout=60)
        assert c.get("pods", "web-0")["spec"]["nodeName"] == "node-1"


async def test_removing_the_pod_the_preemptor_needs_rules_the_node_out() -> None:
    """Required pod affinity to a lower-priority pod: SelectVictimsOnNode removes every lower-priority pod first,
    the affinity then fails, so the node is no candidate (the kit's v1.36 scheduler answers exactly this)."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await classes(c)
        await c.create(with_labels(pod("cache-0", klass="low", node="node-1"), app="cache"))
        for i in range(3):
            await c.create(pod(f"filler-{i}", klass="low", node="node-1"))
        await c.run_for(2)
        affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("cache")]}}
        await c.create(pod("web-0", klass="high", affinity=affinity))
        await c.run_for(2)
        assert events(c, "Preempted") == []
        assert "nominatedNodeName" not in c.get("pods", "web-0")["status"]
        assert events(c, "FailedScheduling", "web-0")[-1]["message"] == (
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod affinity rules. "
            f"{NO_CLAIMS}preemption: 0/2 nodes are available: 1 Preemption is not helpful for scheduling, "
            "1 node(s) didn't match pod affinity rules."
        )


async def test_the_victims_are_the_pods_whose_removal_evens_the_spread() -> None:
    """maxSkew 1 by hostname: node-1 holds two lower-priority web pods and two fillers, node-2 no web pod but only
    pods of the preemptor's priority. Reprieving a web pod would leave the skew at 2, so the web pods go and both
    fillers stay (a dry run blind to the spread would take a filler, and the pod would still not fit)."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await classes(c)
        for i in range(2):
            await c.create(pod(f"web-{i}", klass="low", node="node-1"))
        for i in range(2):
            await c.create(pod(f"filler-{i}", klass="low", node="node-1"))
        for i in range(4):
            await c.create(pod(f"peer-{i}", klass="high", node="node-2"))
        await c.run_for(2)
        await c.create(pod("web-9", klass="high", topologySpreadConstraints=[WEB_ONE_PER_NODE]))
        await c.run_for(1)
        assert sorted(e["involvedObject"]["name"] for e in events(c, "Preempted")) == ["web-0", "web-1"]
        assert c.get("pods", "web-9")["status"]["nominatedNodeName"] == "node-1"
        assert await c.run_until(lambda c: bool(c.get("pods", "web-9")["spec"].get("nodeName")), timeout=60)
        assert c.get("pods", "web-9")["spec"]["nodeName"] == "node-1"
        assert c.get("pods", "filler-0") is not None and c.get("pods", "filler-1") is not None


async def test_a_spread_that_no_removal_can_fix_finds_no_candidate() -> None:
    """The node a spread constraint rejects holds no matching lower-priority pod: removing its pods leaves the
    skew as it is, and the dry run says so per node (node-2's lower-priority pod, the ingress-nginx add-on's, frees
    too little cpu)."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await classes(c)
        for i in range(2):
            await c.create(pod(f"web-{i}", cpu="100m", klass="high", node="node-1"))
        await c.create(pod("filler-0", cpu="100m", klass="low", node="node-1"))
        for i in range(4):
            await c.create(pod(f"peer-{i}", klass="high", node="node-2"))
        await c.run_for(2)
        await c.create(pod("web-9", klass="high", topologySpreadConstraints=[WEB_ONE_PER_NODE]))
        await c.run_for(2)
        assert events(c, "Preempted") == []
        assert events(c, "FailedScheduling", "web-9")[-1]["message"] == (
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread constraints. "
            f"{NO_CLAIMS}preemption: 0/2 nodes are available: 1 Insufficient cpu, "
            "1 node(s) didn't match pod topology spread constraints."
        )
