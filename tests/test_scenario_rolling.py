"""Scenario: rolling and recreate rollouts of a Deployment on the virtual clock (k8s-semantics §1).

Invariants are checked on every store write (a synchronous listener), so a transient violation between two
controller syncs is caught, not just the states visible at `run_for` boundaries.
"""

from __future__ import annotations

import re
from typing import Any

from engine import podutil
from engine.cluster import Cluster
from engine.store import WatchEvent

Obj = dict[str, Any]



def deployment(name: str = "web", replicas: int = 3, image: str = "nginx:1.25", *, surge: int | str | None = None,
               unavailable: int | str | None = None, strategy: str = "RollingUpdate",
               annotations: dict[str, str] | None = None) -> Obj:
    strat: Obj = {"type": strategy}
    rolling = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
    if rolling:
        strat["rollingUpdate"] = rolling
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "strategy": strat,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def status(c: Cluster, name: str = "web") -> Obj:
    d = c.get("deploy", name)
    assert d is not None
    return d.get("status") or {}


def rolled_out(name: str = "web"):
    return lambda c: c.rollout_status(name)[1]


def scaling_messages(c: Cluster) -> list[str]:
    return [e["message"] for e in c.events("default") if e["reason"] == "ScalingReplicaSet"]


def active_pods(c: Cluster, app: str = "web") -> list[Obj]:
    return [p for p in c.store.iter("pods", "default")
            if (p["metadata"].get("labels") or {}).get("app") == app and podutil.is_active(p)]


class PodBounds:
    """Records the extremes of active and available pods over every store write."""

    def __init__(self, c: Cluster, app: str = "web") -> None:
        self.c = c
        self.app = app
        self.max_active = 0
        self.min_available: int | None = None
        self.enabled = False
        c.store.add_listener(self._on_event)

    def _on_event(self, event: WatchEvent) -> None:
        if not self.enabled or event.resource != "pods":
            return
        pods = active_pods(self.c, self.app)
        available = sum(1 for p in pods if podutil.is_ready(p))
        self.max_active = max(self.max_active, len(pods))
        self.min_available = available if self.min_available is None else min(self.min_available, available)


async def test_rolling_update_respects_surge_and_unavailable_bounds() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(replicas=5, surge=1, unavailable=1))
        assert await c.run_until(rolled_out(), timeout=120)
        old_rs = c.list("rs", "default")[0]["metadata"]["name"]
        bounds = PodBounds(c)
        bounds.enabled = True
        await c.apply(deployment(replicas=5, image="nginx:1.26", surge=1, unavailable=1))
        # Also sample at small steps: the listener sees every write, the sampling checks the Deployment's own view.
        for _ in range(400):
            await c.run_for(0.2)
            st = status(c)
            assert len(active_pods(c)) <= 6
            assert st.get("availableReplicas", 0) >= 4, st
            if c.rollout_status("web")[1]:
                break
        assert c.rollout_status("web") == ('deployment "web" successfully rolled out', True)
        assert bounds.max_active <= 6
        assert bounds.max_active == 6  # the surge is actually used
        assert bounds.min_available is not None and bounds.min_available >= 4

        rss = {rs["metadata"]["name"]: rs for rs in c.list("rs", "default")}
        new_rs = next(n for n in rss if n != old_rs)
        assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{1,10}", new_rs)
        assert rss[old_rs]["spec"]["replicas"] == 0 and rss[new_rs]["spec"]["replicas"] == 5
        messages = scaling_messages(c)
        assert messages[0] == f"Scaled up replica set {old_rs} from 0 to 5"
        assert messages[1] == f"Scaled up replica set {new_rs} from 0 to 1"
        assert messages[2] == f"Scaled down replica set {old_rs} from 5 to 4"
        for m in messages[1:]:
            assert re.fullmatch(rf"Scaled (up|down) replica set ({old_rs}|{new_rs}) from \d+ to \d+", m), m
        assert [m for m in messages if m.endswith(" to 0")] == [m for m in messages if old_rs in m][-1:]
        st = status(c)
        assert st["replicas"] == st["updatedReplicas"] == st["readyReplicas"] == st["availableReplicas"] == 5
        assert st["observedGeneration"] == c.get("deploy", "web")["metadata"]["generation"] == 2
        conds = {cond["type"]: cond for cond in st["conditions"]}
        assert conds["Available"]["status"] == "True"
        assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
        assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
        assert conds["Progressing"]["message"] == f'ReplicaSet "{new_rs}" has successfully progressed.'
        d = c.get("deploy", "web")
        assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
        new_ann = rss[new_rs]["metadata"]["annotations"]
        assert new_ann["deployment.kubernetes.io/revision"] == "2"
        assert new_ann["deployment.kubernetes.io/desired-replicas"] == "5"
        assert new_ann["deployment.kubernetes.io/max-replicas"] == "6"
        assert c.health("deploy", "web") == ("Healthy", "")


