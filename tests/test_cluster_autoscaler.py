"""The Cluster Autoscaler on the virtual clock: node groups of a simulated cloud, scale-up of pending pods, scale-down
of underused nodes, what blocks it, and the status ConfigMap.

Sources (kubernetes/autoscaler cluster-autoscaler, as of the v1.36-era tree): `core/static_autoscaler.go` (RunOnce
every --scan-interval 10 s; scale-down in cooldown for --scale-down-delay-after-add 10m after a scale-up),
`core/scaleup/orchestrator/orchestrator.go` and `skippedreasons.go` ("max node group size reached"),
`processors/status/eventing_scale_up_processor.go` (TriggeredScaleUp "pod triggered scale-up: [{g 0->2 (max: 5)}]",
NotTriggerScaleUp "pod didn't trigger scale-up: " with each reason counted over node groups),
`processors/nodegroupset/nodegroup_set_processor.go` (ScaleUpInfo.String), `expander/waste/waste.go` (least-waste),
`core/scaledown/eligibility/eligibility.go` (utilization threshold 0.5, `scale-down-disabled` annotation),
`config/const.go` (--scale-down-unneeded-time 10m), `simulator/drainability/rules/` (replicated, system,
notsafetoevict, safetoevict, localstorage, pdb), `core/scaledown/actuation/actuator.go`, `drain.go` and
`delete_in_batch.go` (ScaleDown events "marked the node as toBeDeleted/unschedulable", "deleting pod for node scale
down", "nodes removed by cluster autoscaler"), `utils/taints/taints.go` (ToBeDeletedByClusterAutoscaler),
`config/flags/flags.go` (--cordon-node-before-terminating true), `clusterstate/utils/status.go` and
`clusterstate/api/types.go` (the `cluster-autoscaler-status` ConfigMap's YAML).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from engine.cluster import Cluster
from engine.controllers.cluster_autoscaler import ClusterAutoscaler
from engine.controllers.cluster_autoscaler_groups import NodeGroup, NodeGroupError, node_group_from_document

Obj = dict[str, Any]


def group(
    name: str = "pool",
    *,
    min_size: int = 0,
    max_size: int = 5,
    cpu: str = "4",
    memory: str = "16Gi",
    boot: str = "60s",
    labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
) -> Obj:
    node: Obj = {"cpu": cpu, "memory": memory}
    if labels:
        node["labels"] = labels
    if taints:
        node["taints"] = taints
    return {
        "apiVersion": "k9py.io/v1alpha1",
        "kind": "NodeGroup",
        "metadata": {"name": name},
        "spec": {"minSize": min_size, "maxSize": max_size, "bootTime": boot, "node": node},
    }


def deployment(
    name: str,
    replicas: int,
    cpu: str,
    memory: str = "256Mi",
    namespace: str = "default",
    pod_meta: Obj | None = None,
    pod_spec: Obj | None = None,
) -> Obj:
    meta = {"labels": {"app": name}, **(pod_meta or {})}
    container = {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": meta, "spec": {"containers": [container], **(pod_spec or {})}},
        },
    }


def group_nodes(cluster: Cluster, name: str = "pool") -> list[Obj]:
    return cluster.list("nodes", selector=f"k9py.io/node-group={name}")


def ready(node: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])


def events(cluster: Cluster, reason: str) -> list[Obj]:
    return [
        e for e in cluster.events() if e["reason"] == reason and e["source"].get("component") == "cluster-autoscaler"
    ]


def pods_of(cluster: Cluster, app: str, namespace: str = "default") -> list[Obj]:
    return cluster.list("pods", namespace, selector=f"app={app}")


async def test_pending_pods_trigger_a_scale_up_and_run_once_the_nodes_have_booted() -> None:
    """Five pods of 1500m fit nowhere on a 2-CPU node: the group's 4-CPU template takes two each, so the group
    goes 0->3; the machines register NotReady, turn Ready after the 60 s boot time, and the pods run there."""
    async with Cluster(nodes=1, node_cpu="2", node_groups=[group()]) as cluster:
        await cluster.apply(deployment("web", 6, "1500m"))
        await cluster.run_for(15)
        triggered = events(cluster, "TriggeredScaleUp")
        assert len(triggered) == 5
        assert {e["message"] for e in triggered} == {"pod triggered scale-up: [{pool 0->3 (max: 5)}]"}
        assert {e["involvedObject"]["kind"] for e in triggered} == {"Pod"}
        nodes = group_nodes(cluster)
        assert len(nodes) == 3
        assert all(re.fullmatch(r"pool-[bcdfghjklmnpqrstvwxz2456789]{5}", n["metadata"]["name"]) for n in nodes)
        assert not any(ready(n) for n in nodes)
        assert all(n["spec"]["providerID"] == f"k9py://pool/{n['metadata']['name']}" for n in nodes)
        assert {e["message"] for e in events(cluster, "ScaledUpGroup")} == {
            "Scale-up: setting group pool size to 3 instead of 0 (max: 5)",
            "Scale-up: group pool size set to 3 instead of 0 (max: 5)",
        }
        # Still booting: the pods wait, and no second scale-up is asked for them.
        await cluster.run_for(40)
        assert len(group_nodes(cluster)) == 3
        assert all(
            not p["spec"].get("nodeName") for p in pods_of(cluster, "web") if p["spec"].get("nodeName") != "node-1"
        )
        await cluster.run_for(30)
        nodes = group_nodes(cluster)
        assert len(nodes) == 3 and all(ready(n) for n in nodes)
        pods = pods_of(cluster, "web")
        assert all(p["status"]["phase"] == "Running" for p in pods)
        assert sorted(p["spec"]["nodeName"] for p in pods).count("node-1") == 1
        assert len(events(cluster, "TriggeredScaleUp")) == 5  # one scale-up only


async def test_no_group_fits_says_why_in_not_trigger_scale_up() -> None:
    """A pod selecting a label no group has, and a group already at its max: each group's reason counted once."""
    groups = [group("small", min_size=1, max_size=1, cpu="2"), group("big", max_size=3, cpu="8")]
    async with Cluster(nodes=0, node_groups=groups) as cluster:
        await cluster.apply(deployment("picky", 1, "100m", pod_spec={"nodeSelector": {"disk": "ssd"}}))
        await cluster.run_for(25)
        assert not events(cluster, "TriggeredScaleUp")
        messages = {e["message"] for e in events(cluster, "NotTriggerScaleUp")}
        assert messages == {
            "pod didn't trigger scale-up: 1 max node group size reached, "
            "1 node(s) didn't match Pod's node affinity/selector"
        }
        assert len(group_nodes(cluster, "big")) == 0


