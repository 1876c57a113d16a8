"""Node-pressure eviction on the virtual clock: the kubelet's eviction manager (k/k `pkg/kubelet/eviction`:
eviction_manager.go synchronize, helpers.go rankMemoryPressure and evictionMessage; the kubelet's defaults
`memory.available<100Mi`, evictionMonitoringPeriod 10 s, evictionPressureTransitionPeriod 5m) and what follows
from it: the MemoryPressure condition, the node lifecycle controller's memory-pressure taint, the scheduler
keeping new pods off the node, the ReplicaSet replacing the evicted pod.

Every node here has 1Gi of memory. Its working set is its own 200Mi, kube-proxy and two CoreDNS pods (8Mi each)
and the pods below, so `memory.available` falls under 100Mi once the pods below use more than 700Mi.
"""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster

Obj = dict[str, Any]
NODE = "node-1"


def app(name: str, memory: str, *, requests: Obj | None = None, limits: Obj | None = None,
        priority_class: str | None = None, deployment: bool = False, node: str | None = None) -> Obj:
    container: Obj = {"name": "app", "image": "nginx:1.27", "resources": {}}
    if requests:
        container["resources"]["requests"] = requests
    if limits:
        container["resources"]["limits"] = limits
    spec: Obj = {"containers": [container]}
    if priority_class:
        spec["priorityClassName"] = priority_class
    if node:
        spec["nodeName"] = node
    annotations = {"sim.k9py.io/memory": memory}
    if deployment:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}, "annotations": annotations},
                                      "spec": spec}}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "annotations": annotations}, "spec": spec}


def statuses(c: Cluster) -> dict[str, str]:
    columns, rows = c.table("pods", "default")
    return {r[0]: r[columns.index("STATUS")] for r in rows}


def node_condition(c: Cluster, kind: str = "MemoryPressure") -> Obj:
    node = c.get("node", NODE, None)
    assert node is not None
    return next(cond for cond in node["status"]["conditions"] if cond["type"] == kind)


def taints(c: Cluster) -> list[str]:
    node = c.get("node", NODE, None)
    assert node is not None
    return [f"{t['key']}:{t['effect']}" for t in (node.get("spec") or {}).get("taints") or ()]


def events(c: Cluster, reason: str) -> list[tuple[str, str, str]]:
    return [(e["involvedObject"]["name"], e["type"], e["message"]) for e in c.events() if e["reason"] == reason]


async def without_ingress_addon(c: Cluster) -> None:
    """The ingress-nginx add-on's controller pod takes memory this node's arithmetic leaves out: removed at once
    (a user may delete an add-on, as on a real cluster), then 60 s on, so the eviction manager's 10 s beats stay
    where the arithmetic expects them."""
    c.api.delete("deployments.apps", "ingress-nginx-controller", "ingress-nginx")
    for pod in c.list("pods", "ingress-nginx"):
        c.api.delete("pods", pod["metadata"]["name"], "ingress-nginx", grace_period=0)
    await c.run_for(60)


