"""Property tests: random operation sequences against a Deployment always converge, and rolling updates keep
their surge/unavailability bounds at every single store write."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import podutil
from engine.cluster import Cluster
from engine.controllers.deployment import util as du
from engine.errors import ApiError
from engine.store import WatchEvent

Obj = dict[str, Any]
NODES = 3
HISTORY_LIMIT = 3
# Enough for the slowest path: a node lost for 50 s, 300 s of toleration, eviction and a restart elsewhere.
CONVERGE_TIMEOUT = 1800.0


def deployment(replicas: int, image: int | str, surge: int | str = "25%", unavailable: int | str = "25%",
               start_seconds: int = 0, strategy: str = "RollingUpdate", min_ready: int = 0) -> Obj:
    annotations = {"sim.k9py.io/start-seconds": f"{start_seconds}s"} if start_seconds else {}
    if image == "broken":
        annotations["sim.k9py.io/image-pull"] = "fail"
    strat: Obj = {"type": strategy}
    if strategy == "RollingUpdate":
        strat["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": HISTORY_LIMIT,
            "minReadySeconds": min_ready,
            "strategy": strat,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": annotations},
                "spec": {"containers": [{"name": "app", "image": f"registry.local/web:{image}",
                                         "readinessProbe": {"httpGet": {"path": "/", "port": 80},
                                                            "periodSeconds": 2}}]},
            },
        },
    }


def active_pods(c: Cluster) -> list[Obj]:
    return [p for p in c.store.iter("pods", "default") if podutil.is_active(p)]


def converged(c: Cluster) -> bool:
    d = c.get("deploy", "web")
    if d is None:
        return False
    spec, status = d["spec"]["replicas"], d.get("status") or {}
    if status.get("observedGeneration") != d["metadata"]["generation"]:
        return False
    if not (status.get("replicas", 0) == status.get("updatedReplicas", 0) == status.get("availableReplicas", 0)
            == spec):
        return False
    if any(n["spec"].get("taints") for n in c.store.iter("nodes")):
        return False  # the NoExecute taints of a recovered node go on the next monitor pass
    pods = list(c.store.iter("pods", "default"))
    # No leftovers either: terminating pods on recovered nodes are gone too.
    return len(pods) == spec and all(podutil.is_ready(p) for p in pods)


def check_final_state(c: Cluster) -> None:
    d = c.get("deploy", "web")
    assert d is not None
    pods = list(c.store.iter("pods", "default"))
    assert len(pods) == d["spec"]["replicas"]
    rss = {rs["metadata"]["uid"]: rs for rs in c.store.iter("replicasets.apps", "default")}
    new_rs = du.find_new_replica_set(d, list(rss.values()))
    assert new_rs is not None or d["spec"]["replicas"] == 0
    for pod in pods:
        ref = podutil.controller_ref(pod)
        assert ref is not None and ref["uid"] in rss, f"orphan pod {pod['metadata']['name']}"
        assert new_rs is not None and ref["uid"] == new_rs["metadata"]["uid"]
        assert c.get("nodes", pod["spec"]["nodeName"], None) is not None
    for rs in rss.values():
        ref = podutil.controller_ref(rs)
        assert ref is not None and ref["uid"] == d["metadata"]["uid"], f"orphan RS {rs['metadata']['name']}"
        status = rs.get("status") or {}
        assert status.get("replicas", 0) == rs["spec"]["replicas"]
    # One current RS plus at most revisionHistoryLimit old ones, all old ones scaled to zero.
    current = [rs for rs in rss.values() if rs["spec"]["replicas"] > 0]
    assert len(current) <= 1 and len(rss) <= HISTORY_LIMIT + 1
    revisions = [du.revision(rs) for rs in rss.values()]
    assert len(set(revisions)) == len(revisions)
    if new_rs is not None:
        assert du.revision(new_rs) == max(revisions)
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == str(du.revision(new_rs))
    nodes = c.list("nodes")
    assert all(not (n["spec"].get("taints")) for n in nodes)


# --- convergence under arbitrary churn ----------------------------------------------------------------------------

op = st.one_of(
    st.tuples(st.just("scale"), st.integers(0, 7)),
    st.tuples(st.just("image"), st.integers(1, 4)),
    st.tuples(st.just("stuck"), st.just(0)),
    st.tuples(st.just("undo"), st.integers(0, 3)),
    st.tuples(st.just("restart"), st.just(0)),
    st.tuples(st.just("pause"), st.booleans()),
    st.tuples(st.just("kill"), st.integers(0, 20)),
    st.tuples(st.just("fail"), st.integers(1, NODES)),
    st.tuples(st.just("recover"), st.integers(1, NODES)),
    st.tuples(st.just("wait"), st.sampled_from([0.0, 0.5, 1.5, 5.0, 30.0, 120.0, 400.0])),
)
shape = st.fixed_dictionaries({
    "strategy": st.sampled_from(["RollingUpdate", "RollingUpdate", "Recreate"]),
    "min_ready": st.sampled_from([0, 0, 5]),
    "start_seconds": st.sampled_from([0, 0, 3]),
})


async def run_churn(seed: int, replicas: int, form: Obj, ops: list[tuple[str, Any]]) -> None:
    async with Cluster(nodes=NODES, seed=seed) as c:
        image: int | str = 0

        async def set_image(value: int | str) -> None:
            nonlocal image
            image = value
            current = c.get("deploy", "web")["spec"]["replicas"]
            await c.apply(deployment(current, value, **form))

        await c.apply(deployment(replicas, image, **form))
        for kind, arg in ops:
            try:
                if kind == "scale":
                    await c.scale("deploy", "web", arg)
                elif kind == "image":
                    # Indices wrap, so an earlier template comes back and its old RS is reused.
                    await set_image(((image if isinstance(image, int) else 0) + arg) % 5)
                elif kind == "stuck":
                    await set_image("broken")
                elif kind == "undo":
                    await c.rollout_undo("web", to_revision=arg or None)
                elif kind == "restart":
                    await c.rollout_restart("web")
                elif kind == "pause":
                    await (c.rollout_pause("web") if arg else c.rollout_resume("web"))
                elif kind == "kill":
                    pods = sorted(p["metadata"]["name"] for p in active_pods(c))
                    if pods:
                        await c.delete("pods", pods[arg % len(pods)])
                elif kind == "fail":
                    await c.set_node_ready(f"node-{arg}", False)
                elif kind == "recover":
                    await c.set_node_ready(f"node-{arg}", True)
                else:
                    await c.run_for(arg)
            except ApiError as exc:
                # kubectl's refusals (paused, no such revision, already paused) are fine; nothing else is.
                assert exc.code == 400, exc.message
        if c.get("deploy", "web")["spec"].get("paused"):
            await c.rollout_resume("web")
        template = c.get("deploy", "web")["spec"]["template"]
        if "sim.k9py.io/image-pull" in (template["metadata"].get("annotations") or {}):
            # Fix a stuck rollout. A merge patch with an explicit null: after an undo, the failing annotation is not
            # in last-applied-configuration, so `apply` (like kubectl's three-way merge) would leave it in place.
            fixed = deployment(0, 1, **form)["spec"]["template"]
            fixed["metadata"]["annotations"]["sim.k9py.io/image-pull"] = None
            await c.patch("deploy", "web", {"spec": {"template": fixed}})
        for i in range(1, NODES + 1):
            await c.set_node_ready(f"node-{i}", True)
        ok = await c.run_until(converged, timeout=CONVERGE_TIMEOUT)
        d = c.get("deploy", "web")
        assert ok, (d.get("status"), [(p["metadata"]["name"], p["spec"].get("nodeName"), p["status"].get("phase"),
                                       p["metadata"].get("deletionTimestamp")) for p in c.list("pods", "default")])
        check_final_state(c)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), replicas=st.integers(0, 6), form=shape, ops=st.lists(op, max_size=14))
def test_random_churn_converges(seed: int, replicas: int, form: Obj, ops: list[tuple[str, Any]]) -> None:
    asyncio.run(run_churn(seed, replicas, form, ops))


# --- rolling-update bounds -----------------------------------------------------------------------------------------


class Bounds:
    """Checks, at every pod write, that creating a pod never exceeds replicas+maxSurge active pods and that deleting
    an available pod never leaves fewer than replicas-maxUnavailable available ones."""

    def __init__(self, c: Cluster) -> None:
        self.c = c
        self.armed = False
        self.violations: list[str] = []
        c.store.add_listener(self.on_event)

    def on_event(self, event: WatchEvent) -> None:
        if not self.armed or event.resource != "pods":
            return
        d = self.c.store.get("deployments.apps", "default", "web")
        if d is None:
            return
        spec = du.spec_replicas(d)
        pods = active_pods(self.c)
        available = sum(1 for p in pods if podutil.is_ready(p))
        if event.type == "ADDED" and len(pods) > spec + du.max_surge(d):
            self.violations.append(f"{len(pods)} active pods > {spec}+{du.max_surge(d)} at t={self.c.now()}")
        old = event.old or {}
        deleted = event.type == "DELETED" or (event.object["metadata"].get("deletionTimestamp")
                                              and not old.get("metadata", {}).get("deletionTimestamp"))
        if deleted and old and podutil.is_active(old) and podutil.is_ready(old) \
                and available < spec - du.max_unavailable(d):
            self.violations.append(f"{available} available < {spec}-{du.max_unavailable(d)} at t={self.c.now()}")


intstr = st.one_of(st.integers(0, 3), st.sampled_from(["0%", "10%", "25%", "50%", "100%"]))


async def run_rollouts(seed: int, replicas: int, surge: int | str, unavailable: int | str,
                       steps: list[tuple[int, int, float]]) -> None:
    async with Cluster(nodes=NODES, seed=seed) as c:
        await c.apply(deployment(replicas, 0, surge, unavailable))
        assert await c.run_until(converged, timeout=CONVERGE_TIMEOUT)
        bounds = Bounds(c)
        bounds.armed = True
        image = 0
        for delta, start_seconds, wait in steps:
            image = (image + delta) % 5
            await c.apply(deployment(replicas, image, surge, unavailable, start_seconds))
            await c.run_for(wait)
        assert await c.run_until(converged, timeout=CONVERGE_TIMEOUT)
        assert bounds.violations == []
        check_final_state(c)


@st.composite
def fenceposts(draw: st.DrawFn) -> tuple[int | str, int | str]:
    surge, unavailable = draw(intstr), draw(intstr)
    if surge in (0, "0%") and unavailable in (0, "0%"):
        unavailable = 1  # both zero is invalid
    return surge, unavailable


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), replicas=st.integers(1, 8), posts=fenceposts(),
       steps=st.lists(st.tuples(st.integers(1, 4), st.sampled_from([0, 3, 10]),
                                st.sampled_from([0.0, 0.5, 2.0, 6.0, 30.0])), min_size=1, max_size=5))
def test_rolling_updates_respect_bounds(seed: int, replicas: int, posts: tuple[int | str, int | str],
                                        steps: list[tuple[int, int, float]]) -> None:
    asyncio.run(run_rollouts(seed, replicas, posts[0], posts[1], steps))