async def test_too_big_for_every_template_is_insufficient_cpu() -> None:
    async with Cluster(nodes=1, node_cpu="2", node_groups=[group(cpu="2")]) as cluster:
        await cluster.apply(deployment("huge", 1, "3"))
        await cluster.run_for(15)
        assert {e["message"] for e in events(cluster, "NotTriggerScaleUp")} == {
            "pod didn't trigger scale-up: 1 Insufficient cpu"
        }


async def test_least_waste_picks_the_group_whose_new_nodes_stay_fullest() -> None:
    """Three pods of 1 CPU / 1Gi: one 4-CPU/4Gi node wastes 25 % CPU + 25 % memory; two 2-CPU/16Gi nodes waste
    25 % CPU + 90 % memory. least-waste adds the 4-CPU node."""
    groups = [group("tall", cpu="2", memory="16Gi"), group("square", cpu="4", memory="4Gi")]
    async with Cluster(nodes=0, node_groups=groups) as cluster:
        await cluster.apply(deployment("web", 3, "1", "1Gi"))
        await cluster.run_for(15)
        assert {e["message"] for e in events(cluster, "TriggeredScaleUp")} == {
            "pod triggered scale-up: [{square 0->1 (max: 5)}]"
        }
        assert len(group_nodes(cluster, "square")) == 1 and not group_nodes(cluster, "tall")


