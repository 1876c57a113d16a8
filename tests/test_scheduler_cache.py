"""Scheduler caches must never leak one cluster's pods into another's (same seed, same uids)."""

from engine.cluster import Cluster


def deployment(cpu: str | None) -> dict:
    container = {"name": "app", "image": "nginx:1.25"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}}}


async def test_a_second_cluster_with_the_same_seed_schedules_its_own_pods():
    async with Cluster(nodes=2) as first:
        await first.apply(deployment("8"))
        await first.run_for(5)
        assert all(not p["spec"].get("nodeName") for p in first.list("pods", "default"))
    async with Cluster(nodes=2) as second:
        await second.apply(deployment(None))
        await second.run_for(5)
        assert all(p["spec"].get("nodeName") for p in second.list("pods", "default"))