async def test_default_three_replica_rollout_sequence() -> None:
    """25%/25% with 3 replicas resolves to surge 1, unavailable 0: one pod at a time."""
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(replicas=3))
        assert await c.run_until(rolled_out(), timeout=120)
        old_rs = c.list("rs", "default")[0]["metadata"]["name"]
        bounds = PodBounds(c)
        bounds.enabled = True
        await c.apply(deployment(replicas=3, image="nginx:1.26"))
        assert await c.run_until(rolled_out(), timeout=120)
        new_rs = next(rs["metadata"]["name"] for rs in c.list("rs", "default") if rs["metadata"]["name"] != old_rs)
        assert scaling_messages(c)[1:] == [
            f"Scaled up replica set {new_rs} from 0 to 1",
            f"Scaled down replica set {old_rs} from 3 to 2",
            f"Scaled up replica set {new_rs} from 1 to 2",
            f"Scaled down replica set {old_rs} from 2 to 1",
            f"Scaled up replica set {new_rs} from 2 to 3",
            f"Scaled down replica set {old_rs} from 1 to 0",
        ]
        assert bounds.max_active == 4
        assert bounds.min_available == 3


async def test_ten_replica_rollout_first_step_scales_both_at_once() -> None:
    """10 replicas with defaults (surge 3, unavailable 2): new 0→3 and old 10→8 in the same instant."""
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(replicas=10))
        assert await c.run_until(rolled_out(), timeout=120)
        old_rs = c.list("rs", "default")[0]["metadata"]["name"]
        await c.apply(deployment(replicas=10, image="nginx:1.26"))
        c.settle()  # no time passes
        new_rs = next(rs["metadata"]["name"] for rs in c.list("rs", "default") if rs["metadata"]["name"] != old_rs)
        # The old RS shrinking frees room under maxTotal = 13, so the very next sync grows the new RS again.
        assert scaling_messages(c)[1:] == [
            f"Scaled up replica set {new_rs} from 0 to 3",
            f"Scaled down replica set {old_rs} from 10 to 8",
            f"Scaled up replica set {new_rs} from 3 to 5",
        ]
        assert len(active_pods(c)) == 13
        bounds = PodBounds(c)
        bounds.enabled = True
        assert await c.run_until(rolled_out(), timeout=120)
        assert bounds.max_active <= 13
        assert bounds.min_available is not None and bounds.min_available >= 8


async def test_min_ready_seconds_delays_availability() -> None:
    async with Cluster(nodes=3) as c:
        d = deployment(replicas=2)
        d["spec"]["minReadySeconds"] = 10
        await c.apply(d)
        start = c.now()
        await c.run_for(3)
        st = status(c)
        assert st.get("readyReplicas") == 2
        assert st.get("availableReplicas", 0) == 0
        assert await c.run_until(lambda c: status(c).get("availableReplicas") == 2, timeout=30)
        assert 10 <= c.now() - start <= 13
        assert c.rollout_status("web")[1]


async def test_recreate_strategy_waits_for_old_pods_to_be_gone() -> None:
    async with Cluster(nodes=3) as c:
        await c.apply(deployment(replicas=3, strategy="Recreate"))
        assert await c.run_until(rolled_out(), timeout=120)
        old_rs = c.list("rs", "default")[0]
        old_uid = old_rs["metadata"]["uid"]
        violations: list[str] = []

        def check(event: WatchEvent) -> None:
            if event.resource != "pods" or event.type != "ADDED":
                return
            owner = podutil.controller_ref(event.object) or {}
            if owner.get("uid") == old_uid:
                return
            survivors = [p["metadata"]["name"] for p in c.store.iter("pods", "default")
                         if (podutil.controller_ref(p) or {}).get("uid") == old_uid]
            if survivors:
                violations.append(f"{event.object['metadata']['name']} created while {survivors} exist")

        c.store.add_listener(check)
        await c.apply(deployment(replicas=3, image="nginx:1.26", strategy="Recreate"))
        c.settle()
        assert scaling_messages(c)[-1] == f"Scaled down replica set {old_rs['metadata']['name']} from 3 to 0"
        assert len(c.list("rs", "default")) == 1  # the new RS is not created yet
        # Old pods are terminating (30 s grace, but the fake app stops promptly on SIGTERM).
        assert await c.run_until(rolled_out(), timeout=120)
        assert violations == []
        new_rs = next(rs for rs in c.list("rs", "default") if rs["metadata"]["uid"] != old_uid)
        assert scaling_messages(c)[-1] == f"Scaled up replica set {new_rs['metadata']['name']} from 0 to 3"
        assert len(active_pods(c)) == 3


async def test_recreate_waits_for_slow_terminating_pods() -> None:
    """A shell as PID 1 ignores SIGTERM and runs out its grace period; the new RS appears only after that."""
    def slow(image: str) -> Obj:
        d = deployment(replicas=2, image=image, strategy="Recreate")
        spec = d["spec"]["template"]["spec"]
        spec["terminationGracePeriodSeconds"] = 20
        spec["containers"][0]["command"] = ["sh", "-c", "sleep 3600"]
        return d

    async with Cluster(nodes=3) as c:
        await c.apply(slow("nginx:1.25"))
        assert await c.run_until(rolled_out(), timeout=120)
        start = c.now()
        await c.apply(slow("nginx:1.26"))
        await c.run_for(15)
        assert len(c.list("rs", "default")) == 1
        assert len([p for p in c.list("pods", "default") if p["metadata"].get("deletionTimestamp")]) == 2
        assert await c.run_until(lambda c: len(c.list("rs", "default")) == 2, timeout=120)
        assert 20 <= c.now() - start <= 22
        assert await c.run_until(rolled_out(), timeout=120)
