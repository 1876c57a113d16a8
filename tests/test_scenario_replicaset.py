"""Scenario: the ReplicaSet controller — creation, scale-down ranking, adoption and events (§2)."""

from __future__ import annotations

from typing import Any

from engine import podutil
from engine.cluster import Cluster
from engine.controllers.replicaset import compare_for_deletion, pods_to_delete, slow_start_batches
from engine.errors import ApiError

Obj = dict[str, Any]



def replicaset(replicas: int, *, cpu: str | None = None, annotations: dict[str, str] | None = None,
               name: str = "frontend") -> Obj:
    container: Obj = {"name": "app", "image": "nginx:1.25"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"tier": name}},
            "template": {
                "metadata": {"labels": {"tier": name}, "annotations": annotations or {}},
                "spec": {"containers": [container]},
            },
        },
    }


def bare_pod(name: str, labels: dict[str, str], annotations: dict[str, str] | None = None, **spec: Any) -> Obj:
    container: Obj = {"name": "app", "image": "nginx:1.25"}
    if annotations and "sim.k9py.io/readiness" in annotations:
        container["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels, "annotations": annotations or {}},
        "spec": {"containers": [container], **spec},
    }


def rs_status(c: Cluster, name: str = "frontend") -> Obj:
    return c.get("rs", name)["status"]


def active(c: Cluster, tier: str = "frontend") -> list[Obj]:
    return [p for p in c.list("pods", "default", selector=f"tier={tier}") if podutil.is_active(p)]


def rs_events(c: Cluster, reason: str) -> list[str]:
    return [e["message"] for e in c.events("default") if e["reason"] == reason
            and e["involvedObject"]["kind"] == "ReplicaSet"]


def test_slow_start_batches() -> None:
    assert slow_start_batches(10) == [1, 2, 4, 3]
    assert slow_start_batches(1) == [1]
    assert slow_start_batches(0) == []
    assert slow_start_batches(7) == [1, 2, 4]


async def test_replicaset_creates_pods_with_generated_names_and_events() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(replicaset(3))
        c.settle()
        pods = active(c)
        assert len(pods) == 3
        for pod in pods:
            name = pod["metadata"]["name"]
            assert name.startswith("frontend-") and len(name) == len("frontend-") + 5
            assert set(name[len("frontend-"):]) <= set("bcdfghjklmnpqrstvwxz2456789")
            ref = podutil.controller_ref(pod)
            assert ref is not None and ref["kind"] == "ReplicaSet" and ref["name"] == "frontend"
            assert ref["blockOwnerDeletion"] is True
        assert sorted(rs_events(c, "SuccessfulCreate")) == sorted(f"Created pod: {p['metadata']['name']}"
                                                                  for p in pods)
        assert rs_status(c)["replicas"] == 3
        assert await c.run_until(lambda c: rs_status(c).get("availableReplicas") == 3, timeout=30)
        st = rs_status(c)
        assert st["readyReplicas"] == 3 and st["fullyLabeledReplicas"] == 3
        assert st["observedGeneration"] == 1
        assert c.table("rs", "default")[1][0][:4] == ["frontend", "3", "3", "3"]

        # Deleting a pod gets it replaced at once.
        victim = pods[0]["metadata"]["name"]
        await c.delete("pods", victim)
        c.settle()
        assert len(active(c)) == 3
        assert victim not in {p["metadata"]["name"] for p in active(c)}


async def test_scale_down_removes_unscheduled_pods_first() -> None:
    """Nodes of 4 cpu fit one 3-cpu pod each: the fourth pod is Pending, and goes first on scale-down."""
    async with Cluster(nodes=3) as c:
        await c.apply(replicaset(4, cpu="3"))
        await c.run_for(10)
        pending = [p for p in active(c) if not p["spec"].get("nodeName")]
        assert len(pending) == 1
        await c.scale("rs", "frontend", 3)
        c.settle()
        assert rs_events(c, "SuccessfulDelete") == [f"Deleted pod: {pending[0]['metadata']['name']}"]
        assert all(p["spec"].get("nodeName") for p in active(c))
        assert len(active(c)) == 3


async def test_scale_down_removes_not_ready_before_ready() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(replicaset(3))
        assert await c.run_until(lambda c: rs_status(c).get("readyReplicas") == 3, timeout=30)
        # A pod that never passes readiness, running on a node, then relabelled into the ReplicaSet's selector.
        await c.create(bare_pod("straggler", {"tier": "other"}, {"sim.k9py.io/readiness": "fail"}))
        await c.run_for(10)
        straggler = c.get("pods", "straggler")
        assert straggler["status"]["phase"] == "Running" and not podutil.is_ready(straggler)
        await c.patch("pods", "straggler", {"metadata": {"labels": {"tier": "frontend"}}})
        c.settle()
        # Adopted (4 > 3), then the surplus is the not-ready one, although it is the newest... and also the oldest
        # rule to apply is readiness: it is deleted.
        assert rs_events(c, "SuccessfulDelete") == ["Deleted pod: straggler"]
        gone = c.get("pods", "straggler")
        assert gone is None or gone["metadata"].get("deletionTimestamp")
        if gone is not None:
            assert podutil.controller_ref(gone)["name"] == "frontend"
        assert len(active(c)) == 3


