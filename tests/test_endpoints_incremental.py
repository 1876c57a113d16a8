"""Scenario: the Endpoints and EndpointSlice controllers look at what changed since a Service's last sync, and
write what upstream's controllers write by looking at everything (`k/k pkg/controller/endpoint/
endpoints_controller.go` syncService with RepackSubsets and truncation; `staging/src/k8s.io/endpointslice/
reconciler.go` reconcileByPortMapping: slices kept, filled to 100, the fullest first, the placeholder).

Both controllers run here with `work.verify` set: each sync also rebuilds its result from every pod and slice, as
upstream does, and any difference is recorded. The churn covers what could make the kept state drift: readiness
flapping, a rollout, pods offering different ports (two slices' port sets, two Endpoints subsets), more than
1,000 addresses (truncation), slices deleted or edited by someone else, a node that goes away, changes to the
Service. The work counters then bound what a rollout costs: a sync looks at the pods that changed, not at all of
them, so the pods looked at grow with the pods changed, not with pods x syncs."""

from __future__ import annotations

import random
from typing import Any

import manifests

from engine.cluster import Cluster
from engine.controllers.endpoints import EndpointsController
from engine.controllers.endpointslice import EndpointSliceController

Obj = dict[str, Any]
SLICES = "endpointslices"


def web(replicas: int, *, name: str = "web", image: str = "nginx:1.27", app: str = "web", ports: bool = True,
        readiness: str | None = None) -> Obj:
    container: Obj = {"name": "app", "image": image,
                      "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5},
                      "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}
    if ports:
        container["ports"] = [{"containerPort": 8080, "name": "http"}]
    annotations = {"sim.k9py.io/readiness": readiness} if readiness else {}
    deploy = manifests.deployment(name, replicas=replicas, containers=[container], pod_annotations=annotations)
    deploy["spec"]["selector"] = {"matchLabels": {"app": app, "deploy": name}}
    deploy["spec"]["template"]["metadata"]["labels"] = {"app": app, "deploy": name}
    return deploy


def service(name: str = "web", *, labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http"},
                              {"name": "metrics", "port": 9090, "targetPort": 9090}])
    spec.setdefault("selector", {"app": "web"})
    meta: Obj = {"name": name, "namespace": "default"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def verifying(c: Cluster) -> tuple[EndpointsController, EndpointSliceController]:
    endpoints, slices = c.components.get(EndpointsController), c.components.get(EndpointSliceController)
    endpoints.work.verify = slices.work.verify = True
    return endpoints, slices


def assert_same_as_upstream(*controllers: EndpointsController | EndpointSliceController) -> None:
    for controller in controllers:
        assert controller.work.mismatches == [], controller.work.mismatches[:1]
        assert controller.work.partial_syncs > 0


def slice_sizes(c: Cluster, svc: str = "web") -> list[int]:
    return sorted(len(s.get("endpoints") or ()) for s in c.list(SLICES, "default",
                                                                 selector=f"kubernetes.io/service-name={svc}"))


async def test_kept_endpoints_stay_what_a_full_rebuild_gives_through_churn() -> None:
    async with Cluster(nodes=4, node_pods=400) as c:
        controllers = verifying(c)
        await c.apply([web(150, readiness="fail-after=40s"), web(30, name="bare", ports=False), service()])
        await c.run_for(30)
        assert sum(slice_sizes(c)) == 180 and max(slice_sizes(c)) <= 100
        await c.run_for(30)  # readiness fails on every `web` pod: ready turns false in place
        await c.patch("deploy", "web", {"spec": {"template": {"metadata": {"annotations": {
            "sim.k9py.io/readiness": "pass"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}})
        await c.run_for(90)
        await c.scale("deploy", "web", 40)
        await c.run_for(20)
        [victim, *_] = c.list(SLICES, "default", selector="kubernetes.io/service-name=web")
        await c.delete(SLICES, victim["metadata"]["name"])  # someone else deletes a slice
        other = c.list(SLICES, "default", selector="kubernetes.io/service-name=web")[-1]
        await c.patch(SLICES, other["metadata"]["name"], {"metadata": {"labels": {"team": "x"}}})
        await c.run_for(5)
        await c.patch("svc", "web", {"metadata": {"labels": {"tier": "front"}}})
        await c.scale("deploy", "web", 120)
        await c.run_for(30)
        await c.patch("svc", "web", {"spec": {"publishNotReadyAddresses": True}})
        await c.scale("deploy", "bare", 0)
        await c.run_for(20)
        assert_same_as_upstream(*controllers)


async def test_a_node_that_goes_away_and_a_selector_that_changes() -> None:
    async with Cluster(nodes=3, node_pods=200) as c:
        controllers = verifying(c)
        await c.apply([web(60), web(20, name="other", app="other"), service()])
        await c.run_for(30)
        node = c.list("pods", "default", selector="app=web")[0]["spec"]["nodeName"]
        await c.delete("nodes", node, None)
        await c.scale("deploy", "web", 70)  # a sync, which leaves that node's pods out and is retried
        await c.run_for(120)
        await c.patch("svc", "web", {"spec": {"selector": {"app": "other"}}})
        await c.run_for(10)
        assert sum(slice_sizes(c)) == 20
        await c.delete("deploy", "other")
        await c.run_for(60)
        assert slice_sizes(c) == [0]  # the placeholder
        await c.patch("svc", "web", {"spec": {"selector": {"app": "web"}}})
        await c.run_for(30)
        assert_same_as_upstream(*controllers)


async def test_more_than_a_thousand_addresses_are_truncated_as_upstream_truncates_them() -> None:
    async with Cluster(nodes=10, node_cpu="64", node_memory="256Gi", node_pods=250) as c:
        controllers = verifying(c)
        await c.apply([web(1040, readiness="fail-after=60s"), service(ports=[{"port": 80, "targetPort": "http"}])])
        await c.run_for(40)
        endpoints = c.get("endpoints", "web")
        assert endpoints["metadata"]["annotations"]["endpoints.kubernetes.io/over-capacity"] == "truncated"
        assert len(endpoints["subsets"][0]["addresses"]) == 1000
        await c.run_for(60)  # all not ready: the first 1,000 not-ready addresses
        await c.scale("deploy", "web", 900)
        await c.run_for(30)
        annotations = c.get("endpoints", "web")["metadata"].get("annotations") or {}
        assert "endpoints.kubernetes.io/over-capacity" not in annotations
        assert_same_as_upstream(*controllers)


async def test_random_churn_keeps_kept_state_exact() -> None:
    """Random scaling, image changes, readiness changes and deletions of pods and slices, seeded."""
    rng = random.Random(14)
    async with Cluster(nodes=3, node_pods=300) as c:
        controllers = verifying(c)
        await c.apply([web(50), web(10, name="bare", ports=False), service()])
        await c.run_for(20)
        for step in range(25):
            action = rng.choice(["scale", "image", "ready", "pod", "slice", "bare"])
            if action == "scale":
                await c.scale("deploy", "web", rng.randint(0, 220))
            elif action == "image":
                await c.patch("deploy", "web", {"spec": {"template": {"spec": {"containers": [
                    {"name": "app", "image": f"nginx:1.{step}"}]}}}})
            elif action == "ready":
                await c.patch("deploy", "web", {"spec": {"template": {"metadata": {"annotations": {
                    "sim.k9py.io/readiness": rng.choice(["pass", "fail", "fail-after=7s"])}}}}})
            elif action == "pod":
                pods = c.list("pods", "default", selector="app=web")
                for pod in rng.sample(pods, min(len(pods), rng.randint(1, 15))):
                    await c.delete("pods", pod["metadata"]["name"], grace_period=rng.choice([0, 3]))
            elif action == "slice":
                found = c.list(SLICES, "default", selector="kubernetes.io/service-name=web")
                if found:
                    await c.delete(SLICES, rng.choice(found)["metadata"]["name"])
            else:
                await c.scale("deploy", "bare", rng.randint(0, 30))
            await c.run_for(rng.choice([0.5, 2, 7, 20]))
        await c.run_for(60)
        assert_same_as_upstream(*controllers)


async def test_a_rollout_looks_at_the_pods_that_changed_not_at_every_pod_per_sync() -> None:
    """What stands in for timing the 10,000-pod benchmark: during a rollout of 400 pods neither controller lists
    all the Service's pods again, and the pods they look at are no more than the pod events there were (each pod
    changes a few times: created, given an IP, ready, terminating, gone). Looking at every pod on every sync, as
    before, would be the pods times the syncs, several times that."""
    pods = 400
    async with Cluster(nodes=4, node_pods=300) as c:
        controllers = c.components.get(EndpointsController), c.components.get(EndpointSliceController)
        await c.apply([web(pods), service()])
        await c.run_for(30)
        before = [(ctl.work.full_syncs, ctl.work.partial_syncs, ctl.work.pods_examined) for ctl in controllers]
        events = [0]

        def count(event: Any) -> None:
            events[0] += event.resource == "pods" and (event.object["metadata"].get("labels") or {}).get("app") == "web"

        c.store.add_listener(count)
        await c.patch("deploy", "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:1.28"}]}}}})
        await c.run_for(120)
        assert sum(slice_sizes(c)) == pods
        for controller, (full, partial, examined) in zip(controllers, before, strict=True):
            work = controller.work
            syncs, looked_at = work.partial_syncs - partial, work.pods_examined - examined
            assert work.full_syncs == full and syncs >= 15, (work.full_syncs - full, syncs)
            assert looked_at <= events[0] < syncs * pods / 2, (looked_at, events[0], syncs)