async def test_max_size_caps_a_scale_up_and_the_rest_are_told_so() -> None:
    async with Cluster(nodes=1, node_cpu="1", node_groups=[group(max_size=2, cpu="2")]) as cluster:
        await cluster.apply(deployment("web", 4, "1500m"))
        await cluster.run_for(15)
        assert {e["message"] for e in events(cluster, "TriggeredScaleUp")} == {
            "pod triggered scale-up: [{pool 0->2 (max: 2)}]"
        }
        assert len(events(cluster, "TriggeredScaleUp")) == 2
        await cluster.run_for(120)
        assert len(group_nodes(cluster)) == 2
        assert {e["message"] for e in events(cluster, "NotTriggerScaleUp")} == {
            "pod didn't trigger scale-up: 1 max node group size reached"
        }


async def test_a_new_group_starts_at_its_min_size_and_is_never_scaled_below_it() -> None:
    async with Cluster(nodes=1, node_groups=[group(min_size=2, boot="30s")]) as cluster:
        nodes = group_nodes(cluster)
        assert len(nodes) == 2 and not any(ready(n) for n in nodes)
        await cluster.run_for(40 * 60)
        nodes = group_nodes(cluster)
        assert len(nodes) == 2 and all(ready(n) for n in nodes)  # empty, but at min size
        assert not events(cluster, "ScaleDown")
        assert cluster.components.get(ClusterAutoscaler).unremovable == dict.fromkeys(
            (n["metadata"]["name"] for n in nodes), "NodeGroupMinSizeReached"
        )


async def test_an_underused_node_is_drained_and_removed_after_ten_minutes() -> None:
    """A node whose one pod (1 CPU of 4: 25 %) fits on node-1 is unneeded; 10 minutes after the scale-up (the
    delay after add) and 10 minutes unneeded, it is tainted and cordoned, its pod evicted and recreated on node-1,
    and the machine removed."""
    async with Cluster(nodes=1, node_groups=[group(boot="30s")]) as cluster:
        await cluster.apply(deployment("filler", 1, "3500m"))
        await cluster.run_for(5)
        await cluster.apply(deployment("web", 1, "1"))
        assert await cluster.run_until(
            lambda c: bool(group_nodes(c)) and all(p["status"].get("phase") == "Running" for p in pods_of(c, "web")),
            timeout=300,
        )
        (node,) = group_nodes(cluster)
        name = node["metadata"]["name"]
        (pod,) = pods_of(cluster, "web")
        await cluster.delete("deployment", "filler")
        await cluster.run_for(9 * 60)
        assert cluster.get("node", name, None) is not None and not events(cluster, "ScaleDown")
        marked = await cluster.run_until(lambda c: bool(events(c, "ScaleDown")), timeout=15 * 60)
        assert marked
        node = cluster.get("node", name, None)
        assert node["spec"]["unschedulable"] is True
        assert any(
            t["key"] == "ToBeDeletedByClusterAutoscaler" and t["effect"] == "NoSchedule" for t in node["spec"]["taints"]
        )
        assert await cluster.run_until(lambda c: c.get("node", name, None) is None, timeout=120)
        reasons = [(e["involvedObject"]["kind"], e["message"]) for e in events(cluster, "ScaleDown")]
        assert ("Node", "marked the node as toBeDeleted/unschedulable") in reasons
        assert ("Pod", "deleting pod for node scale down") in reasons
        assert ("Node", "nodes removed by cluster autoscaler") in reasons
        log = [e["message"] for e in events(cluster, "ScaleDown") if e["involvedObject"]["kind"] == "ConfigMap"]
        assert (
            f"Scale-down: removing node {name}, utilization: {{0.25 0.015625 0 0 cpu 0.25}}, pods to "
            f"reschedule: default/{pod['metadata']['name']}" in log
        )
        assert f"Scale-down: node {name} removed with drain" in log
        assert await cluster.run_until(
            lambda c: all(
                p["status"].get("phase") == "Running" and p["spec"]["nodeName"] == "node-1" for p in pods_of(c, "web")
            ),
            timeout=120,
        )


