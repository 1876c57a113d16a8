"""A pending pod nominated to a node after preempting holds its place there against pods of lower or equal
priority: not only its resources but its labels and its own terms, as pod (anti-)affinity and topology spreading see
them, on the virtual clock.

Upstream: pkg/scheduler/framework/runtime/framework.go (v1.36) RunFilterPluginsWithNominatedPods and
addGENominatedPods: for a node with nominated pods of priority at least the pod's, every filter runs on a copy of the
NodeInfo and of the CycleState with those pods added (RunPreFilterExtensionAddPod: interpodaffinity/filtering.go and
podtopologyspread/filtering.go updateWithPod), then, if that passed, again without them; the node fits only if both
pass ("filters like resources and inter-pod anti-affinity are more likely to fail when the nominated pods are
treated as running, while filters like pod affinity are more likely to fail when the nominated pods are treated as
not running"), and the first pass's failure is the node's status. pkg/scheduler/schedule_one.go
findNodesThatPassFilters runs it for every node in the ordinary scheduling cycle.

Each scenario was run on the kit (a v1.36.2 kube-scheduler, kwok nodes, the victim held Terminating by a finalizer so
that the preemptor stays nominated): the same pods stayed Pending with the same FailedScheduling reasons and
preemption part for the two nodes, and the higher-priority pod was bound beside the nominated one.
"""

from __future__ import annotations

from typing import Any

from test_priority_preemption import events, pc, pod

from engine.cluster import Cluster

Obj = dict[str, Any]
HOST = "kubernetes.io/hostname"
ON_NODE_1 = {HOST: "node-1"}


def labelled(p: Obj, **labels: str) -> Obj:
    p["metadata"]["labels"] = labels
    return p


def best_effort(name: str, klass: str, **spec: Any) -> Obj:
    """No requests: NodeResourcesFit passes it even on a node the nominated pod fills, so only the plugins that look
    at pods can keep it off."""
    p = pod(name, klass=klass, **spec)
    del p["spec"]["containers"][0]["resources"]
    return p


def bound(c: Cluster, name: str) -> str | None:
    return c.get("pods", name)["spec"].get("nodeName")


async def placed(c: Cluster, p: Obj) -> str | None:
    """The node `p` is bound to a second after it is created."""
    await c.create(p)
    await c.run_for(1)
    return bound(c, p["metadata"]["name"])


def why(c: Cluster, name: str) -> str:
    return str(events(c, "FailedScheduling", name)[-1]["message"])


async def nominate_big(c: Cluster, affinity: Obj | None = None, **labels: str) -> None:
    """node-1 full of low-priority pods, the other nodes of high-priority ones: big-0 (high) preempts one filler on
    node-1 and waits there, nominated, while the victim runs out its 20 s grace period."""
    c.api.create(pc("low", 10))
    c.api.create(pc("high", 1000))
    c.api.create(pc("top", 2000))
    for name in sorted(node["metadata"]["name"] for node in c.store.iter("nodes")):
        for i in range(4):
            filler = name == "node-1"
            await c.create(pod(f"{'filler' if filler else name}-{i}", klass="low" if filler else "high", node=name))
    await c.run_for(2)
    big = labelled(pod("big-0", klass="high"), app="big", **labels)
    if affinity is not None:
        big["spec"]["affinity"] = affinity
    await c.create(big)
    await c.run_for(1)
    assert [e["involvedObject"]["name"] for e in events(c, "Preempted")] == ["filler-3"]
    assert c.get("pods", "big-0")["status"]["nominatedNodeName"] == "node-1"
    assert bound(c, "big-0") is None


def anti_big() -> Obj:
    term = {"labelSelector": {"matchLabels": {"app": "big"}}, "topologyKey": HOST}
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}


