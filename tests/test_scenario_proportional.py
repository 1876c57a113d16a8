"""Scenario: proportional scaling of a Deployment in the middle of a stuck rollout (k8s-semantics §1)."""

from __future__ import annotations

from typing import Any

from engine import podutil
from engine.cluster import Cluster

Obj = dict[str, Any]

STUCK = {"sim.k9py.io/image-pull": "fail"}


def deployment(replicas: int, image: str, annotations: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}},
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": annotations or {}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def rs_sizes(c: Cluster) -> dict[str, int]:
    return {rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["spec"]["replicas"]
            for rs in c.list("rs", "default")}


def pods_by_image(c: Cluster) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in c.list("pods", "default"):
        if podutil.is_active(p):
            image = p["spec"]["containers"][0]["image"]
            out[image] = out.get(image, 0) + 1
    return out


async def test_scaling_a_stuck_rollout_is_proportional() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(10, "nginx:1.25"))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=120)
        await c.apply(deployment(10, "nginx:broken", STUCK))
        await c.run_for(60)
        assert rs_sizes(c) == {"nginx:1.25": 8, "nginx:broken": 5}
        assert pods_by_image(c) == {"nginx:1.25": 8, "nginx:broken": 5}
        d = c.get("deploy", "web")
        assert d["status"]["availableReplicas"] == 8
        assert d["status"]["updatedReplicas"] == 5
        assert d["status"]["unavailableReplicas"] == 5
        assert c.rollout_status("web") == (
            'Waiting for deployment "web" rollout to finish: 5 out of 10 new replicas have been updated...', False)
        new_rs = next(rs for rs in c.list("rs", "default")
                      if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:broken")
        assert new_rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "13"

        await c.scale("deploy", "web", 30)
        c.settle()
        # 33 allowed pods split by the 8:5 ratio of the 13 the annotations allowed: 20 old + 13 new.
        assert rs_sizes(c) == {"nginx:1.25": 20, "nginx:broken": 13}
        scaled = [e["message"] for e in c.events("default") if e["reason"] == "ScalingReplicaSet"][-2:]
        old_name = next(rs["metadata"]["name"] for rs in c.list("rs", "default")
                        if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25")
        assert sorted(scaled) == sorted([f"Scaled up replica set {old_name} from 8 to 20",
                                         f"Scaled up replica set {new_rs['metadata']['name']} from 5 to 13"])
        for rs in c.list("rs", "default"):
            ann = rs["metadata"]["annotations"]
            assert ann["deployment.kubernetes.io/desired-replicas"] == "30"
            assert ann["deployment.kubernetes.io/max-replicas"] == "33"
        await c.run_for(30)
        assert pods_by_image(c) == {"nginx:1.25": 20, "nginx:broken": 13}
        assert c.get("deploy", "web")["status"]["availableReplicas"] == 20

        # Scaling down is proportional too: 10 + 3 = 13 → 8 old + 5 new again.
        await c.scale("deploy", "web", 10)
        c.settle()
        assert rs_sizes(c) == {"nginx:1.25": 8, "nginx:broken": 5}
        await c.run_for(60)
        assert pods_by_image(c) == {"nginx:1.25": 8, "nginx:broken": 5}

        # Fixing the image finishes the rollout.
        await c.apply(deployment(10, "nginx:1.26"))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=300)
        assert rs_sizes(c) == {"nginx:1.25": 0, "nginx:broken": 0, "nginx:1.26": 10}


async def test_scale_to_zero_and_back_mid_rollout() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(10, "nginx:1.25"))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=120)
        await c.apply(deployment(10, "nginx:broken", STUCK))
        await c.run_for(30)
        await c.scale("deploy", "web", 0)
        await c.run_for(60)
        assert rs_sizes(c) == {"nginx:1.25": 0, "nginx:broken": 0}
        assert pods_by_image(c) == {}
        await c.scale("deploy", "web", 4)
        await c.run_for(60)
        # No RS is active any more, so everything goes to the new (newest) RS, stuck image or not.
        assert rs_sizes(c) == {"nginx:1.25": 0, "nginx:broken": 4}
        st = c.get("deploy", "web")["status"]
        assert st["updatedReplicas"] == 4 and st.get("availableReplicas", 0) == 0
        assert {cond["type"]: cond["status"] for cond in st["conditions"]}["Available"] == "False"


async def test_paused_deployment_scaled_up_from_zero_grows_the_newest_replica_set() -> None:
    """FindActiveOrLatest: with no active RS, the newest one (here the only, old one) takes all replicas."""
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(3, "nginx:1.25"))
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=120)
        await c.rollout_pause("web")
        await c.scale("deploy", "web", 0)
        await c.apply(deployment(0, "nginx:1.26"))
        await c.run_for(10)
        assert rs_sizes(c) == {"nginx:1.25": 0}
        await c.scale("deploy", "web", 2)
        c.settle()
        assert rs_sizes(c) == {"nginx:1.25": 2}  # the template change waits for resume
        await c.rollout_resume("web")
        assert await c.run_until(lambda c: c.rollout_status("web")[1], timeout=120)
        assert rs_sizes(c) == {"nginx:1.25": 0, "nginx:1.26": 2}