BLOCKERS = {
    "no controller": ({}, "bare"),
    "safe-to-evict false": ({"annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}}, None),
    "local storage": ({}, "emptydir"),
    "kube-system without a PDB": ({}, "kube-system"),
    "a PDB allowing no disruption": ({}, "pdb"),
    "scale-down-disabled on the node": ({}, "disabled"),
}


@pytest.mark.parametrize("blocker", sorted(BLOCKERS))
async def test_what_blocks_a_scale_down_keeps_the_node(blocker: str) -> None:
    meta, kind = BLOCKERS[blocker]
    namespace = "kube-system" if kind == "kube-system" else "default"
    async with Cluster(nodes=1, node_groups=[group(boot="30s")]) as cluster:
        await cluster.apply(deployment("filler", 1, "3500m"))
        await cluster.run_for(5)
        spec = {"volumes": [{"name": "scratch", "emptyDir": {}}]} if kind == "emptydir" else None
        if kind == "bare":
            await cluster.create(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "web", "labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": "nginx",
                                "resources": {"requests": {"cpu": "1", "memory": "256Mi"}},
                            }
                        ]
                    },
                }
            )
        else:
            await cluster.apply(deployment("web", 1, "1", namespace=namespace, pod_meta=meta, pod_spec=spec))
        if kind == "pdb":
            await cluster.apply(
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": "web"},
                    "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
                }
            )
        assert await cluster.run_until(
            lambda c: (
                bool(group_nodes(c))
                and all(p["status"].get("phase") == "Running" for p in pods_of(c, "web", namespace))
            ),
            timeout=300,
        )
        (node,) = group_nodes(cluster)
        name = node["metadata"]["name"]
        if kind == "disabled":
            await cluster.patch(
                "node",
                name,
                {"metadata": {"annotations": {"cluster-autoscaler.kubernetes.io/scale-down-disabled": "true"}}},
                None,
            )
        await cluster.delete("deployment", "filler")
        await cluster.run_for(25 * 60)  # past the delay after the scale-up and 10 minutes unneeded
        assert cluster.get("node", name, None) is not None
        assert not events(cluster, "ScaleDown")
        why = cluster.components.get(ClusterAutoscaler).unremovable[name]
        expected = {
            "bare": "NotReplicated",
            None: "NotSafeToEvictAnnotation",
            "emptydir": "LocalStorageRequested",
            "kube-system": "UnmovableKubeSystemPod",
            "pdb": "NotEnoughPdb",
            "disabled": "ScaleDownDisabledAnnotation",
        }[kind]
        assert expected in why


async def test_safe_to_evict_true_lets_a_bare_pod_go() -> None:
    """safetoevict/rule.go comes before replicated/rule.go: the annotation overrides "is not replicated"."""
    async with Cluster(nodes=1, node_groups=[group(boot="30s")]) as cluster:
        await cluster.apply(deployment("filler", 1, "3500m"))
        await cluster.run_for(5)
        await cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "web",
                    "labels": {"app": "web"},
                    "annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"},
                },
                "spec": {"containers": [{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "1"}}}]},
            }
        )
        assert await cluster.run_until(
            lambda c: bool(group_nodes(c)) and all(p["status"].get("phase") == "Running" for p in pods_of(c, "web")),
            timeout=300,
        )
        (node,) = group_nodes(cluster)
        await cluster.delete("deployment", "filler")
        assert await cluster.run_until(lambda c: c.get("node", node["metadata"]["name"], None) is None, timeout=40 * 60)
        assert cluster.get("pod", "web") is None  # evicted: nothing recreates a bare pod