async def test_memory_pressure_evicts_the_pod_over_its_request_with_upstreams_message() -> None:
    async with Cluster(nodes=1, node_memory="1Gi") as c:
        await without_ingress_addon(c)
        await c.apply([app("x", "200Mi", requests={"memory": "100Mi"}, deployment=True),
                       app("y", "588Mi", requests={"memory": "700Mi"}, limits={"memory": "700Mi"})])
        await c.run_for(9)
        assert node_condition(c)["status"] == "False"
        await c.run_for(1)  # the eviction manager's beat at 10 s: 1024 - 200 - 24 - 200 - 588 = 12Mi available
        message = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 12Mi. "
                   "Container app was using 200Mi, request is 100Mi, has larger consumption of memory. ")
        condition = node_condition(c)
        assert (condition["status"], condition["reason"], condition["message"]) == (
            "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
        assert events(c, "NodeHasInsufficientMemory") == [(NODE, "Normal", f"Node {NODE} status is now: "
                                                                           "NodeHasInsufficientMemory")]
        assert events(c, "EvictionThresholdMet") == [(NODE, "Warning", "Attempting to reclaim memory")]
        [(victim, kind, text)] = events(c, "Evicted")
        assert victim.startswith("x-") and (kind, text) == ("Warning", message)
        status = c.get("pod", victim)["status"]
        assert (status["phase"], status["reason"], status["message"]) == ("Failed", "Evicted", message)
        disruption = next(cond for cond in status["conditions"] if cond["type"] == "DisruptionTarget")
        assert (disruption["status"], disruption["reason"], disruption["message"]) == (
            "True", "TerminationByKubelet", message)
        assert statuses(c)[victim] == "Evicted"
        assert taints(c) == ["node.kubernetes.io/memory-pressure:NoSchedule"]
        await c.run_for(5)
        # The Deployment's replacement cannot go back on the node while it is tainted.
        fresh = [name for name, status in statuses(c).items() if name.startswith("x-") and name != victim]
        assert [statuses(c)[name] for name in fresh] == ["Pending"]
        assert statuses(c)["y"] == "Running" and statuses(c)[victim] == "Evicted"


async def test_the_condition_clears_five_minutes_after_the_pressure_went() -> None:
    async with Cluster(nodes=1, node_memory="1Gi") as c:
        await without_ingress_addon(c)
        await c.apply([app("x", "200Mi", requests={"memory": "100Mi"}, deployment=True),
                       app("y", "588Mi", requests={"memory": "700Mi"}, limits={"memory": "700Mi"})])
        await c.run_for(10)
        assert node_condition(c)["status"] == "True"
        # Last seen at 10 s, when it evicted. The loop looked again at 11 s, once the pod was gone, and every 10 s
        # from then on: the condition goes at 311 s, the first look more than 5 minutes after.
        await c.run_for(300)
        assert node_condition(c)["status"] == "True"
        await c.run_for(1)
        condition = node_condition(c)
        assert (condition["status"], condition["reason"]) == ("False", "KubeletHasSufficientMemory")
        assert condition["lastTransitionTime"] == "2026-01-01T00:06:11Z"  # a minute in: without_ingress_addon
        assert events(c, "NodeHasSufficientMemory")[-1] == (NODE, "Normal",
                                                            f"Node {NODE} status is now: NodeHasSufficientMemory")
        await c.run_for(1)
        assert taints(c) == []
        # The replacement is scheduled, uses its 200Mi again, and the node is under pressure once more.
        await c.run_for(15)
        assert node_condition(c)["status"] == "True"
        assert len(events(c, "Evicted")) == 2


async def test_pods_are_ranked_as_upstream_ranks_them() -> None:
    """rankMemoryPressure: usage over the request first, then lower priority, then more usage above the request.
    One pod per round; the next round comes once the evicted pod's containers are gone (waitForPodsCleanup)."""
    async with Cluster(nodes=1, node_memory="1Gi") as c:
        await without_ingress_addon(c)
        await c.apply([
            app("within", "300Mi", requests={"memory": "400Mi"}),
            app("guaranteed", "200Mi", requests={"memory": "200Mi"}, limits={"memory": "200Mi"}),
            app("small-excess", "110Mi", requests={"memory": "100Mi"}),
            app("big-excess", "180Mi", requests={"memory": "50Mi"}),
            app("medium-excess", "130Mi", requests={"memory": "60Mi"}),
        ])
        # 920Mi of pods: 120Mi short. Evicting big-excess leaves 60Mi available, medium-excess then 190Mi.
        await c.run_for(60)
        assert [name for name, _, _ in events(c, "Evicted")] == ["big-excess", "medium-excess"]
        times = [e["lastTimestamp"] for e in c.events() if e["reason"] == "Evicted"]
        # The first at the 10 s beat; the second as soon as the first pod's containers stopped (1 s: nginx exits
        # on SIGTERM), not at the next beat.
        assert times == ["2026-01-01T00:01:10Z", "2026-01-01T00:01:11Z"]  # after without_ingress_addon's minute
        assert [name for name, status in statuses(c).items() if status == "Evicted"] == [
            "big-excess", "medium-excess"]


async def test_critical_pods_are_never_evicted() -> None:
    async with Cluster(nodes=1, node_memory="1Gi") as c:
        await without_ingress_addon(c)
        await c.apply([app("critical", "150Mi", requests={"memory": "10Mi"},
                           priority_class="system-cluster-critical"),
                       app("a", "300Mi", requests={"memory": "400Mi"}),
                       app("b", "300Mi", requests={"memory": "400Mi"})])
        await c.run_for(10)
        # The critical pod ranks first (it alone uses more than it requested), and is passed over.
        assert [name for name, _, _ in events(c, "Evicted")] == ["a"]
        assert statuses(c)["critical"] == "Running"


async def test_under_memory_pressure_the_kubelet_turns_best_effort_pods_away() -> None:
    """The eviction manager's admit handler: a BestEffort pod bound to the node (past the scheduler, which the
    taint would stop) is rejected; a Burstable one is admitted."""
    async with Cluster(nodes=1, node_memory="1Gi") as c:
        await without_ingress_addon(c)
        await c.apply([app("y", "720Mi", requests={"memory": "700Mi"}, limits={"memory": "800Mi"})])
        await c.run_for(10)
        assert node_condition(c)["status"] == "True"
        await c.apply([app("late", "8Mi", node=NODE),
                       app("late-burstable", "8Mi", requests={"memory": "8Mi"}, node=NODE)])
        await c.run_for(1)
        status = c.get("pod", "late")["status"]
        assert (status["phase"], status["reason"], status["message"]) == (
            "Failed", "Evicted", "Pod was rejected: The node had condition: [MemoryPressure]. ")
        assert ("late", "Warning", "The node had condition: [MemoryPressure]. ") in events(c, "Evicted")
        assert statuses(c)["late-burstable"] == "Running"
