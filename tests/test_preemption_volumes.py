"""Preemption for pods with PersistentVolumeClaims, on the virtual clock.

Upstream: pkg/scheduler/framework/plugins/volumebinding/volume_binding.go (PreFilter's and Filter's rejections are
UnschedulableAndUnresolvable: nodes a volume cannot reach are no preemption candidates),
pkg/scheduler/framework/plugins/volumerestrictions/volume_restrictions.go (a ReadWriteOncePod claim in use is
Unschedulable, and RemovePod takes the victim's use out of conflictingPVCRefCount), and
pkg/scheduler/framework/preemption/preemption.go (nodesWherePreemptionMightHelp).

The ReadWriteOncePod scenario was run on the kit (v1.36.2 kube-scheduler, kwok nodes, the claim bound to a
hand-made PersistentVolume): the same victim, the same FailedScheduling text for the two nodes (no preemption part,
as preemption succeeded) and "Preempted by pod <uid> on node <node>"; nominatedNodeName names the holder's node
until the pod is bound, then is cleared, in both. An unbound Immediate claim gives the same "pod has unbound
immediate PersistentVolumeClaims. not found" there too.
"""

from __future__ import annotations

from typing import Any

from test_priority_preemption import events, pc
from test_priority_preemption import pod as cpu_pod

from engine.cluster import Cluster

Obj = dict[str, Any]


def claimed(name: str, claim: str, klass: str, cpu: str = "900m", node: str | None = None) -> Obj:
    p = cpu_pod(name, cpu=cpu, klass=klass, node=node)
    p["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    return p


def claim(name: str, cls: str, modes: tuple[str, ...] = ("ReadWriteOnce",)) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"accessModes": list(modes), "storageClassName": cls, "resources": {"requests": {"storage": "1Gi"}}},
    }


def bound_node(c: Cluster, name: str) -> str:
    return str((c.get("pods", name) or {}).get("spec", {}).get("nodeName") or "")


async def test_a_pod_whose_volume_lives_on_a_full_node_preempts_there() -> None:
    """The claim's volume is pinned to node-1, which lower-priority pods fill: node-2 is rejected by VolumeBinding
    (no candidate), node-1 by NodeResourcesFit (a candidate)."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        c.api.create(pc("low", 10))
        c.api.create(pc("high", 1000))
        hostname = {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}
        c.api.create(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": "local-1"},
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "",
                    "local": {"path": "/mnt/disk"},
                    "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [hostname]}]}},
                },
            }
        )
        c.api.create(claim("data", ""))
        for i in range(4):
            await c.create(cpu_pod(f"low-{i}", klass="low", node="node-1"))
        assert await c.run_until(lambda c: c.get("pvc", "data")["status"].get("phase") == "Bound", timeout=60)
        await c.run_for(5)  # the fillers run, so a victim takes its 20 s grace period
        await c.create(claimed("db-0", "data", "high"))
        await c.run_for(1)
        preempted = events(c, "Preempted")
        assert len(preempted) == 1 and preempted[0]["involvedObject"]["name"].startswith("low-")
        assert preempted[0]["message"].endswith(" on node node-1")
        assert c.get("pods", "db-0")["status"]["nominatedNodeName"] == "node-1"
        assert events(c, "FailedScheduling", "db-0")[-1]["message"] == (
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match PersistentVolume's node affinity."
        )
        assert await c.run_until(lambda c: bound_node(c, "db-0") == "node-1", timeout=60)


def one_pod_claim(c: Cluster) -> None:
    """The claim `only`, ReadWriteOncePod, of a class that binds at once."""
    c.api.create(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "single"},
            "provisioner": "example.com/fast",
            "volumeBindingMode": "Immediate",
        }
    )
    c.api.create(claim("only", "single", ("ReadWriteOncePod",)))

async def test_the_lower_priority_holder_of_a_read_write_once_pod_claim_is_preempted() -> None:
    async with Cluster(nodes=2, node_cpu="4") as c:
        c.api.create(pc("low", 10))
        c.api.create(pc("high", 1000))
        one_pod_claim(c)
        await c.create(claimed("one", "only", "low", cpu="100m"))
        assert await c.run_until(lambda c: c.get("pods", "one")["status"].get("phase") == "Running", timeout=60)
        holder = bound_node(c, "one")
        await c.create(claimed("two", "only", "high", cpu="100m"))
        await c.run_for(1)
        assert [e["involvedObject"]["name"] for e in events(c, "Preempted")] == ["one"]
        assert c.get("pods", "two")["status"]["nominatedNodeName"] == holder
        assert events(c, "FailedScheduling", "two")[-1]["message"] == (
            "0/2 nodes are available: 2 node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod "
            "access mode already in-use by another pod."
        )
        assert await c.run_until(lambda c: bound_node(c, "two") == holder, timeout=60)


async def test_a_claim_of_equal_priority_holders_finds_no_victims() -> None:
    """The pod that uses the ReadWriteOncePod claim has the newcomer's priority: the node without a lower-priority
    pod has no victim, and on the one with the ingress-nginx add-on's pod (priority 0) removing it leaves the claim
    in use."""
    async with Cluster(nodes=2, node_cpu="4") as c:
        c.api.create(pc("high", 1000))
        one_pod_claim(c)
        await c.create(claimed("one", "only", "high", cpu="100m"))
        assert await c.run_until(lambda c: c.get("pods", "one")["status"].get("phase") == "Running", timeout=60)
        await c.create(claimed("two", "only", "high", cpu="100m"))
        await c.run_for(2)
        assert events(c, "Preempted") == []
        assert events(c, "FailedScheduling", "two")[-1]["message"] == (
            "0/2 nodes are available: 2 node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod "
            "access mode already in-use by another pod. no new claims to deallocate, preemption: 0/2 nodes are "
            "available: 1 No preemption victims found for incoming pod, 1 node(s) unavailable due to "
            "PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod."
        )