async def test_adopts_matching_orphan_instead_of_creating() -> None:
    async with Cluster(nodes=3) as c:
        await c.create(bare_pod("orphan", {"tier": "frontend"}))
        await c.run_for(5)
        await c.apply(replicaset(2))
        c.settle()
        pods = active(c)
        assert len(pods) == 2
        orphan = c.get("pods", "orphan")
        ref = podutil.controller_ref(orphan)
        assert ref is not None and ref["name"] == "frontend" and ref["uid"] == c.get("rs", "frontend")["metadata"][
            "uid"]
        assert len(rs_events(c, "SuccessfulCreate")) == 1
        # A pod whose labels stop matching is released (its ownerReference removed) and replaced.
        await c.patch("pods", "orphan", {"metadata": {"labels": {"tier": "debug"}}})
        c.settle()
        assert podutil.controller_ref(c.get("pods", "orphan")) is None
        assert len(active(c)) == 2
        assert "orphan" not in {p["metadata"]["name"] for p in active(c)}


async def test_failed_creates_set_replica_failure_and_recover() -> None:
    async with Cluster(nodes=3) as c:
        original = c.api.create
        created: list[str] = []
        broken = [True]

        def flaky(obj: Obj, namespace: str | None = None, **kw: Any) -> Obj:
            if obj.get("kind") == "Pod" and broken[0]:
                if len(created) >= 2:
                    raise ApiError(500, "InternalError", "Internal error occurred: etcd is sad")
                created.append("x")
            return original(obj, namespace, **kw)

        c.api.create = flaky  # type: ignore[method-assign]
        await c.apply(replicaset(10))
        c.settle()
        # Batch 1 (1 pod) then batch 2 (2 pods, the second fails): the sync stops after that batch.
        assert len(active(c)) == 2
        assert set(rs_events(c, "FailedCreate")) == {"Error creating: Internal error occurred: etcd is sad"}
        cond = next(x for x in rs_status(c)["conditions"] if x["type"] == "ReplicaFailure")
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "True", "FailedCreate", "Internal error occurred: etcd is sad")
        await c.run_for(15)
        assert len(active(c)) == 2  # every retry fails its first batch of one
        broken[0] = False
        await c.run_for(15)
        assert len(active(c)) == 10
        assert not [x for x in rs_status(c).get("conditions") or () if x["type"] == "ReplicaFailure"]


def _pod(name: str, *, node: str = "", phase: str = "Running", ready: bool = True, created: str,
         ready_at: str | None = None, restarts: int = 0, cost: str | None = None) -> Obj:
    conditions = []
    if ready:
        conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": ready_at or created})
    return {
        "metadata": {"name": name, "uid": f"uid-{name}", "creationTimestamp": created,
                     "annotations": {"controller.kubernetes.io/pod-deletion-cost": cost} if cost else {}},
        "spec": {"nodeName": node},
        "status": {"phase": phase, "conditions": conditions,
                   "containerStatuses": [{"name": "c", "restartCount": restarts}]},
    }


def test_deletion_ranking_rules() -> None:
    from engine.timeutil import parse_time

    now = parse_time("2026-01-01T12:00:00Z")
    old, new = "2026-01-01T00:00:00Z", "2026-01-01T11:59:00Z"
    running = _pod("running", node="n1", created=old)
    pending = _pod("pending", node="n1", phase="Pending", ready=False, created=old)
    unassigned = _pod("unassigned", phase="Pending", ready=False, created=old)
    not_ready = _pod("not-ready", node="n1", ready=False, created=old)
    cheap = _pod("cheap", node="n1", created=old, cost="-10")
    young = _pod("young", node="n2", created=new, ready_at=new)
    crashy = _pod("crashy", node="n3", created=old, restarts=5)

    def first(*pods: Obj, related: list[Obj] | None = None) -> str:
        return pods_to_delete(list(pods), related or list(pods), 1, now)[0]["metadata"]["name"]

    assert first(running, unassigned) == "unassigned"
    assert first(running, pending) == "pending"
    assert first(running, not_ready) == "not-ready"
    assert first(running, cheap) == "cheap"
    # Rank: `running` shares n1 with two related pods, `young` is alone on n2.
    assert first(running, young, related=[running, cheap, not_ready, young]) == "running"
    assert first(_pod("a", node="n4", created=old), young) == "young"  # ready more recently
    assert first(_pod("a", node="n4", created=old), crashy) == "crashy"
    # Same log2 bucket for everything: the UID decides.
    twin_a = _pod("twin-a", node="n5", created=old)
    twin_b = _pod("twin-b", node="n6", created=old)
    assert compare_for_deletion(twin_a, twin_b, 1, 1, now) == -1
    assert compare_for_deletion(twin_b, twin_a, 1, 1, now) == 1
