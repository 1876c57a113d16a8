"""Scenario: cascading deletion (background, foreground, orphan) and namespace lifecycle (§7)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError
from engine.store import WatchEvent

Obj = dict[str, Any]



def deployment(namespace: str = "default", replicas: int = 3, grace: int | None = None) -> Obj:
    spec: Obj = {"containers": [{"name": "app", "image": "nginx:1.25"}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
        spec["containers"][0]["command"] = ["sh", "-c", "sleep 3600"]  # ignores SIGTERM: uses the whole grace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}}


async def ready(c: Cluster, namespace: str = "default") -> None:
    assert await c.run_until(lambda c: c.rollout_status("web", namespace)[1], timeout=60)


async def test_background_deletion_removes_replicasets_and_pods() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(deployment())
        await ready(c)
        assert await c.delete("deploy", "web") is None
        assert c.get("deploy", "web") is None
        c.settle()
        assert c.list("rs", "default") == []  # the GC removes the dependents at once
        assert all(p["metadata"].get("deletionTimestamp") for p in c.list("pods", "default"))
        assert await c.run_until(lambda c: not c.list("pods", "default"), timeout=60)


async def test_foreground_deletion_waits_for_dependents() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(deployment(grace=20))
        await ready(c)
        start = c.now()
        left = await c.delete("deploy", "web", propagation="Foreground")
        assert left is not None
        assert left["metadata"]["deletionTimestamp"]
        assert left["metadata"]["finalizers"] == ["foregroundDeletion"]
        c.settle()
        d = c.get("deploy", "web")
        assert d is not None and d["metadata"]["finalizers"] == ["foregroundDeletion"]
        rs = c.list("rs", "default")
        assert len(rs) == 1 and rs[0]["metadata"].get("deletionTimestamp")
        # The RS is itself deleted in the foreground: it waits for its pods.
        assert rs[0]["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert all(p["metadata"].get("deletionTimestamp") for p in c.list("pods", "default"))
        await c.run_for(10)
        assert c.get("deploy", "web") is not None  # pods still terminating (they use their 20 s grace)
        assert await c.run_until(lambda c: c.get("deploy", "web") is None, timeout=60)
        assert 20 <= c.now() - start <= 25
        assert c.list("rs", "default") == [] and c.list("pods", "default") == []


async def test_orphan_deletion_leaves_dependents_without_owner() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(deployment())
        await ready(c)
        pods_before = {p["metadata"]["name"] for p in c.list("pods", "default")}
        await c.delete("deploy", "web", propagation="Orphan")
        c.settle()
        assert c.get("deploy", "web") is None
        rss = c.list("rs", "default")
        assert len(rss) == 1 and "ownerReferences" not in rss[0]["metadata"]
        pods = c.list("pods", "default")
        assert {p["metadata"]["name"] for p in pods} == pods_before
        # The pods still belong to the RS, which keeps managing them.
        assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in pods)
        await c.run_for(30)
        assert {p["metadata"]["name"] for p in c.list("pods", "default")} == pods_before
        # A new Deployment with the same selector adopts the orphaned RS instead of creating another.
        await c.apply(deployment())
        c.settle()
        rss = c.list("rs", "default")
        assert len(rss) == 1 and rss[0]["metadata"]["ownerReferences"][0]["name"] == "web"
        assert {p["metadata"]["name"] for p in c.list("pods", "default")} == pods_before


async def test_orphaning_a_replicaset_keeps_its_pods() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(deployment())
        await ready(c)
        rs = c.list("rs", "default")[0]["metadata"]["name"]
        await c.delete("deploy", "web", propagation="Orphan")
        c.settle()
        await c.delete("rs", rs, propagation="Orphan")
        c.settle()
        pods = c.list("pods", "default")
        assert len(pods) == 3 and all("ownerReferences" not in p["metadata"] for p in pods)
        await c.run_for(30)
        assert len(c.list("pods", "default")) == 3


async def test_namespace_deletion() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
        await c.apply(deployment("doomed", grace=15))
        await ready(c, "doomed")
        assert c.get("ns", "doomed", None)["status"]["phase"] == "Active"
        await c.delete("ns", "doomed", None)
        ns = c.get("ns", "doomed", None)
        assert ns["status"]["phase"] == "Terminating"
        assert ns["spec"]["finalizers"] == ["kubernetes"]
        assert ns["metadata"]["deletionTimestamp"]
        assert next(r for r in c.table("ns")[1] if r[0] == "doomed")[:2] == ["doomed", "Terminating"]
        with pytest.raises(ApiError) as err:
            await c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "namespace": "doomed"},
                            "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        assert err.value.code == 403
        assert err.value.message == ('pods "x" is forbidden: unable to create new content in namespace doomed '
                                     "because it is being terminated")
        assert err.value.status["reason"] == "Forbidden"
        assert err.value.status["details"]["causes"][0]["reason"] == "NamespaceTerminating"
        with pytest.raises(ApiError) as err:
            other = deployment("doomed")
            other["metadata"]["name"] = "api"
            await c.create(other)
        assert err.value.message == ('deployments.apps "api" is forbidden: unable to create new content in '
                                     "namespace doomed because it is being terminated")
        c.settle()
        assert c.list("deploy", "doomed") == [] and c.list("rs", "doomed") == []
        # Pods terminate gracefully; the namespace waits for them, and says so.
        assert c.list("pods", "doomed")
        await c.run_for(6)
        ns = c.get("ns", "doomed", None)
        assert ns is not None
        cond = next(x for x in ns["status"]["conditions"] if x["type"] == "NamespaceContentRemaining")
        assert cond["status"] == "True" and cond["reason"] == "SomeResourcesRemain"
        assert cond["message"] == "Some resources are remaining: pods. has 3 resource instances"
        assert {x["type"]: (x["status"], x["reason"]) for x in ns["status"]["conditions"]} == {
            "NamespaceDeletionDiscoveryFailure": ("False", "ResourcesDiscovered"),
            "NamespaceDeletionGroupVersionParsingFailure": ("False", "ParsedGroupVersions"),
            "NamespaceDeletionContentFailure": ("False", "ContentDeleted"),
            "NamespaceContentRemaining": ("True", "SomeResourcesRemain"),
            "NamespaceFinalizersRemaining": ("False", "ContentHasNoFinalizers"),
        }
        assert await c.run_until(lambda c: c.get("ns", "doomed", None) is None, timeout=60)
        assert c.list("pods", "doomed") == []
        assert not [e for e in c.events("doomed")]


async def test_builtin_namespaces() -> None:
    async with Cluster(nodes=1) as c:
        names = {ns["metadata"]["name"] for ns in c.list("ns")}
        assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
        for name in ("default", "kube-system", "kube-public"):
            with pytest.raises(ApiError) as err:
                await c.delete("ns", name, None)
            assert err.value.code == 403
            assert err.value.message == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
        assert c.get("ns", "default", None)["status"]["phase"] == "Active"


async def test_replicaset_deleted_while_deployment_lives_is_recreated() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(deployment())
        await ready(c)
        rs = c.list("rs", "default")[0]
        deleted: list[str] = []

        def watch(event: WatchEvent) -> None:
            if event.type == "DELETED" and event.resource == "replicasets.apps":
                deleted.append(event.object["metadata"]["name"])

        c.store.add_listener(watch)
        await c.delete("rs", rs["metadata"]["name"])
        await c.run_for(30)
        assert deleted == [rs["metadata"]["name"]]
        rss = c.list("rs", "default")
        # Same template, same hash: a new RS of the same name (a different uid) with 3 fresh pods.
        assert len(rss) == 1 and rss[0]["metadata"]["name"] == rs["metadata"]["name"]
        assert rss[0]["metadata"]["uid"] != rs["metadata"]["uid"]
        assert c.rollout_status("web")[1]
        await c.run_for(30)
        assert len(c.list("pods", "default")) == 3


async def test_every_pod_has_a_living_owner_after_churn() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(replicas=4))
        await ready(c)
        for image in ("nginx:1.26", "nginx:1.27"):
            d = deployment(replicas=4)
            d["spec"]["template"]["spec"]["containers"][0]["image"] = image
            await c.apply(d)
            await c.run_for(3)
        await c.delete("deploy", "web")
        await c.run_for(60)
        assert c.list("pods", "default") == [] and c.list("rs", "default") == []


async def test_dependent_of_unknown_kind_is_kept_and_of_vanished_owner_collected() -> None:
    async with Cluster(nodes=1) as c:
        def owned(name: str, kind: str, api_version: str, uid: str) -> Obj:
            return {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": "default", "ownerReferences": [
                        {"apiVersion": api_version, "kind": kind, "name": "x", "uid": uid}]},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}

        await c.create(owned("crd-child", "Widget", "example.com/v1", "11111111-1111-4111-8111-111111111111"))
        await c.create(owned("orphaned", "ReplicaSet", "apps/v1", "22222222-2222-4222-8222-222222222222"))
        await c.run_for(10)
        assert c.get("pods", "crd-child") is not None
        assert c.get("pods", "orphaned") is None or c.get("pods", "orphaned")["metadata"].get("deletionTimestamp")


async def test_relabelled_replicaset_is_released_and_replaced() -> None:
    async with Cluster(nodes=2) as c:
        await c.apply(deployment())
        await ready(c)
        rs = c.list("rs", "default")[0]["metadata"]["name"]
        await c.patch("rs", rs, {"metadata": {"labels": {"app": "debug"}}})
        c.settle()
        released = c.get("rs", rs)
        assert "ownerReferences" not in released["metadata"]
        # The Deployment no longer has a ReplicaSet for its template: it makes a new one (the same hash is taken,
        # so the collision count moves the name).
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=60)
        d = c.get("deploy", "web")
        assert d["status"].get("collisionCount") == 1
        owned = [x for x in c.list("rs", "default") if x["metadata"].get("ownerReferences")]
        assert len(owned) == 1 and owned[0]["metadata"]["name"] != rs