async def test_a_lower_priority_pod_whose_anti_affinity_refuses_the_nominated_pod_is_kept_off_its_node() -> None:
    """web-0 (low) would fit node-1 as it is (no requests, no app=big pod bound there), but not beside big-0 once it
    lands: the first pass, with big-0 added to InterPodAffinity's state, fails. Before, only resources were checked
    with the nominated pods added, and web-0 took node-1 from under big-0."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await nominate_big(c)
        assert await placed(c, best_effort("web-0", "low", affinity=anti_big(), nodeSelector=ON_NODE_1)) is None
        assert why(c, "web-0") == (
            "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
            "1 node(s) didn't match pod anti-affinity rules. no new claims to deallocate, preemption: 0/2 nodes are "
            "available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling."
        )
        # big-0 gets the node it preempted for; web-0 stays off it, now for an ordinary reason.
        assert await c.run_until(lambda c: bound(c, "big-0") is not None, timeout=60)
        assert bound(c, "big-0") == "node-1"
        await c.run_for(1)
        assert bound(c, "web-0") is None


async def test_a_pod_of_higher_priority_than_the_nominated_one_does_not_yield_to_it() -> None:
    """addGENominatedPods adds only the nominated pods of priority at least the pod's: top-0 (2000) ignores big-0
    (1000), as it may take room freed for lower-priority pods."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await nominate_big(c)
        assert await placed(c, best_effort("top-0", "top", affinity=anti_big(), nodeSelector=ON_NODE_1)) == "node-1"


async def test_a_pod_whose_spread_the_nominated_pod_would_break_is_kept_off() -> None:
    """maxSkew 1 by hostname over tier=front pods, node affinity ignored for the domains (so node-2 counts with 0):
    on node-1 web-0 alone makes a skew of 1, beside big-0 (tier=front, nominated there) 2. PodTopologySpread's
    AddPod counts big-0 in the first pass."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await nominate_big(c, tier="front")
        constraint = {
            "maxSkew": 1,
            "topologyKey": HOST,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"tier": "front"}},
            "nodeAffinityPolicy": "Ignore",
        }
        web = best_effort("web-0", "low", topologySpreadConstraints=[constraint], nodeSelector=ON_NODE_1)
        assert await placed(c, labelled(web, app="web", tier="front")) is None
        assert why(c, "web-0") == (
            "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
            "1 node(s) didn't match pod topology spread constraints. no new claims to deallocate, preemption: "
            "0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful "
            "for scheduling."
        )


async def test_pod_affinity_to_the_nominated_pod_waits_until_it_is_bound() -> None:
    """The second pass: web-0 (low) requires affinity to app=big. With big-0 added node-1 passes, without it no node
    does, so web-0 waits until big-0 is really there, then joins it."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        await nominate_big(c)
        term = {"labelSelector": {"matchLabels": {"app": "big"}}, "topologyKey": HOST}
        affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
        assert await placed(c, best_effort("web-0", "low", affinity=affinity)) is None
        assert why(c, "web-0") == (
            "0/2 nodes are available: 2 node(s) didn't match pod affinity rules. no new claims to deallocate, "
            "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        )
        assert await c.run_until(lambda c: bound(c, "web-0") is not None, timeout=60)
        assert bound(c, "big-0") == bound(c, "web-0") == "node-1"


async def test_the_nominated_node_is_tried_with_the_prefilter_state_of_the_whole_cluster() -> None:
    """schedule_one.go schedulePod runs PreFilter over all nodes, then evaluateNominatedNode filters the nominated
    node alone. big-0 refuses app=cache pods in its zone; while it waits for its victim on node-1, cache-0 (of higher
    priority, no terms of its own) is bound to node-3, in node-1's zone. When big-0 is tried again on node-1, the zone
    holds cache-0 (a PreFilter over node-1 alone would miss it and bind big-0 beside it)."""
    zone = "topology.kubernetes.io/zone"
    async with Cluster(nodes=3, node_cpu="4", zones=2) as c:  # node-1 and node-3 in zone-1
        term = {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": zone}
        await nominate_big(c, {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}})
        assert await placed(c, best_effort("cache-0", "top", nodeSelector={HOST: "node-3"})) == "node-3"
        assert await c.run_until(lambda c: c.get("pods", "filler-3") is None, timeout=60)
        await c.run_for(2)
        assert bound(c, "big-0") is None
        assert why(c, "big-0") == (
            "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 Insufficient cpu. no new "
            "claims to deallocate, preemption: 0/3 nodes are available: 1 node(s) didn't match pod anti-affinity "
            "rules, 2 No preemption victims found for incoming pod."
        )