async def test_a_busy_node_stays() -> None:
    """Above 50 % requested (3 of 4 CPUs) a node is NotUnderutilized, whatever room there is elsewhere."""
    async with Cluster(nodes=2, node_groups=[group(boot="30s")]) as cluster:
        await cluster.apply(deployment("filler", 2, "3500m"))
        await cluster.run_for(5)
        await cluster.apply(deployment("web", 1, "3"))
        assert await cluster.run_until(lambda c: bool(group_nodes(c)), timeout=60)
        await cluster.run_for(30 * 60)
        (node,) = group_nodes(cluster)
        assert cluster.components.get(ClusterAutoscaler).unremovable[node["metadata"]["name"]] == "NotUnderutilized"


async def test_status_configmap_reports_groups_and_counts() -> None:
    async with Cluster(nodes=1, node_groups=[group(min_size=1, max_size=4, boot="60s")]) as cluster:
        await cluster.run_for(15)
        cm = cluster.get("configmap", "cluster-autoscaler-status", "kube-system")
        status = yaml.safe_load(cm["data"]["status"])
        assert cm["metadata"]["annotations"]["cluster-autoscaler.kubernetes.io/last-updated"] == status["time"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC", status["time"])
        assert status["autoscalerStatus"] == "Running"
        wide = status["clusterWide"]
        assert wide["health"]["status"] == "Healthy"
        assert wide["health"]["nodeCounts"]["registered"] == {
            "total": 2,
            "ready": 1,
            "notStarted": 1,
            "unready": {"total": 0, "resourceUnready": 0},
        }
        assert wide["scaleUp"]["status"] == "InProgress"
        assert wide["scaleDown"]["status"] == "NoCandidates"
        (pool,) = status["nodeGroups"]
        assert pool["name"] == "pool"
        assert (pool["health"]["minSize"], pool["health"]["maxSize"], pool["health"]["cloudProviderTarget"]) == (
            1,
            4,
            1,
        )
        # sigs.k8s.io/yaml sorts keys: the text lists them alphabetically.
        assert cm["data"]["status"].splitlines()[0] == "autoscalerStatus: Running"
        await cluster.run_for(60)
        status = yaml.safe_load(cluster.get("configmap", "cluster-autoscaler-status", "kube-system")["data"]["status"])
        assert status["clusterWide"]["scaleUp"]["status"] == "NoActivity"
        assert status["nodeGroups"][0]["health"]["nodeCounts"]["registered"]["ready"] == 1


async def test_a_group_node_carries_the_group_labels_and_taints() -> None:
    taint = {"key": "dedicated", "value": "batch", "effect": "NoSchedule"}
    async with Cluster(nodes=0, node_groups=[group(min_size=1, labels={"tier": "batch"}, taints=[taint])]) as c:
        (node,) = group_nodes(c)
        assert node["metadata"]["labels"]["tier"] == "batch"
        assert taint in node["spec"]["taints"]
        # A pod not tolerating the taint is refused by the template too.
        await c.apply(deployment("web", 1, "100m"))
        await c.run_for(100)
        assert {e["message"] for e in events(c, "NotTriggerScaleUp")} == {
            "pod didn't trigger scale-up: 1 node(s) had untolerated taint {dedicated: batch}"
        }


def test_a_node_group_document_is_checked_field_by_field() -> None:
    assert node_group_from_document(group(min_size=1, max_size=3, boot="2m")) == NodeGroup(
        "pool", 1, 3, "4", "16Gi", 110, {}, (), 120.0
    )
    for bad, message in (
        (group(min_size=3, max_size=2), "spec.maxSize: Invalid value: 2"),
        (group(boot="soon"), "spec.bootTime: Invalid value"),
        (group(cpu="lots"), 'spec.node.cpu: Invalid value: "lots"'),
        (group("Pool"), 'metadata.name: Invalid value: "Pool"'),
        ({**group(), "spec": {"maxSize": 2, "nodes": {}}}, 'spec.nodes: unknown field "nodes"'),
    ):
        with pytest.raises(NodeGroupError, match=re.escape(message)):
            node_group_from_document(bad)
    with pytest.raises(NodeGroupError, match="Duplicate value"):
        Cluster(node_groups=[group(), group()])
