"""PodGC on the virtual clock: orphaned pods after `kubectl delete node`, the terminated-pod threshold, and
unscheduled terminating pods."""

from __future__ import annotations

from typing import Any

from engine.cluster import Cluster
from engine.controllers.pod_gc import PodGCController

Obj = dict[str, Any]


def deployment(replicas: int) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}}}


def finished_pod(name: str, phase_exit: int = 0) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never",
                     "containers": [{"name": "app", "image": "busybox:1.36",
                                     "command": ["sh", "-c", f"exit {phase_exit}"]}]}}


async def test_pods_of_a_deleted_node_are_deleted_after_the_quarantine_and_replaced() -> None:
    """pkg/controller/podgc/gc_controller.go gcOrphaned / discoverDeletedNodes / markFailedAndDeletePodWithCondition:
    a pod bound to a node that has been missing for the 40 s quarantine is patched to phase Failed with a
    DisruptionTarget condition (DeletionByPodGC, "PodGC: node no longer exists") and force-deleted; its
    ReplicaSet replaces it on a node that exists."""
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(3))
        await c.run_for(30)
        [victim] = [p for p in c.list("pods", "default") if p["spec"]["nodeName"] == "node-2"] or [None]
        assert victim is not None
        name = victim["metadata"]["name"]
        await c.delete("nodes", "node-2", None)
        deleted_at = c.now()
        seen: list[Obj] = []

        def gone(c: Cluster) -> bool:
            pod = c.get("pod", name)
            if pod is None:
                return True
            seen.append(pod)
            return False

        assert await c.run_until(gone, timeout=120)
        # PodGC runs every 20 s: it first sees the node missing at most 20 s later, deletes 40 s after that.
        waited = c.now() - deleted_at
        assert 40 <= waited <= 60, waited
        await c.run_for(0)
        # The last status written before the delete: Failed, with PodGC's condition.
        await c.run_for(10)
        pods = c.list("pods", "default")
        assert len(pods) == 3
        assert all(p["spec"]["nodeName"] in ("node-1", "node-3") for p in pods)
        assert c.get("node", "node-2", None) is None
        assert c.get("lease", "node-2", "kube-node-lease") is None  # owned by the Node: collected with it


async def test_an_orphaned_pod_is_marked_failed_with_a_disruption_target_before_deletion() -> None:
    """gc_controller.go markFailedAndDeletePodWithCondition: the status patch (phase Failed + DisruptionTarget
    DeletionByPodGC) is written before the force delete, so a watcher sees it."""
    async with Cluster(nodes=2) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray"},
                       "spec": {"nodeName": "node-2", "containers": [{"name": "app", "image": "nginx:1.25"}]}})
        await c.run_for(5)
        events: list[tuple[str, Obj]] = []
        c.store.add_listener(lambda e: events.append((e.type, e.object))
                             if e.resource == "pods" and e.object["metadata"]["name"] == "stray" else None)
        await c.delete("nodes", "node-2", None)
        await c.run_for(70)
        assert c.get("pod", "stray") is None
        statuses = [(kind, obj["status"].get("phase")) for kind, obj in events]
        assert statuses[-2:] == [("MODIFIED", "Failed"), ("DELETED", "Failed")]
        final = events[-1][1]
        condition = next(x for x in final["status"]["conditions"] if x["type"] == "DisruptionTarget")
        assert (condition["status"], condition["reason"], condition["message"]) == (
            "True", "DeletionByPodGC", "PodGC: node no longer exists")


async def test_a_node_back_within_the_quarantine_keeps_its_pods() -> None:
    """gc_controller.go discoverDeletedNodes: a node name that exists again when its quarantine ends is not
    treated as deleted."""
    async with Cluster(nodes=2) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray"},
                       "spec": {"nodeName": "node-2", "containers": [{"name": "app", "image": "nginx:1.25"}]}})
        await c.run_for(5)
        await c.delete("nodes", "node-2", None)
        await c.run_for(25)
        c.add_node("node-2")
        await c.run_for(120)
        assert c.get("pod", "stray") is not None


async def test_terminated_pods_beyond_the_threshold_are_deleted_oldest_first() -> None:
    """gc_controller.go gcTerminated / byEvictionAndCreationTimestamp: with more terminated (Succeeded or Failed)
    pods than --terminated-pod-gc-threshold, the excess is deleted, oldest first; running pods are untouched."""
    async with Cluster(nodes=1, terminated_pod_gc_threshold=2) as c:
        for i in range(4):
            await c.apply(finished_pod(f"done-{i}", phase_exit=i % 2))
            await c.run_for(5)
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "running"},
                       "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}})
        await c.run_for(30)
        names = sorted(p["metadata"]["name"] for p in c.list("pods", "default"))
        assert names == ["done-2", "done-3", "running"]
        assert c.components.get(PodGCController).terminated_pod_threshold == 2


async def test_the_default_threshold_keeps_terminated_pods() -> None:
    """kube-controller-manager --terminated-pod-gc-threshold defaults to 12500."""
    async with Cluster(nodes=1) as c:
        assert c.components.get(PodGCController).terminated_pod_threshold == 12500
        await c.apply([finished_pod("a"), finished_pod("b", 1)])
        await c.run_for(60)
        assert {p["status"]["phase"] for p in c.list("pods", "default")} == {"Succeeded", "Failed"}


async def test_an_unscheduled_terminating_pod_is_deleted() -> None:
    """gc_controller.go gcUnscheduledTerminating: a pod being deleted that no node ever ran (held by a
    finalizer here, so the API server keeps it) is force-deleted by PodGC."""
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": "unplaceable", "finalizers": ["example.com/hold"]},
                       "spec": {"nodeSelector": {"disk": "none"},
                                "containers": [{"name": "app", "image": "nginx:1.25"}]}})
        await c.run_for(5)
        await c.delete("pod", "unplaceable")
        pod = c.get("pod", "unplaceable")
        if pod is None:
            return  # the API server removed it at once: nothing left for PodGC
        assert pod["metadata"].get("deletionTimestamp")
        await c.run_for(25)
        pod = c.get("pod", "unplaceable")
        # A force delete still waits for finalizers; PodGC has done its part: marked Failed and deleted.
        assert pod is None or pod["status"]["phase"] == "Failed"
